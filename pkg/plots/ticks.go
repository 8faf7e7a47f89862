package plots

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
)

// linearTicks places about n labelled ticks at "nice" values (1, 2, 2.5 or 5
// times a power of ten apart). gonum's DefaultTicks aims at only 3 labels,
// which leaves a wide figure with very few grid lines.
type linearTicks struct{ n int }

func (t linearTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return nil
	}
	// Pick the step giving the tick count closest to t.n; ties go to the
	// larger step, and 2.5 only wins when clearly better.
	mag := math.Pow(10, math.Floor(math.Log10((hi-lo)/float64(t.n))))
	step, mult, best := 0.0, 0.0, math.Inf(1)
	for _, m := range []float64{1, 2, 2.5, 5, 10, 20} {
		s := m * mag
		count := math.Floor(hi/s+1e-9) - math.Ceil(lo/s-1e-9) + 1
		score := math.Abs(count - float64(t.n))
		if m == 2.5 || m == 20 {
			score += 1.25
		}
		if score <= best {
			step, mult, best = s, m, score
		}
	}
	if mult >= 10 {
		mult /= 10
	}
	// Decimals needed to tell the labels apart.
	decimals := max(0, -int(math.Floor(math.Log10(step)+1e-9)))
	if mult == 2.5 && step < 10 {
		decimals++
	}
	largest := math.Max(math.Abs(lo), math.Abs(hi))
	useExp := largest >= 1e6 || decimals > 5

	first := math.Ceil(lo/step - 1e-9)
	last := math.Floor(hi/step + 1e-9)
	var ticks []plot.Tick
	for i := first; i <= last; i++ {
		v := i * step
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		var label string
		if useExp {
			digits := int(math.Floor(math.Log10(largest))) - int(math.Floor(math.Log10(step)+1e-9))
			if mult == 2.5 {
				digits++
			}
			label = compactExp(strconv.FormatFloat(v, 'e', max(0, digits), 64))
		} else {
			label = strconv.FormatFloat(v, 'f', decimals, 64)
		}
		// A real minus sign reads better than a hyphen.
		if strings.HasPrefix(label, "-") {
			label = "\u2212" + label[1:]
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: label})
	}
	return ticks
}

// compactExp turns "1.50e+06" into "1.5e6" and "2e-07" into "2e-7".
// (The caller then turns a leading "-" into a minus sign.)
func compactExp(s string) string {
	mant, exp, ok := strings.Cut(s, "e")
	if !ok {
		return s
	}
	if strings.Contains(mant, ".") {
		mant = strings.TrimRight(strings.TrimRight(mant, "0"), ".")
	}
	e, err := strconv.Atoi(exp)
	if err != nil {
		return s
	}
	if mant == "0" {
		return "0"
	}
	return fmt.Sprintf("%se%d", mant, e)
}

// logTicks labels powers of ten (every k-th decade when there are more than
// about n+2 of them) with labels such as 1e-10, or 0.01 when all labelled
// values lie between 0.001 and 1000. Ranges holding fewer than three powers
// of ten are labelled at 1, 2 and 5 times powers of ten.
type logTicks struct{ n int }

func (t logTicks) Ticks(vmin, vmax float64) []plot.Tick {
	if !(vmin > 0 && vmax > vmin) {
		return nil
	}
	lo := int(math.Ceil(math.Log10(vmin) - 1e-9))
	hi := int(math.Floor(math.Log10(vmax) + 1e-9))
	// Decades whose multiples can appear in the range.
	dlo := int(math.Floor(math.Log10(vmin) + 1e-9))
	dhi := int(math.Ceil(math.Log10(vmax) - 1e-9))
	inRange := func(v float64) bool { return v >= vmin*(1-1e-9) && v <= vmax*(1+1e-9) }

	if hi-lo+1 >= 3 {
		step := 1
		for _, s := range []int{1, 2, 3, 4, 5, 10, 20, 25, 50, 100} {
			step = s
			if (hi-lo)/s+1 <= t.n+2 {
				break
			}
		}
		plain := true
		for e := lo; e <= hi; e++ {
			if e%step == 0 && (e < -3 || e > 3) {
				plain = false
			}
		}
		var ticks []plot.Tick
		for e := dlo; e <= dhi; e++ {
			v := math.Pow(10, float64(e))
			if inRange(v) {
				tk := plot.Tick{Value: v}
				if e%step == 0 {
					tk.Label = decadeLabel(e, plain)
				}
				ticks = append(ticks, tk)
			}
			if step == 1 && hi-lo <= 6 {
				for m := 2; m <= 9; m++ {
					if mv := float64(m) * v; inRange(mv) {
						ticks = append(ticks, plot.Tick{Value: mv})
					}
				}
			}
		}
		return ticks
	}

	// Less than three decades: label 1, 2 and 5 times powers of ten, or
	// every integer multiple if that still gives fewer than two labels.
	labelled := map[int]bool{1: true, 2: true, 5: true}
	count := 0
	for e := dlo; e <= dhi; e++ {
		for m := 1; m <= 9; m++ {
			if labelled[m] && inRange(float64(m)*math.Pow(10, float64(e))) {
				count++
			}
		}
	}
	if count < 2 {
		for m := 1; m <= 9; m++ {
			labelled[m] = true
		}
	}
	var ticks []plot.Tick
	for e := dlo; e <= dhi; e++ {
		for m := 1; m <= 9; m++ {
			v := float64(m) * math.Pow(10, float64(e))
			if !inRange(v) {
				continue
			}
			tk := plot.Tick{Value: v}
			if labelled[m] {
				tk.Label = multipleLabel(m, e)
			}
			ticks = append(ticks, tk)
		}
	}
	return ticks
}

func decadeLabel(e int, plain bool) string {
	if plain {
		return strconv.FormatFloat(math.Pow(10, float64(e)), 'f', max(0, -e), 64)
	}
	return fmt.Sprintf("1e%d", e)
}

// multipleLabel formats m*10^e.
func multipleLabel(m, e int) string {
	if e >= -3 && e <= 3 {
		return strconv.FormatFloat(float64(m)*math.Pow(10, float64(e)), 'f', max(0, -e), 64)
	}
	return fmt.Sprintf("%de%d", m, e)
}

// exponentTicks places logTicks on an axis whose coordinate is log10 of the value.
type exponentTicks struct{ inner logTicks }

func (t exponentTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := t.inner.Ticks(math.Pow(10, lo), math.Pow(10, hi))
	for i := range ticks {
		ticks[i].Value = math.Log10(ticks[i].Value)
	}
	return ticks
}

package progress

import (
	"fmt"
	"html"
	"math"
	"strings"
	"time"
)

// CurveInterval is the least time between two redraws of a live curve (see [NewCurve]): drawing the curve and
// sending it to the notebook costs far more than a text line, and once a second is enough to watch a fit.
var CurveInterval = time.Second

// NewCurve returns a bar that, in a notebook, also draws the training losses so far as a small plot under its
// line: the loss curve growing while the fit trains. Elsewhere it is a plain [New] bar. When the loop ends
// ([Bar.Done]) or stops ([Bar.Stop]), the curve is removed and one line is left, so what remains in the cell
// is the figure the cell draws itself, as on a rerun that loads the fit from the cache.
func NewCurve(label string, total int) *Bar {
	b := New(label, total)
	if b.mode == notebook {
		b.curve = true
		b.losses = make([]float64, 0, total)
	}
	return b
}

// DrawTime is the time the bar has spent drawing (building its HTML and handing it to the notebook): the
// overhead it adds to the loop it reports on.
func (b *Bar) DrawTime() time.Duration {
	if b == nil {
		return 0
	}
	return b.drawTime
}

// record keeps the loss of step done for the curve; steps are reported in order, one call each.
func (b *Bar) record(done int, loss float64) {
	if b.curve && done == len(b.losses)+1 {
		b.losses = append(b.losses, loss)
	}
}

// The live plot's size in pixels and its margins (left for the loss labels, bottom for the epoch labels).
const (
	curveW, curveH       = 560, 220
	curveLeft, curveBot  = 64, 28
	curveTop, curveRight = 10, 12
	maxCurvePoints       = 400 // More points than pixels only make the SVG bigger.
)

// CurveSVG draws losses (one per step, the first at step 1) against the step, out of total, on a log scale:
// the x axis spans all total steps, so the curve grows from left to right as the loop runs.
func CurveSVG(losses []float64, total int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" `+
		`style="max-width:100%%;height:auto;font:12px sans-serif">`, curveW, curveH, curveW, curveH)
	x0, x1 := float64(curveLeft), float64(curveW-curveRight)
	y0, y1 := float64(curveH-curveBot), float64(curveTop)
	fmt.Fprintf(&sb, `<rect x="%g" y="%g" width="%g" height="%g" fill="none" stroke="#999"/>`, x0, y1, x1-x0, y0-y1)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, l := range losses {
		if l > 0 && !math.IsInf(l, 0) {
			lo, hi = min(lo, l), max(hi, l)
		}
	}
	total = max(total, len(losses), 1)
	fmt.Fprintf(&sb, `<text x="%g" y="%d" text-anchor="start">0</text><text x="%g" y="%d" text-anchor="end">%d</text>`+
		`<text x="%g" y="%d" text-anchor="middle">epoch</text>`, x0, curveH-8, x1, curveH-8, total, (x0+x1)/2, curveH-8)
	if lo > hi { // No positive finite loss yet: the frame and the axis only.
		sb.WriteString(`</svg>`)
		return sb.String()
	}
	// Whole decades around the losses, so that the scale moves rarely while the curve grows.
	dLo, dHi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if dHi == dLo {
		dHi++
	}
	y := func(l float64) float64 { return y0 - (math.Log10(l)-dLo)/(dHi-dLo)*(y0-y1) }
	for d := dLo; d <= dHi; d++ {
		fmt.Fprintf(&sb, `<line x1="%g" x2="%g" y1="%.1f" y2="%.1f" stroke="#e5e5e5"/>`+
			`<text x="%g" y="%.1f" text-anchor="end" dominant-baseline="middle">1e%d</text>`,
			x0, x1, y(math.Pow(10, d)), y(math.Pow(10, d)), x0-6, y(math.Pow(10, d)), int(d))
	}
	fmt.Fprintf(&sb, `<text x="14" y="%g" text-anchor="middle" transform="rotate(-90 14 %g)">training loss</text>`,
		(y0+y1)/2, (y0+y1)/2)
	step := max(1, (len(losses)+maxCurvePoints-1)/maxCurvePoints)
	sb.WriteString(`<polyline fill="none" stroke="#d55e00" stroke-width="2" points="`)
	for i := 0; i < len(losses); i += step {
		writePoint(&sb, i, losses, total, x0, x1, y)
	}
	if (len(losses)-1)%step != 0 {
		writePoint(&sb, len(losses)-1, losses, total, x0, x1, y)
	}
	sb.WriteString(`"/></svg>`)
	return sb.String()
}

func writePoint(sb *strings.Builder, i int, losses []float64, total int, x0, x1 float64, y func(float64) float64) {
	l := losses[i]
	if !(l > 0) || math.IsInf(l, 0) {
		return // A log scale has no place for it; the text line shows the value.
	}
	fmt.Fprintf(sb, "%.1f,%.1f ", x0+float64(i+1)/float64(total)*(x1-x0), y(l))
}

// curveHTML is the bar's line with the curve under it.
func (b *Bar) curveHTML(line string, frac float64) string {
	return fmt.Sprintf(`<div style="font-family:monospace"><progress value="%.3f" max="1" style="width:12em"></progress> %s</div>`+
		`<div class="golecture-live-curve" data-epochs="%d">%s</div>`,
		frac, html.EscapeString(line), len(b.losses), CurveSVG(b.losses, b.total))
}

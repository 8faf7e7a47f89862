package lecture

import (
	"fmt"
	"html"
	"math"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/golecture/regularization/pkg/data"
	"github.com/golecture/regularization/pkg/mlp"
	"github.com/golecture/regularization/pkg/plots"
	"github.com/golecture/regularization/pkg/progress"
)

// This file holds the cells that go beyond the lecture: measurements that answer the questions its cells
// raise (how much do ensemble members disagree, is the dropout scaling right, which rate is best, how often
// does a deep network train).

// Spread is what EnsembleSpread measures.
type Spread struct {
	MeanSD, MaxSD, MaxSDAt float64 // Members' standard deviation on the grid: average, largest, and where.
	MembersVal             []float64
	EnsembleVal            float64
}

// EnsembleSpread shows how much the members disagree: each member minus the ensemble average, on the
// plotting grid, and prints the spread and what averaging gains on the validation set.
func EnsembleSpread(members []*mlp.Model, title string) *Spread {
	ds := Data()
	if ds == nil {
		return nil
	}
	each, mean, err := averagePredictions(members, ds.GridX32())
	if err != nil {
		report("ensemble spread", err)
		return nil
	}
	sp := &Spread{}
	diffs := make([][]float64, len(each))
	sd := make([]float64, len(mean))
	n1 := float64(max(len(each)-1, 1)) // Sample standard deviation.
	for i, p := range each {
		diffs[i] = make([]float64, len(p))
		for j, v := range p {
			d := float64(v) - float64(mean[j])
			diffs[i][j] = d
			sd[j] += d * d / n1
		}
	}
	for j := range sd {
		sd[j] = math.Sqrt(sd[j])
		sp.MeanSD += sd[j] / float64(len(sd))
		if sd[j] > sp.MaxSD {
			sp.MaxSD, sp.MaxSDAt = sd[j], ds.GridX[j]
		}
	}
	for _, m := range members {
		s, err := scores(m)
		if err != nil {
			report("ensemble spread", err)
			return nil
		}
		sp.MembersVal = append(sp.MembersVal, s.Val)
	}
	ens, _, err := ensembleScores(members)
	if err != nil {
		report("ensemble spread", err)
		return nil
	}
	sp.EnsembleVal = ens.Val
	minus := make([]float64, len(sd))
	for j := range sd {
		minus[j] = -sd[j]
	}
	fig := plots.New(title).XLabel("x").YLabel("member − average")
	fig.Lines(fmt.Sprintf("each of the %d members minus their average", len(members)), [][]float64{ds.GridX}, diffs, plots.Faint)
	fig.Line("± one standard deviation across members", ds.GridX, sd, plots.Bold, plots.Color(1))
	fig.Line("", ds.GridX, minus, plots.Bold, plots.Color(1))
	fig.Points("training inputs", data.Float64s(ds.TrainX), make([]float64, len(ds.TrainX)))
	show(fig, map[string]any{"plot": title, "spread": sp})

	lo, hi, avg := minMaxMean(sp.MembersVal)
	say("The members' predictions differ from their average by %.3f on average (standard deviation across "+
		"members), and by up to %.3f (at x = %.2f).\nValidation MSE: members %.5f to %.5f (mean %.5f); their "+
		"average %.5f, %.1f%% below the members' mean.\n",
		sp.MeanSD, sp.MaxSD, sp.MaxSDAt, lo, hi, avg, sp.EnsembleVal, 100*(avg-sp.EnsembleVal)/avg)
	return sp
}

func minMaxMean(xs []float64) (lo, hi, mean float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		lo, hi, mean = math.Min(lo, x), math.Max(hi, x), mean+x/float64(len(xs))
	}
	return lo, hi, mean
}

// ScalingCheck is one input of DropoutCheck.
type ScalingCheck struct {
	X, Prediction, Mean, StdErr float64
}

// DropoutCheck answers, on a trained dropout model, whether prediction with scaled activations equals the
// average of many training passes (fresh dropout masks each): it prints both at a few inputs, with the
// difference in standard errors.
func DropoutCheck(m *mlp.Model, draws int) []ScalingCheck {
	if m == nil {
		report("dropout check", errNoModel)
		return nil
	}
	xs := []float32{-1.5, -1, -0.5, 0, 0.5, 1, 1.5}
	pred, err := predict(m, xs)
	if err != nil {
		report("dropout check", err)
		return nil
	}
	mean, se, err := meanTrainingOutput(m, xs, draws, 99)
	if err != nil {
		report("dropout check", err)
		return nil
	}
	var out []ScalingCheck
	worst := 0.0
	var text, cells strings.Builder
	fmt.Fprintf(&text, "%6s %12s %26s %12s\n", "x", "prediction", fmt.Sprintf("mean of %d passes", draws), "difference")
	for i, x := range xs {
		c := ScalingCheck{X: float64(x), Prediction: float64(pred[i]), Mean: mean[i], StdErr: se[i]}
		z := (c.Mean - c.Prediction) / c.StdErr
		worst = math.Max(worst, math.Abs(z))
		fmt.Fprintf(&text, "%+6.1f %12.5f %16.5f ± %.5f %+9.1f SE\n", x, c.Prediction, c.Mean, c.StdErr, z)
		fmt.Fprintf(&cells, "<tr><td>%+.1f</td><td>%.5f</td><td>%.5f ± %.5f</td><td>%+.1f</td></tr>",
			x, c.Prediction, c.Mean, c.StdErr, z)
		out = append(out, c)
	}
	title := fmt.Sprintf("Scaled prediction against the mean of %d training passes", draws)
	display(fmt.Sprintf(`<table><caption style="font-weight:bold">%s</caption><tr><th>x</th><th>prediction</th>`+
		`<th>mean of passes ± standard error</th><th>difference (standard errors)</th></tr>%s</table>`,
		html.EscapeString(title), cells.String()), title+"\n"+text.String(),
		map[string]any{"table": "dropout check", "rows": out, "max_se": worst})
	if worst < 3 {
		say("Largest difference %.1f standard errors: scaled prediction and the average of training passes agree.\n", worst)
	} else {
		say("Largest difference %.1f standard errors: more than chance. Scaling is exact for a unit's own "+
			"contribution, but a deep network applies ReLUs to sums of dropped units, and the average of a ReLU is "+
			"not the ReLU of the average; so scaled prediction approximates the mean of the thinned networks.\n", worst)
	}
	return out
}

// SweepRow is one rate of DropoutSweep.
type SweepRow struct {
	Rate float64
	Ours Scores
}

// DropoutSweep fits build(rate) for each rate (through the fit cache) and plots training and validation MSE
// against the rate.
func DropoutSweep(build func(rate float64) *mlp.Spec, rates []float64) []SweepRow {
	ds := Data()
	if ds == nil || build == nil || len(rates) == 0 {
		report("dropout sweep", fmt.Errorf("need a network builder and at least one rate"))
		return nil
	}
	var rows []SweepRow
	var xs, tr, va []float64
	bar := progress.Counter("dropout sweep", "rate", len(rates))
	for i, r := range rates {
		spec := build(r)
		if spec == nil {
			report("dropout sweep", fmt.Errorf("the builder returned no spec for rate %g", r))
			return nil
		}
		s, err := fitScores(spec, fmt.Sprintf("rate %g (%d of %d): fit %s", r, i+1, len(rates), spec.Architecture()))
		if err != nil {
			report("dropout sweep", err)
			return nil
		}
		rows = append(rows, SweepRow{Rate: r, Ours: s})
		xs, tr, va = append(xs, r), append(tr, s.Train), append(va, s.Val)
		bar.Update(i+1, 0)
	}
	bar.Done()
	title := "Training and validation MSE against the dropout rate"
	fig := plots.New(title).XLabel("dropout rate").YLabel("mean squared error")
	fig.Line("training MSE", xs, tr).Points("", xs, tr, plots.Color(0))
	fig.Line("validation MSE", xs, va).Points("", xs, va, plots.Color(1))
	show(fig, map[string]any{"plot": title, "rows": rows})
	var sb strings.Builder
	fmt.Fprintf(&sb, "%6s %10s %10s\n", "rate", "train MSE", "val MSE")
	best := 0
	for i, r := range rows {
		fmt.Fprintf(&sb, "%6.2f %10.5f %10.5f\n", r.Rate, r.Ours.Train, r.Ours.Val)
		if r.Ours.Val < rows[best].Ours.Val {
			best = i
		}
	}
	fmt.Fprintf(&sb, "Lowest validation MSE at rate %g.\n", rows[best].Rate)
	say("%s", sb.String())
	return rows
}

// DepthRow is one depth of DepthShare.
type DepthRow struct {
	Depth, Seeds, Trained int
}

// DepthShare fits networks of width units per layer at each depth with seeds 1..seeds (through the fit
// cache) and plots the share that trained (validation MSE below half the targets' variance) against depth.
func DepthShare(depths []int, width, seeds int) []DepthRow {
	ds := Data()
	if ds == nil {
		return nil
	}
	if len(depths) == 0 || seeds < 1 || seeds > 1000 {
		report("depth share", fmt.Errorf("%d depths, %d seeds: need at least one depth and 1 to 1000 seeds", len(depths), seeds))
		return nil
	}
	variance := data.Variance(ds.ValY)
	var rows []DepthRow
	var xs, share []float64
	var text, cells strings.Builder
	fmt.Fprintf(&text, "%6s %8s %8s\n", "depth", "trained", "of")
	bar := progress.Counter("depth curve", "fit", len(depths)*seeds)
	for di, d := range depths {
		hidden := Widths(d, width)
		if hidden == nil {
			return nil
		}
		row := DepthRow{Depth: d, Seeds: seeds}
		for s := 1; s <= seeds; s++ {
			spec := mlp.New(hidden...).Seeds(mlp.DrawSeeds(uint64(s), d))
			sc, err := fitScores(spec, fmt.Sprintf("depth %d, seed %d of %d: fit %s", d, s, seeds, spec.Architecture()))
			if err != nil {
				report("depth share", err)
				return nil
			}
			if sc.Val < 0.5*variance {
				row.Trained++
			}
			bar.Update(di*seeds+s, 0)
		}
		rows = append(rows, row)
		xs, share = append(xs, float64(d)), append(share, float64(row.Trained)/float64(seeds))
		fmt.Fprintf(&text, "%6d %8d %8d\n", d, row.Trained, seeds)
		fmt.Fprintf(&cells, "<tr><td>%d</td><td>%d of %d</td></tr>", d, row.Trained, seeds)
	}
	bar.Done()
	title := fmt.Sprintf("Share of %d seeds that train, by depth (%d units per layer)", seeds, width)
	fig := plots.New(title).XLabel("hidden layers").YLabel("share that trained")
	fig.Line("share of seeds", xs, share).Points("", xs, share, plots.Color(0))
	show(fig, map[string]any{"plot": title, "rows": rows})
	display(`<table><tr><th>hidden layers</th><th>seeds that trained</th></tr>`+cells.String()+`</table>`,
		text.String(), nil)
	return rows
}

// TrainingTensors returns the lecture's training inputs and targets as [50, 1] tensors, for graphs written
// by hand.
func TrainingTensors() (x, y *tensors.Tensor) {
	ds := Data()
	if ds == nil {
		return nil, nil
	}
	return tensors.FromFlatDataAndDimensions(ds.TrainX, len(ds.TrainX), 1),
		tensors.FromFlatDataAndDimensions(ds.TrainY, len(ds.TrainY), 1)
}

// StartTensors returns m's weights as tensors (kernel and bias of each dense layer in turn) and as many
// zero tensors of the same shapes, the starting moments of Adam.
func StartTensors(m *mlp.Model) (weights, zeros []*tensors.Tensor) {
	if m == nil {
		report("start tensors", errNoModel)
		return nil, nil
	}
	for _, w := range m.Weights {
		weights = append(weights, tensors.FromFlatDataAndDimensions(w.Kernel, w.In, w.Out),
			tensors.FromFlatDataAndDimensions(w.Bias, w.Out))
		zeros = append(zeros, tensors.FromShape(shapes.Make(dtypes.Float32, w.In, w.Out)),
			tensors.FromShape(shapes.Make(dtypes.Float32, w.Out)))
	}
	return weights, zeros
}

// CompareLosses prints how far the per-epoch training losses of a hand-written training loop are from those
// the package recorded for the same fit (m, fitted WithHistory), as the largest relative difference.
func CompareLosses(ours []float64, m *mlp.Model) float64 {
	if m == nil || m.History == nil {
		report("compare losses", fmt.Errorf("need the package's fit with its history: lecture.Fit(spec.WithHistory())"))
		return math.NaN()
	}
	theirs := m.History.Loss
	if len(ours) != len(theirs) {
		report("compare losses", fmt.Errorf("%d losses against the package's %d: train for as many epochs", len(ours), len(theirs)))
		return math.NaN()
	}
	worst := 0.0
	for i := range ours {
		worst = math.Max(worst, math.Abs(ours[i]-theirs[i])/math.Abs(theirs[i]))
	}
	n := len(ours)
	var text, cells strings.Builder
	fmt.Fprintf(&text, "%8s %14s %14s\n", "epoch", "written out", "package")
	for _, i := range []int{0, 1, 2, n/2 - 1, n - 1} {
		fmt.Fprintf(&text, "%8d %14.8f %14.8f\n", i+1, ours[i], theirs[i])
		fmt.Fprintf(&cells, "<tr><td>%d</td><td>%.8f</td><td>%.8f</td></tr>", i+1, ours[i], theirs[i])
	}
	display(`<table><tr><th>epoch</th><th>training loss, written out</th><th>training loss, package</th></tr>`+
		cells.String()+`</table>`, text.String(),
		map[string]any{"table": "losses written out", "max_rel_diff": worst, "epochs": n})
	say("Largest relative difference over %d epochs: %.2g.\n", n, worst)
	return worst
}

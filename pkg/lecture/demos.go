package lecture

import (
	"fmt"
	"html"
	"strings"

	"github.com/golecture/regularization/pkg/data"
	"github.com/golecture/regularization/pkg/mlp"
	"github.com/golecture/regularization/pkg/progress"
	"github.com/golecture/regularization/pkg/runner"
)

// Summary prints m's Keras-style summary.
func Summary(m *mlp.Model) {
	if m == nil {
		report("summary", errNoModel)
		return
	}
	say("%s", m.Summary())
}

// Kernels prints the model's kernels (weight matrices) and their shapes.
func Kernels(m *mlp.Model) {
	if m == nil {
		report("kernels", errNoModel)
		return
	}
	say("%s\n", strings.Join(m.Kernels(), "\n"))
}

// Gradients computes the gradient of the training loss with respect to every layer's kernel at m's current
// weights.
func Gradients(m *mlp.Model) *mlp.Gradients {
	ds := Data()
	if ds == nil {
		return nil
	}
	if m == nil {
		report("gradients", errNoModel)
		return nil
	}
	g, err := remember("gradients", func() (*mlp.Gradients, error) {
		return m.Gradients(ds.TrainX, ds.TrainY)
	}, fingerprint(m), dataDigest())
	if err != nil {
		report("gradients", err)
		return nil
	}
	return g
}

var errNoGradients = fmt.Errorf("no gradients: the lecture.Gradients call before this one failed (see its error)")

// PrintGradients prints the kernel gradients of the first `first` and the last `last` layers in abbreviated
// form, with one line standing for the layers in between, like the lecture's printout.
func PrintGradients(g *mlp.Gradients, first, last int) {
	if g == nil || len(g.Kernels) == 0 {
		report("print gradients", errNoGradients)
		return
	}
	n := len(g.Kernels)
	if first < 0 || last < 0 || first+last > n {
		report("print gradients", fmt.Errorf("first = %d, last = %d: need two counts >= 0 that add up to at most "+
			"the %d layers", first, last, n))
		return
	}
	var sb strings.Builder
	for i, k := range g.Kernels {
		switch {
		case i < first || i >= n-last:
			sb.WriteString(k.String())
		case i == first:
			fmt.Fprintf(&sb, "... %d layers left out ...\n", n-first-last)
		}
	}
	say("%s", sb.String())
}

// PrintMaxGradients prints the largest kernel gradient of each layer: signed (as numpy's max) and absolute.
func PrintMaxGradients(g *mlp.Gradients) {
	if g == nil || len(g.Kernels) == 0 {
		report("print gradients", errNoGradients)
		return
	}
	mx, ma := g.MaxByLayer(), g.MaxAbsByLayer()
	var sb strings.Builder
	fmt.Fprintf(&sb, "%-16s %14s %14s\n", "layer", "max", "max |grad|")
	for i := range mx {
		fmt.Fprintf(&sb, "%-16s %14.7e %14.7e\n", g.Kernels[i].Name, mx[i], ma[i])
	}
	say("%s", sb.String())
}

// DropoutMasks prints three Bernoulli samples like the lecture's: a 4x1 column and two 4x4 matrices, each
// entry 1 with probability rate (a dropped unit).
func DropoutMasks(seed uint64, rate float64) {
	var sb strings.Builder
	for i, shape := range [][2]int{{4, 1}, {4, 4}, {4, 4}} {
		mask, err := mlp.BernoulliMask(seed+uint64(i), rate, shape[0], shape[1])
		if err != nil {
			report("dropout mask", err)
			return
		}
		fmt.Fprintf(&sb, "sample %d: %v\n", i+1, mask)
	}
	say("%s", sb.String())
}

// expectationDraws is how many training passes DropoutExpectation averages: enough for a standard error
// near 0.0003 at the inputs it shows.
const expectationDraws = 20000

// DropoutExpectation shows that both dropout conventions keep a unit's expected contribution the same in
// training and prediction: for a one-hidden-layer network, it averages many training passes (fresh masks
// each) and compares them with the prediction, at a few inputs.
func DropoutExpectation(rate float64) {
	xs := []float32{-1.5, -0.5, 0.5, 1.5}
	for i, mode := range []mlp.DropoutMode{mlp.Inverted, mlp.ScaleAtPredict} {
		spec := mlp.Sequential(mlp.Dense(512, mlp.ReLU), mlp.Dropout(rate), mlp.Dense(1, mlp.Linear)).Masks(mode, 1)
		m, err := mlp.Initial(spec)
		if err != nil {
			report("dropout", err)
			return
		}
		pred, err := predict(m, xs)
		if err != nil {
			report("dropout", err)
			return
		}
		mean, se, err := meanTrainingOutput(m, xs, expectationDraws, int64(7+i)) // Each convention its own masks.
		if err != nil {
			report("dropout", err)
			return
		}
		var sb strings.Builder
		fmt.Fprintf(&sb, "%s dropout, rate %.2f (keep probability %.2f):\n", mode, rate, 1-rate)
		for i, x := range xs {
			fmt.Fprintf(&sb, "  x = %+.1f   mean of %d training passes %+.5f ± %.5f   prediction %+.5f\n",
				x, expectationDraws, mean[i], se[i], pred[i])
		}
		say("%s", sb.String())
	}
}

// SeedResult is one row of a seed sweep.
type SeedResult struct {
	Seed          uint64
	Ours          Scores
	FirstLayerMax float64 // Largest |gradient| of the first layer's kernel after training.
	Stuck         bool    // Validation MSE above half the targets' variance: no better than a constant.
}

// SeedSweep fits a depth x width network with each seed (quietly, through the fit cache) and shows, per
// seed, the scores and the first layer's largest gradient, to show how much the outcome of a deep fit
// depends on its initialization.
func SeedSweep(depth, width int, seeds []uint64) []SeedResult {
	ds := Data()
	hidden := Widths(depth, width)
	if ds == nil || hidden == nil {
		return nil
	}
	variance := data.Variance(ds.ValY)
	var out []SeedResult
	var text, rows strings.Builder
	fmt.Fprintf(&text, "%6s %10s %10s %22s  %s\n", "seed", "train MSE", "val MSE", "first layer max|grad|", "outcome")
	stuck := 0
	bar := progress.Counter(fmt.Sprintf("seed sweep of %dx%d", depth, width), "seed", len(seeds))
	for i, s := range seeds {
		spec := mlp.New(hidden...).Seeds(mlp.DrawSeeds(s, depth))
		label := fmt.Sprintf("seed %d (%d of %d): fit %s", s, i+1, len(seeds), spec.Architecture())
		fit, err := remember("seed sweep fit", func() (seedFit, error) {
			m, sc, err := fitAndScore(spec, label)
			if err != nil {
				return seedFit{}, err
			}
			g, err := m.Gradients(ds.TrainX, ds.TrainY)
			if err != nil {
				return seedFit{}, err
			}
			return seedFit{sc, g.MaxAbsByLayer()[0]}, nil
		}, runner.Key(spec, ds, backendIdentity()))
		if err != nil {
			report("seed sweep", err)
			return nil
		}
		sc := fit.Scores
		r := SeedResult{Seed: s, Ours: sc, FirstLayerMax: fit.FirstLayerMax, Stuck: sc.Val > 0.5*variance}
		outcome := "trained"
		if r.Stuck {
			outcome = "stuck near a constant"
			stuck++
		}
		out = append(out, r)
		fmt.Fprintf(&text, "%6d %10.5f %10.5f %22.3e  %s\n", s, sc.Train, sc.Val, r.FirstLayerMax, outcome)
		fmt.Fprintf(&rows, "<tr><td>%d</td><td>%.5f</td><td>%.5f</td><td>%.3e</td><td>%s</td></tr>",
			s, sc.Train, sc.Val, r.FirstLayerMax, outcome)
		bar.Update(i+1, 0)
	}
	bar.Done()
	summary := fmt.Sprintf("%d of %d seeds stuck.", stuck, len(seeds))
	title := fmt.Sprintf("%d hidden layers of %d units, %d epochs each; a constant prediction scores %.4f",
		depth, width, mlp.DefaultEpochs, variance)
	display(fmt.Sprintf(`<table><caption style="font-weight:bold">%s</caption><tr><th>seed</th><th>train MSE</th>`+
		`<th>validation MSE</th><th>first layer max |grad|</th><th>outcome</th></tr>%s</table><p>%s</p>`,
		html.EscapeString(title), rows.String(), summary),
		title+"\n"+text.String()+summary+"\n",
		map[string]any{"table": "seed sweep", "depth": depth, "width": width, "rows": out, "stuck": stuck})
	return out
}

package lecture

import (
	"errors"
	"fmt"
	"strings"

	"github.com/golecture/regularization/pkg/data"
	"github.com/golecture/regularization/pkg/mlp"
	"github.com/golecture/regularization/pkg/plots"
	"github.com/golecture/regularization/pkg/progress"
)

// Part 1 of the lecture: vanishing gradients. Deeper stacks of narrow layers, the failed network's summary,
// kernels and gradients, and what other seeds do.

// Kernels prints the model's kernels (weight matrices) and their shapes.
func Kernels(m *mlp.Model) {
	if err := usable(m); err != nil {
		report("kernels", err)
		return
	}
	say("%s\n", strings.Join(m.Kernels(), "\n"))
}

// Gradients computes the gradient of the training loss with respect to every layer's kernel at m's current
// weights.
func Gradients(m *mlp.Model) *mlp.LayerGradients {
	v, err := gradients(m)
	return check("gradients", v, err)
}

// PrintGradients prints the kernel gradients of the first `first` and the last `last` layers in abbreviated
// form, with one line standing for the layers in between, like the lecture's printout.
func PrintGradients(g *mlp.LayerGradients, first, last int) {
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
func PrintMaxGradients(g *mlp.LayerGradients) {
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

// PlotGradients draws, on a log scale, the largest |gradient| of each layer's kernel from input to output,
// one line per model (labelled by the model), so vanishing and exploding gradients show at a glance.
func PlotGradients(models ...*mlp.Model) { check("plot gradients", 0, plotGradients(models)) }

func plotGradients(models []*mlp.Model) error {
	f, err := gradientsFigure(models)
	if err != nil {
		return err
	}
	return f.show()
}

// gradientsFigure is PlotGradients' figure.
func gradientsFigure(models []*mlp.Model) (figure, error) {
	if err := usableAll(models); err != nil {
		return figure{}, err
	}
	fig := plots.New("Largest kernel gradient in each layer").
		XLabel("layer (1 = first hidden layer, last = output)").YLabel("max |∂J/∂w| (log scale)").LogY()
	maxima := map[string][]float64{}
	var alt, labels []string
	for i, m := range models {
		g, err := gradients(m)
		if err != nil {
			return figure{}, fmt.Errorf("%s: %w", describe(m), err)
		}
		mx := g.MaxAbsByLayer()
		label := describe(m)
		maxima[label] = mx
		labels = append(labels, label)
		xs, ys := make([]float64, 0, len(mx)), make([]float64, 0, len(mx))
		for l, v := range mx {
			if v > 0 { // A layer of exactly-zero gradients has no place on a log axis.
				xs, ys = append(xs, float64(l+1)), append(ys, v)
			}
		}
		fig.Line(label, xs, ys)
		fig.Points("", xs, ys, plots.Color(i))
		alt = append(alt, fmt.Sprintf("%s: from %.1e at the first layer to %.1e at the output", label, mx[0], mx[len(mx)-1]))
	}
	return figure{id: "gradients: " + strings.Join(labels, " | "), fig: fig, data: map[string]any{"max_abs_grad_by_layer": maxima},
		alt: "Largest kernel gradient per layer, log scale. " + strings.Join(alt, "; ") + "."}, nil
}

// SeedResult is one row of a seed sweep.
type SeedResult struct {
	Seed          uint64
	Ours          Scores
	FirstLayerMax float64 // Largest |gradient| of the first layer's kernel after training.
	Stuck         bool    // Validation MSE above half the targets' variance: no better than a constant.
}

// SeedSweep fits spec with each seed (quietly, through the fit cache) and shows, per seed, the scores and
// the first layer's largest gradient after training: how much a deep fit's outcome depends on its start.
func SeedSweep(spec *mlp.Spec, seeds []uint64) []SeedResult {
	v, err := seedSweep(spec, seeds)
	return check("seed sweep", v, err)
}

func seedSweep(spec *mlp.Spec, seeds []uint64) ([]SeedResult, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if len(seeds) == 0 {
		return nil, errors.New("no seeds: pass a list such as []uint64{1, 2, 3}")
	}
	ds := Data()
	t := &Table{ID: "seed sweep", Columns: []string{"seed", "train MSE", "validation MSE", "first layer max |grad|", "outcome"}}
	var out []SeedResult
	stuckCount := 0
	bar := progress.Counter("seed sweep of "+spec.Architecture(), "seed", len(seeds))
	for i, s := range seeds {
		one := spec.Clone().Seed(s)
		label := fmt.Sprintf("seed %d (%d of %d): fit %s", s, i+1, len(seeds), one.Architecture())
		fit, err := fitFirstLayer(one, label)
		if err != nil {
			return nil, err
		}
		r := SeedResult{Seed: s, Ours: fit.Scores, FirstLayerMax: fit.FirstLayerMax, Stuck: stuck(fit.Scores)}
		outcome := "trained"
		if r.Stuck {
			outcome = "stuck near a constant"
			stuckCount++
		}
		out = append(out, r)
		t.Rows = append(t.Rows, []string{fmt.Sprint(s), f5(r.Ours.Train), f5(r.Ours.Val),
			fmt.Sprintf("%.3e", r.FirstLayerMax), outcome})
		bar.Update(i+1, 0)
	}
	bar.Done()
	t.Title = fmt.Sprintf("%s, %d epochs, by seed; a constant prediction scores %.4f", spec.Architecture(),
		spec.Settings().NumEpochs, data.Variance(ds.ValY))
	t.Note = fmt.Sprintf("%d of %d seeds stuck.", stuckCount, len(seeds))
	t.Data = map[string]any{"rows": out, "stuck": stuckCount}
	t.show()
	return out, nil
}

// seedFit is what the seed sweep shows of one fit.
type seedFit struct {
	Scores        Scores
	FirstLayerMax float64
}

func fitFirstLayer(spec *mlp.Spec, label string) (seedFit, error) {
	return remember("seed sweep fit", func() (seedFit, error) {
		m, err := fitQuietly(spec, label)
		if err != nil {
			return seedFit{}, err
		}
		sc, err := scores(m)
		if err != nil {
			return seedFit{}, err
		}
		g, err := gradients(m)
		if err != nil {
			return seedFit{}, err
		}
		return seedFit{sc, g.MaxAbsByLayer()[0]}, nil
	}, fitKey(spec))
}

var errNoGradients = errors.New("no gradients: the lecture.Gradients call before this one failed (see its error)")

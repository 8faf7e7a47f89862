// Package lecture is what the notebooks call: one short function per lecture cell, over the packages that do
// the work (data, mlp, plots, fitcache).
//
// Functions here never panic and never return errors to a notebook: on bad input they print one line saying
// what was wrong and how to fix it, and return nil or zero values, which the other functions accept and
// skip. Every fit goes through the fit cache, so rerunning a cell, or any later cell, reloads models instead
// of training them again.
//
// A typical cell:
//
//	var model256 = lecture.Fit(mlp.New(256, 256, 256, 256, 256).Seeds(mlp.DrawSeeds(65392, 5)).WithHistory())
//
//	%%
//	lecture.PlotFit(model256, "5 x 256, 1000 epochs", false)
package lecture

import (
	"fmt"
	"os"
	"sync"

	"github.com/golecture/regularization/pkg/backend"
	"github.com/golecture/regularization/pkg/data"
	"github.com/golecture/regularization/pkg/fitcache"
	"github.com/golecture/regularization/pkg/mlp"
)

// GoNB runs every cell as a new program; announcing the backend in each would clutter every output, so
// the announcement is left to Setup.
func init() { backend.Quiet = true }

// Setup prints which backend runs and why, and where fits are cached: the first cell of each notebook.
func Setup() {
	fmt.Println(backend.Describe())
	c := fitcache.Default()
	fmt.Printf("%s (%d fits so far; lecture.ClearCache() empties it)\n", c, c.Len())
}

// DescribeData prints the sizes of the data set, its noise level and the variance of its targets.
func DescribeData() {
	ds := Data()
	if ds == nil {
		return
	}
	fmt.Printf("%d training points, %d validation points, inputs uniform on [%g, %g], noise sd %g\n",
		len(ds.TrainX), len(ds.ValX), ds.Spec.Lo, ds.Spec.Hi, ds.Spec.NoiseSD)
	fmt.Printf("MSE of the true function itself on the validation set (the noise floor): %.4f\n", noiseFloor(ds))
	fmt.Printf("MSE of predicting a constant (the validation targets' variance): %.4f\n", data.Variance(ds.ValY))
	record("val_variance", data.Variance(ds.ValY))
}

func noiseFloor(ds *data.Dataset) float64 {
	var s float64
	for i, x := range ds.ValX {
		d := float64(ds.ValY[i]) - data.TrueFunction(float64(x))
		s += d * d
	}
	return s / float64(len(ds.ValX))
}

// Initial returns cfg's network before any training, for looking at its gradients at the start.
func Initial(cfg *mlp.Config) *mlp.Model {
	if cfg == nil {
		return nil
	}
	m, err := cfg.Initial()
	if err != nil {
		report("initial model", err)
		return nil
	}
	return m
}

// report prints err as one line on standard output (where a notebook shows it next to the cell's output).
func report(what string, err error) {
	fmt.Fprintf(os.Stdout, "error: %s: %v\n", what, err)
}

var (
	dataOnce sync.Once
	dataSet  *data.Dataset
)

// Data returns the lecture's data set (data.Lecture()), generated once per program run.
func Data() *data.Dataset {
	dataOnce.Do(func() {
		var err error
		if dataSet, err = data.Generate(data.Lecture()); err != nil {
			report("generating data", err)
		}
	})
	return dataSet
}

// Fit runs cfg on the lecture's data (or loads it from the fit cache). On error it prints one line and
// returns nil; the plotting and scoring functions skip a nil model.
func Fit(cfg *mlp.Config) *mlp.Model {
	ds := Data()
	if ds == nil || cfg == nil {
		return nil
	}
	m, err := cfg.Fit(ds)
	if err != nil {
		report("fit "+cfg.Architecture(), err)
		if m == nil {
			return nil
		}
	}
	return m
}

// Ensemble fits k members of cfg with seeds drawn from seed (see mlp.Config.Ensemble). Members already
// fitted are kept even if a later one fails.
func Ensemble(cfg *mlp.Config, k int, seed uint64) []*mlp.Model {
	ds := Data()
	if ds == nil || cfg == nil {
		return nil
	}
	ms, err := cfg.Ensemble(ds, k, seed)
	if err != nil {
		report("ensemble", err)
	}
	return ms
}

// Scores are a model's mean squared errors on the training and validation sets.
type Scores struct {
	Train, Val float64
}

// Evaluate scores m on the lecture's training and validation sets and prints both, as Keras' evaluate does.
func Evaluate(m *mlp.Model) Scores {
	s, ok := scores(m)
	if ok {
		fmt.Printf("training MSE %.5f   validation MSE %.5f\n", s.Train, s.Val)
	}
	return s
}

func scores(m *mlp.Model) (Scores, bool) {
	ds := Data()
	if m == nil || ds == nil {
		return Scores{}, false
	}
	tr, err := m.Evaluate(ds.TrainX, ds.TrainY)
	if err != nil {
		report("evaluate", err)
		return Scores{}, false
	}
	va, err := m.Evaluate(ds.ValX, ds.ValY)
	if err != nil {
		report("evaluate", err)
		return Scores{}, false
	}
	return Scores{Train: tr, Val: va}, true
}

// EnsembleScores scores the average prediction of members, and returns the members' mean scores too.
func EnsembleScores(members []*mlp.Model) (ensemble, meanOfMembers Scores) {
	ds := Data()
	if len(members) == 0 || ds == nil {
		return
	}
	for _, m := range members {
		s, ok := scores(m)
		if !ok {
			return
		}
		meanOfMembers.Train += s.Train / float64(len(members))
		meanOfMembers.Val += s.Val / float64(len(members))
	}
	_, avgTrain, err := mlp.AveragePredictions(members, ds.TrainX)
	if err != nil {
		report("ensemble", err)
		return
	}
	_, avgVal, err := mlp.AveragePredictions(members, ds.ValX)
	if err != nil {
		report("ensemble", err)
		return
	}
	return Scores{Train: mlp.MSE(avgTrain, ds.TrainY), Val: mlp.MSE(avgVal, ds.ValY)}, meanOfMembers
}

// Summary prints m's Keras-style summary.
func Summary(m *mlp.Model) {
	if m != nil {
		fmt.Print(m.Summary())
	}
}

// Kernels prints the model's weight variables and their shapes.
func Kernels(m *mlp.Model) {
	if m == nil {
		return
	}
	for _, v := range m.Kernels() {
		fmt.Println(v)
	}
}

// Gradients computes the gradient of the training loss with respect to every layer's weights at m's
// current weights.
func Gradients(m *mlp.Model) *mlp.Gradients {
	ds := Data()
	if m == nil || ds == nil {
		return nil
	}
	g, err := m.Gradients(ds.TrainX, ds.TrainY)
	if err != nil {
		report("gradients", err)
		return nil
	}
	return g
}

// PrintGradients prints the kernel gradients of the first and last few layers in abbreviated form (the
// middle ones are summarised by a line), like the lecture's printout.
func PrintGradients(g *mlp.Gradients, first, last int) {
	if g == nil {
		return
	}
	n := len(g.Kernels)
	for i, k := range g.Kernels {
		switch {
		case i < first || i >= n-last:
			fmt.Print(k)
		case i == first:
			fmt.Printf("... %d layers left out ...\n", n-first-last)
		}
	}
}

// PrintMaxGradients prints the largest kernel gradient of each layer: signed (as numpy's max) and absolute.
func PrintMaxGradients(g *mlp.Gradients) {
	if g == nil {
		return
	}
	mx, ma := g.MaxByLayer(), g.MaxAbsByLayer()
	fmt.Printf("%-16s %14s %14s\n", "layer", "max", "max |grad|")
	for i := range mx {
		fmt.Printf("%-16s %14.7e %14.7e\n", g.Kernels[i].Name, mx[i], ma[i])
	}
}

// DropoutMasks prints three Bernoulli samples like the lecture's: a 4x1 column and two 4x4 matrices, each
// entry 1 with probability rate (a dropped unit).
func DropoutMasks(seed uint64, rate float64) {
	for i, shape := range [][2]int{{4, 1}, {4, 4}, {4, 4}} {
		mask, err := mlp.BernoulliMask(seed+uint64(i), rate, shape[0], shape[1])
		if err != nil {
			report("dropout mask", err)
			return
		}
		fmt.Printf("sample %d: %v\n", i+1, mask)
	}
}

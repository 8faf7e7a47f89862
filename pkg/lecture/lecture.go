// Package lecture is what the notebooks call: one short function per lecture cell, over the packages that do
// the work (data, mlp, runner, plots, fitcache). It is split by idea: fits (this file), scores and tables
// (scores.go), the demonstrations of dropout and gradients (demos.go), plots (plots.go) and the cache
// command (cache.go).
//
// Functions here never panic and never return errors to a notebook: on bad input they print one line saying
// what was wrong and how to fix it, and return nil or zero values, which the other functions accept and
// report. Every fit goes through the fit cache, so rerunning a cell, or any later cell, reloads models instead
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
	"sync"

	"github.com/golecture/regularization/pkg/backend"
	"github.com/golecture/regularization/pkg/data"
	"github.com/golecture/regularization/pkg/mlp"
	"github.com/golecture/regularization/pkg/runner"
)

// GoNB runs every cell as a new program; announcing the backend in each would clutter every output, so
// the announcement is left to Setup.
func init() { backend.Quiet = true }

// Setup prints which backend runs (without machine paths, so handouts carry none): the first cell of each
// notebook. When no backend can start, it prints the full reason instead.
func Setup() {
	if _, err := backend.Get(); err != nil {
		report("backend", err)
		return
	}
	say("%s\n", backend.Summary())
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

// Fit trains spec on the lecture's data (or loads it from the fit cache). On error it prints one line and
// returns nil; the plotting and scoring functions report a nil model instead of drawing it.
func Fit(spec *mlp.Spec) *mlp.Model {
	ds := Data()
	if ds == nil {
		return nil
	}
	if spec == nil {
		report("fit", fmt.Errorf("the spec is nil: start one with mlp.New(widths...) or mlp.Sequential(layers...)"))
		return nil
	}
	d := declare("fit "+spec.Architecture(), "fit\x00"+spec.Key())
	if d.skip() {
		return nil
	}
	stop, unwatch := d.stop()
	m, err := runner.Fit(spec, ds, runner.Options{Cache: cache(), Stop: stop})
	unwatch()
	d.done(m != nil, err) // Ends the program if the user interrupted the fit.
	if err != nil {
		report("fit "+spec.Architecture(), err)
	}
	noticeCache()
	return m
}

// Ensemble fits k members of spec with seeds drawn from seed (see runner.Ensemble). Members already fitted
// are kept even if a later one fails.
func Ensemble(spec *mlp.Spec, k int, seed uint64) []*mlp.Model {
	ds := Data()
	if ds == nil {
		return nil
	}
	if spec == nil {
		report("ensemble", fmt.Errorf("the spec is nil: start one with mlp.New(widths...)"))
		return nil
	}
	d := declare(fmt.Sprintf("ensemble of %d x %s", k, spec.Architecture()),
		fmt.Sprintf("ensemble\x00%d\x00%d\x00%s", k, seed, spec.Key()))
	if d.skip() {
		return nil
	}
	stop, unwatch := d.stop()
	ms, err := runner.Ensemble(spec, ds, k, seed, runner.Options{Cache: cache(), Stop: stop})
	unwatch()
	d.done(len(ms) > 0, err) // Ends the program if the user interrupted a member's fit.
	if err != nil {
		report("ensemble", err)
	}
	noticeCache()
	return ms
}

// fitAndScore fits spec quietly under the given progress label (through the fit cache) and scores it: the
// step every sweep repeats.
func fitAndScore(spec *mlp.Spec, label string) (*mlp.Model, Scores, error) {
	m, err := runner.Fit(spec, Data(), runner.Options{Cache: cache(), Label: label})
	if err != nil {
		return nil, Scores{}, err
	}
	s, err := scores(m)
	return m, s, err
}

// Initial returns spec's network before any training, for looking at its gradients at the start.
func Initial(spec *mlp.Spec) *mlp.Model {
	m, err := mlp.Initial(spec)
	if err != nil {
		report("initial model", err)
		return nil
	}
	return m
}

// Widths returns n copies of width: the hidden layers of a uniform network. A depth outside [1,
// mlp.MaxDepth] is reported and gives nil, which mlp.New then rejects.
func Widths(n, width int) []int {
	if n < 1 || n > mlp.MaxDepth {
		report("widths", fmt.Errorf("%d layers: need between 1 and %d", n, mlp.MaxDepth))
		return nil
	}
	out := make([]int, n)
	for i := range out {
		out[i] = width
	}
	return out
}

// Package lecture is what the notebooks call: one short function per lecture cell, over the packages that do
// the work (data, mlp, runner, plots, fitcache). Its files follow the lecture:
//
//   - lecture.go: fits, ensembles and the data (every cell's inputs);
//   - models.go: what every part computes from models (scores, labels, score tables, ensembles, gradients);
//   - part0.go: part 0, regularization (plots of fits, the remedies' figures, dropout);
//   - part1.go: part 1, vanishing gradients (kernels, gradients, seeds);
//   - beyond.go: what goes beyond the lecture (spread, early-stopping rule, remedies side by side, the dropout
//     rate, initialization, activations, dead units, depth as a curve, the loop written out);
//   - output.go: how results are shown (one Table type rendered as text, HTML and JSON; figures);
//   - memo.go: results remembered in the fit cache, so a warm cell computes nothing;
//   - kernel.go: what the kernel remembers of declarations that failed or were interrupted.
//
// The three parts use the other files, never each other.
//
// Cells print numbers, tables and figures; the teaching prose lives in the notebooks' Markdown. Functions
// here never panic and never return errors to a notebook: each is a thin wrapper that prints the error of a
// function returning one as a single line, and returns the zero value, which the other functions accept and
// report. Every table and figure carries its numbers as JSON under [ResultsMIME], with a stable id.
//
// A typical cell:
//
//	var model256 = lecture.Fit(mlp.Stack(256, 256, 256, 256, 256).Seed(65392).WithHistory())
//
//	%%
//	lecture.PlotFit(model256)
//	lecture.Evaluate(model256)
package lecture

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/golecture/regularization/pkg/backend"
	"github.com/golecture/regularization/pkg/cellcost"
	"github.com/golecture/regularization/pkg/data"
	"github.com/golecture/regularization/pkg/fitcache"
	"github.com/golecture/regularization/pkg/mlp"
	"github.com/golecture/regularization/pkg/runner"
)

// GoNB runs every cell as a new program; announcing the backend in each would clutter every output, so
// the announcement is left to Setup.
func init() { backend.Quiet = true }

// Setup prints which backend runs (without machine paths, so handouts carry none): the first cell of each
// notebook. When no backend can start, it prints the reason instead.
func Setup() {
	defer cellcost.Time("backend")()
	if _, err := backend.Get(); err != nil {
		report("backend", err)
		return
	}
	say("%s\n", backend.Summary())
}

// Data returns the lecture's data set (data.Lecture()), generated once per program run.
var Data = sync.OnceValue(func() *data.Dataset {
	ds, err := data.Generate(data.Lecture())
	if err != nil {
		panic(err) // Unreachable: data.Lecture() is valid, and its test says so.
	}
	return ds
})

// TestSet is a fresh sample from the same generator as the lecture's data, for reporting a score that no
// choice was made on (the data are synthetic, so a third sample costs nothing).
var TestSet = sync.OnceValue(func() *data.Dataset {
	spec := data.Lecture()
	spec.Seed++ // Another stream: the same function and noise, other points.
	ds, err := data.Generate(spec)
	if err != nil {
		panic(err) // Unreachable, as for Data.
	}
	return ds
})

// cache is the fit cache every fit of this program uses ($LECTURE_FIT_CACHE, else the user cache directory).
var cache = sync.OnceValue(fitcache.Default)

// noticeCache says, once per kernel, when new fits cannot go where the cache is (a read-only shared
// cache) and where they go instead.
func noticeCache() {
	if n := cache().Notice(); n != "" {
		once(fitcache.Key("notice", n), func() { say("note: %s\n", n) })
	}
}

// ClearCache deletes every cached fit and remembered result, so the next cells train from scratch.
func ClearCache() {
	n, err := cache().Clear()
	if check("clearing the fit cache", 0, err) == 0 && err != nil {
		return
	}
	say("removed %d cached entries from the %s\n", n, cache())
}

// usable says why m cannot be used, or nil: a nil model (from a failed fit) or one that is not whole.
func usable(m *mlp.Model) error {
	if m == nil {
		return errNoModel
	}
	if err, ok := checked.Load(m); ok {
		err, _ := err.(error) // A nil error is stored as a nil interface.
		return err
	}
	err := m.Check()
	if err != nil {
		err = fmt.Errorf("the model is not usable: %w; fit it with lecture.Fit", err)
	}
	checked.Store(m, err)
	return err
}

// checked keeps each model's verdict for the life of the program: a model is never changed after it is made
// (as for fingerprints), and checking scans every weight, 4 million for the dropout network, which every cell
// function asks for.
var checked sync.Map // *mlp.Model -> error (nil: usable)

// usableAll is usable for each member of a list, naming the first bad one.
func usableAll(ms []*mlp.Model) error {
	if len(ms) == 0 {
		return errors.New("no models: run the cell that fits them first")
	}
	for i, m := range ms {
		if err := usable(m); err != nil {
			return fmt.Errorf("model %d of %d: %w", i+1, len(ms), err)
		}
	}
	return nil
}

// Fit trains spec on the lecture's data (or loads it from the fit cache). On error it prints one line and
// returns nil; the other functions report a nil model instead of using it.
func Fit(spec *mlp.Spec) *mlp.Model {
	defer cellcost.Time("fits")()
	if spec == nil {
		report("fit", errors.New("the spec is nil: start one with mlp.Stack(widths...) or mlp.Sequential(layers...)"))
		return nil
	}
	d := declare("fit "+spec.Architecture(), "fit\x00"+spec.Key())
	if d.skip() {
		return nil
	}
	stop, unwatch := d.stop()
	m, err := runner.Fit(spec, Data(), runner.Options{Cache: cache(), Stop: stop, Waiting: waiting})
	unwatch()
	d.done(m != nil, err) // Ends the program if the user interrupted the fit.
	noticeCache()
	if m != nil && d.later {
		err = nil // Trained but not cached: its own cell showed the error, and the note said so once.
	}
	return explain(check("fit "+spec.Architecture(), m, err))
}

// Ensemble fits `members` copies of spec, each with its own seeds drawn from spec's seed (see runner.Ensemble).
// Members already fitted are kept even if a later one fails.
func Ensemble(spec *mlp.Spec, members int) []*mlp.Model {
	defer cellcost.Time("fits")()
	if spec == nil {
		report("ensemble", errors.New("the spec is nil: start one with mlp.Stack(widths...)"))
		return nil
	}
	d := declare(fmt.Sprintf("ensemble of %d x %s", members, spec.Architecture()),
		fmt.Sprintf("ensemble\x00%d\x00%s", members, spec.Key()))
	if d.skip() {
		return nil
	}
	stop, unwatch := d.stop()
	ms, err := runner.Ensemble(spec, Data(), members, spec.Settings().SeedFrom, runner.Options{Cache: cache(), Stop: stop})
	unwatch()
	d.done(len(ms) > 0, err) // Ends the program if the user interrupted a member's fit.
	noticeCache()
	if len(ms) == 0 && err != nil {
		explained.Store(true)
	}
	return check("ensemble", ms, err)
}

// explain records that a nil model's absence has been explained (its error was shown), so that the uses
// of it that follow in the same cell add nothing.
func explain(m *mlp.Model) *mlp.Model {
	if m == nil {
		explained.Store(true)
	}
	return m
}

// waiting says whom a fit waits for, when another kernel is training it.
func waiting(holder string) {
	say("waiting for %s, which is training this fit; Kernel > Interrupt stops waiting\n", holder)
}

// Initial returns spec's network before any training, for looking at its gradients at the start.
func Initial(spec *mlp.Spec) *mlp.Model {
	defer cellcost.Time("fits")()
	id := "initial"
	if spec != nil {
		id += "\x00" + spec.Key()
	}
	d := declare("initial model", id)
	if d.skip() {
		return nil
	}
	m, err := mlp.Initial(spec)
	d.done(m != nil, err)
	return explain(check("initial model", m, err))
}

// Widths returns n copies of width: the hidden layers of a uniform network, for mlp.Stack(lecture.Widths(15,
// 32)...). A depth outside [1, mlp.MaxDepth] is reported and gives nil, which mlp.Stack then rejects.
func Widths(n, width int) []int {
	if n < 1 || n > mlp.MaxDepth {
		report("widths", fmt.Errorf("%d layers: need between 1 and %d", n, mlp.MaxDepth))
		return nil
	}
	return slices.Repeat([]int{width}, n)
}

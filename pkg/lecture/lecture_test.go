package lecture

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/golecture/regularization/pkg/fitcache"
	"github.com/golecture/regularization/pkg/mlp"
)

// capture returns what f printed on standard output and standard error. Each capture stands for a cell of
// its own: nothing reported or explained before it counts.
func capture(t *testing.T, f func()) string {
	t.Helper()
	missingSaid.Store(false)
	explained.Store(false)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	oldOut, oldErr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = w, w
	done := make(chan string)
	go func() {
		var b bytes.Buffer
		_, _ = io.Copy(&b, r)
		done <- b.String()
	}()
	f()
	w.Close()
	os.Stdout, os.Stderr = oldOut, oldErr
	return <-done
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lecture-test-cache-")
	if err != nil {
		panic(err)
	}
	os.Setenv(fitcache.EnvVar, dir) // Tests never touch the user's cache.
	os.Setenv("LECTURE_PROGRESS", "off")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// oneError checks that out is exactly one error line containing want.
func oneError(t *testing.T, what, out, want string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "error: ") || !strings.Contains(lines[0], want) {
		t.Errorf("%s printed %q; want one error line containing %q", what, out, want)
	}
}

func TestBadInputPrintsOneLine(t *testing.T) {
	out := capture(t, func() {
		if m := Fit(mlp.Stack(32, 0)); m != nil {
			t.Error("Fit with a zero width returned a model")
		}
	})
	oneError(t, "Fit(Stack(32, 0))", out, "units must be between 1 and")
	out = capture(t, func() {
		if w := Widths(1<<40, 5); w != nil {
			t.Error("Widths(1<<40) returned widths")
		}
	})
	oneError(t, "Widths(1<<40, 5)", out, "need between 1 and 256")
	out = capture(t, func() { Ensemble(mlp.Stack(8).Epochs(2), 1<<40) })
	oneError(t, "Ensemble(k=1<<40)", out, "between 1 and 1000")
	out = capture(t, func() { Fit(mlp.Stack(16).Epochs(5).InitStdDev(1e20)) })
	oneError(t, "a diverged fit", out, "diverged")
}

// Every cell function handed what a failed cell returns (nil, a list with a nil member, or an empty model)
// says so in one line, shows no misleading output, and never panics.
func TestMissingInputsAreReportedNotShown(t *testing.T) {
	m := Fit(mlp.Stack(8).Epochs(5))
	if m == nil {
		t.Fatal("fit failed")
	}
	g := Gradients(m)
	empty := &mlp.Model{}
	short := &mlp.Model{Spec: m.Spec, Weights: m.Weights[:1]}
	for name, f := range map[string]func(){
		"PlotFit":                 func() { PlotFit(nil) },
		"PlotFit empty":           func() { PlotFit(empty) },
		"PlotUnits empty":         func() { PlotUnits(empty) },
		"PlotHistory":             func() { PlotHistory(nil) },
		"PlotHistory no history":  func() { PlotHistory(m) },
		"Evaluate":                func() { Evaluate(nil) },
		"Evaluate empty":          func() { Evaluate(empty) },
		"Summary empty":           func() { Summary(empty) },
		"Kernels empty":           func() { Kernels(empty) },
		"PrintMaxGradients":       func() { PrintMaxGradients(nil) },
		"Gradients empty":         func() { Gradients(empty) },
		"PlotEnsemble nil member": func() { PlotEnsemble([]*mlp.Model{m, nil}) },
		"PlotEnsemble empty":      func() { PlotEnsemble(nil) },
		"PlotEnsemble empty one":  func() { PlotEnsemble([]*mlp.Model{empty}) },
		"EnsembleSpread empty":    func() { EnsembleSpread([]*mlp.Model{empty}) },
		"EnsembleGain nil":        func() { EnsembleGain([]*mlp.Model{m, nil}) },
		"PlotGradients empty":     func() { PlotGradients(empty) },
		"PlotGradients none":      func() { PlotGradients() },
		"ApproachTable nil":       func() { ApproachTable(Approaches{Big: m, Smaller: m, Ensemble: []*mlp.Model{m, nil}}) },
		"ScoreTable nil":          func() { ScoreTable("t", m, nil) },
		"ScoreTable empty model":  func() { ScoreTable("t", empty) },
		"ScoreTable none":         func() { ScoreTable("t") },
		"DropoutCheck empty":      func() { DropoutCheck(empty) },
		"StartTensors short":      func() { StartTensors(short) },
		"CompareLosses none":      func() { CompareLosses(nil, Fit(mlp.Stack(8).Epochs(1).WithHistory())) },
		"DeadUnits empty":         func() { DeadUnits(empty) },
		"EarlyStopping no hist":   func() { EarlyStopping(m, 10) },
		"PrintGradients range":    func() { PrintGradients(g, 1, -5) },
		"PrintGradients too many": func() { PrintGradients(g, 2, 1) },
	} {
		missingSaid.Store(false) // Each case stands for a cell of its own, with no note said before.
		explained.Store(false)
		out := capture(t, f)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "error: ") {
			t.Errorf("%s printed %q; want one error line", name, out)
		}
		if strings.Contains(out, "0.00000") || strings.Contains(out, "left out") {
			t.Errorf("%s printed a misleading number: %q", name, out)
		}
	}
}

// The written-out loop's comparison works for the shortest fits too (it once indexed before the start).
func TestCompareLossesShortFits(t *testing.T) {
	for _, n := range []int{1, 2, 3} {
		m := Fit(mlp.Stack(4).Epochs(n).WithHistory())
		var worst float64
		out := capture(t, func() { worst = CompareLosses(m.History.Loss, m) })
		if worst != 0 || strings.Contains(out, "error") {
			t.Errorf("%d epochs: worst %v, output %q", n, worst, out)
		}
	}
}

func TestScoreTableRowsAreLabelledByTheirModels(t *testing.T) {
	a, b := Fit(mlp.Stack(8).Epochs(20)), Fit(mlp.Stack(8, 8).Epochs(20).InitStdDev(0.1))
	var rows []Row
	out := capture(t, func() { rows = ScoreTable("t", a, b) })
	if len(rows) != 2 || rows[0].Name != "1x8, 20 epochs" || rows[1].Name != "2x8, initial sd 0.1, 20 epochs" {
		t.Fatalf("rows %+v", rows)
	}
	for _, r := range rows {
		if !(r.Ours.Val > 0) || r.Lecture != "" {
			t.Errorf("row %+v", r)
		}
		if !strings.Contains(out, r.Name) {
			t.Errorf("table text lacks %q:\n%s", r.Name, out)
		}
	}
	if lm, ok := lectureMatch(mlp.Stack(512, 512, 512, 512, 512).Seed(3)); !ok || lm.Name != "model_somany" {
		t.Errorf("lectureMatch(5x512) = %v, %v", lm, ok)
	}
	if lm, ok := lectureMatch(lectureDropout(0.2).Seed(8746).Masks(mlp.Inverted, 8746)); !ok || lm.Name != "dropout_model (rate 0.2)" {
		t.Errorf("lectureMatch(dropout 0.2) = %v, %v", lm, ok)
	}
	if _, ok := lectureMatch(mlp.Stack(512, 512, 512, 512, 512).Epochs(100)); ok {
		t.Error("a 100-epoch 5x512 matched a lecture model")
	}
}

func TestUnitContributionsKeepsTheLargest(t *testing.T) {
	grid := []float64{0, 1, 2, 3, 4, 5, 6, 7, 8}
	acts := make([][]float32, len(grid))
	for i := range acts {
		acts[i] = []float32{float32(i), 0, 1} // Unit 1 is dead.
	}
	xs, curves, active := unitContributions(grid, acts, []float32{2, 5, -100})
	if active != 2 || len(curves) != 2 || len(xs) != 3 {
		t.Fatalf("active %d, curves %d, xs %v", active, len(curves), xs)
	}
	if curves[0][0] != -100 || curves[1][2] != 16 {
		t.Errorf("curves %v: want the -100 unit first, then 2*x", curves)
	}
}

// TestRememberComputesOnce checks the result memo: a second request with the same parts reads the stored
// value instead of computing, other parts compute anew, and an error is returned and not stored.
func TestRememberComputesOnce(t *testing.T) {
	calls := 0
	f := func() ([]float64, error) { calls++; return []float64{1.5, float64(calls)}, nil }
	a, err := remember("test", f, "part", 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := remember("test", f, "part", 1)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 || !slices.Equal(a, b) {
		t.Fatalf("same parts: %d computations, values %v then %v; want 1 computation, equal values", calls, a, b)
	}
	if c, _ := remember("test", f, "part", 2); calls != 2 || c[1] != 2 {
		t.Errorf("other parts: %d computations, value %v; want a second computation", calls, c)
	}
	bad := errors.New("bad")
	if _, err := remember("test", func() ([]float64, error) { return nil, bad }, "fails"); !errors.Is(err, bad) {
		t.Errorf("error not returned: %v", err)
	}
	if v, err := remember("test", f, "fails"); err != nil || calls != 3 || v[1] != 3 {
		t.Errorf("a failed computation was stored: %v, %v after %d computations", v, err, calls)
	}

	// A model's results follow its weights, not its pointer's history: an equal copy shares them.
	m, err := mlp.Initial(mlp.Stack(4).Seed(1))
	if err != nil {
		t.Fatal(err)
	}
	clone := &mlp.Model{Spec: m.Spec, Weights: slices.Clone(m.Weights)}
	if fingerprint(m) != fingerprint(clone) {
		t.Error("equal models have different fingerprints")
	}
	clone.Weights[0].Kernel = slices.Clone(m.Weights[0].Kernel)
	clone.Weights[0].Kernel[0] += 1
	fingerprints.Delete(clone)
	if fingerprint(m) == fingerprint(clone) {
		t.Error("models with different weights share a fingerprint")
	}
}

// A missing model is reported once per cell: the uses that follow the first add nothing.
func TestMissingModelOncePerCell(t *testing.T) {
	missingSaid.Store(false)
	explained.Store(false)
	out := capture(t, func() {
		PlotFit(nil)
		Evaluate(nil)
		Summary(nil)
	})
	if n := strings.Count(out, "error:"); n != 1 {
		t.Errorf("%d error lines for three uses of a missing model: %q", n, out)
	}
}

// Results read back from the cache are checked: crafted scores (negative, NaN) are computed again, and a
// prediction with one value too many makes no cell panic.
func TestCraftedResultsAreNotTrusted(t *testing.T) {
	m := Fit(mlp.Stack(6).Seed(9).Epochs(5))
	ds := Data()
	save := func(v any, what string, parts ...any) {
		key := fitcache.Key(append([]any{CodeHash(), what, backendIdentity()}, parts...)...)
		if err := cache().Save(key, v); err != nil {
			t.Fatal(err)
		}
	}
	save(Scores{Train: -1, Val: math.NaN()}, "scores", fingerprint(m), dataDigest())
	var s Scores
	out := capture(t, func() { s = Evaluate(m) })
	if !(s.Train > 0 && s.Val > 0) || strings.Contains(out, "-1.0") || strings.Contains(out, "NaN") {
		t.Errorf("crafted scores were shown: %v, %q", s, out)
	}
	grid := ds.GridX32()
	save(make([]float32, len(grid)+1), "predict", fingerprint(m), digest(grid))
	out = capture(t, func() { PlotEnsemble([]*mlp.Model{m, m}) })
	if strings.Contains(out, "error") {
		t.Errorf("a crafted prediction broke the plot: %q", out)
	}
}

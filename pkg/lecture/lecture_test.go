package lecture

import (
	"bytes"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/golecture/regularization/pkg/fitcache"
	"github.com/golecture/regularization/pkg/mlp"
)

// capture returns what f printed on standard output and standard error.
func capture(t *testing.T, f func()) string {
	t.Helper()
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
		if m := Fit(mlp.New(32, 0)); m != nil {
			t.Error("Fit with a zero width returned a model")
		}
	})
	oneError(t, "Fit(New(32, 0))", out, "units must be between 1 and")
	out = capture(t, func() {
		if w := Widths(1<<40, 5); w != nil {
			t.Error("Widths(1<<40) returned widths")
		}
	})
	oneError(t, "Widths(1<<40, 5)", out, "need between 1 and 256")
	out = capture(t, func() { Ensemble(mlp.New(8).Epochs(2), 1<<40, 1) })
	oneError(t, "Ensemble(k=1<<40)", out, "between 1 and 1000")
	out = capture(t, func() { Fit(mlp.New(16).Epochs(5).InitStdDev(1e20)) })
	oneError(t, "a diverged fit", out, "diverged")
}

// Every cell function handed what a failed cell returns (nil, or a list with a nil member) says so in one
// line and shows no misleading output.
func TestMissingInputsAreReportedNotShown(t *testing.T) {
	m := Fit(mlp.New(8).Epochs(5))
	if m == nil {
		t.Fatal("fit failed")
	}
	g := Gradients(m)
	for name, f := range map[string]func(){
		"PlotFit":                 func() { PlotFit(nil, "t", true) },
		"PlotHistory":             func() { PlotHistory(nil, "t") },
		"Evaluate":                func() { Evaluate(nil) },
		"Summary":                 func() { Summary(nil) },
		"Kernels":                 func() { Kernels(nil) },
		"PrintMaxGradients":       func() { PrintMaxGradients(nil) },
		"Gradients":               func() { Gradients(nil) },
		"PlotEnsemble nil member": func() { PlotEnsemble([]*mlp.Model{m, nil}, "t") },
		"PlotEnsemble empty":      func() { PlotEnsemble(nil, "t") },
		"PlotGradients empty":     func() { PlotGradients("t", []string{"a"}, &mlp.Gradients{}) },
		"PlotGradients nil":       func() { PlotGradients("t", []string{"a"}, nil) },
		"EnsembleScores nil":      func() { EnsembleScores([]*mlp.Model{m, nil}) },
		"ApproachTable nil":       func() { ApproachTable(m, m, []*mlp.Model{m, nil}) },
		"ScoreTable nil":          func() { ScoreTable("t", m, nil) },
		"ScoreTable empty":        func() { ScoreTable("t") },
		"PrintGradients range":    func() { PrintGradients(g, 1, -5) },
		"PrintGradients too many": func() { PrintGradients(g, 2, 1) },
	} {
		out := capture(t, f)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "error: ") {
			t.Errorf("%s printed %q; want one error line", name, out)
		}
		if strings.Contains(out, "0.00000") || strings.Contains(out, "left out") {
			t.Errorf("%s printed a misleading number: %q", name, out)
		}
	}
	ens, mean := Scores{}, Scores{}
	capture(t, func() { ens, mean = EnsembleScores([]*mlp.Model{m, nil}) })
	if ens != (Scores{}) || mean != (Scores{}) {
		t.Errorf("EnsembleScores with a nil member returned %v, %v; want zeros", ens, mean)
	}
}

func TestHistoryNeededForPlotHistory(t *testing.T) {
	m := Fit(mlp.New(4).Epochs(3))
	out := capture(t, func() { PlotHistory(m, "t") })
	if !strings.Contains(out, "WithHistory()") {
		t.Errorf("printed %q; want a hint to add WithHistory()", out)
	}
}

func TestScoreTableRowsAreLabelledByTheirModels(t *testing.T) {
	a, b := Fit(mlp.New(8).Epochs(20)), Fit(mlp.New(8, 8).Epochs(20))
	var rows []Row
	out := capture(t, func() { rows = ScoreTable("t", a, b) })
	if len(rows) != 2 || rows[0].Name != "1x8, 20 epochs" || rows[1].Name != "2x8, 20 epochs" {
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
	if got := lectureName(mlp.New(512, 512, 512, 512, 512)); got != "model_somany" {
		t.Errorf("lectureName(5x512) = %q", got)
	}
	if got := lectureName(mlp.New(512, 512, 512, 512, 512).Epochs(100)); got != "" {
		t.Errorf("lectureName(5x512, 100 epochs) = %q, want none", got)
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
	m, err := mlp.Initial(mlp.New(4).Seeds(mlp.DrawSeeds(1, 1)))
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

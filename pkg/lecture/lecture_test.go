package lecture

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golecture/regularization/pkg/fitcache"
	"github.com/golecture/regularization/pkg/mlp"
)

// capture returns what f printed on standard output.
func capture(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		var b bytes.Buffer
		_, _ = io.Copy(&b, r)
		done <- b.String()
	}()
	f()
	w.Close()
	os.Stdout = old
	return <-done
}

func TestBadInputPrintsOneLine(t *testing.T) {
	out := capture(t, func() {
		if m := Fit(mlp.New(32, 0).Cache(fitcache.Off())); m != nil {
			t.Error("Fit with a zero width returned a model")
		}
	})
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "error: fit ") || !strings.Contains(lines[0], "hidden width #1 is 0") {
		t.Errorf("printed %q; want one error line naming the width", out)
	}
	// Later cells receive nil and must stay quiet rather than panic.
	out = capture(t, func() {
		PlotFit(nil, "t", true)
		PlotHistory(nil, "t")
		Evaluate(nil)
		Summary(nil)
		PrintMaxGradients(Gradients(nil))
		PlotEnsemble(nil, "t")
	})
	if out != "" {
		t.Errorf("nil model printed %q", out)
	}
}

func TestHistoryNeededForPlotHistory(t *testing.T) {
	m := Fit(mlp.New(4).Epochs(3).Cache(fitcache.Off()).Quiet())
	out := capture(t, func() { PlotHistory(m, "t") })
	if !strings.Contains(out, "WithHistory()") {
		t.Errorf("printed %q; want a hint to add WithHistory()", out)
	}
}

func TestResultsAreRecorded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.jsonl")
	t.Setenv(ResultsEnv, path)
	ms := []*mlp.Model{
		Fit(mlp.New(8).Epochs(20).Cache(fitcache.Off()).Quiet()),
		Fit(mlp.New(8, 8).Epochs(20).Cache(fitcache.Off()).Quiet()),
	}
	capture(t, func() { ScoreTable("t", []string{"a", "b"}, ms, nil) })
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var rec struct {
			Key   string
			Value Scores
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("bad line %q: %v", line, err)
		}
		if rec.Value.Val <= 0 {
			t.Errorf("%s recorded validation MSE %v", rec.Key, rec.Value.Val)
		}
		keys = append(keys, rec.Key)
	}
	if strings.Join(keys, ",") != "a,b" {
		t.Errorf("recorded keys %v, want a, b", keys)
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

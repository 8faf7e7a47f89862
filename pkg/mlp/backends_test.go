package mlp

import (
	"math"
	"testing"

	"github.com/golecture/regularization/pkg/backend"
)

// TestBackendsAgree trains the same small network on the pure-Go backend and on XLA (through the PJRT CPU
// plugin that scripts/setup.sh installs) and compares their predictions. Both run float32 but sum in
// different orders, so they agree to a tolerance rather than bit for bit.
func TestBackendsAgree(t *testing.T) {
	plugin := backend.LocalPlugin()
	if plugin == "" {
		t.Skipf("no PJRT plugin in %s: run scripts/setup.sh to install one", backend.PluginDir())
	}
	goB, err := backend.New("go")
	if err != nil {
		t.Fatal(err)
	}
	xlaB, err := backend.New("xla:" + plugin)
	if err != nil {
		t.Fatal(err)
	}
	ds := lectureData(t)

	// The same weights must predict the same on both backends, to float32 rounding.
	m, err := Initial(Stack(64, 64, 64).Seed(2))
	if err != nil {
		t.Fatal(err)
	}
	m.SetBackend(goB)
	p1, err := m.Predict(ds.GridX32())
	if err != nil {
		t.Fatal(err)
	}
	p2, err := (&Model{Spec: m.Spec, Weights: m.Weights, backend: xlaB}).Predict(ds.GridX32())
	if err != nil {
		t.Fatal(err)
	}
	for i := range p1 {
		if math.Abs(float64(p1[i]-p2[i])) > 1e-6 {
			t.Fatalf("same weights, x=%.3f: go %v, xla %v", ds.GridX[i], p1[i], p2[i])
		}
	}

	// Training differs by rounding only, so the fits stay close.
	spec := Stack(64, 64, 64).Seed(2).Epochs(200).WithHistory()
	a, err := Train(spec, ds, goB, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Train(spec, ds, xlaB, nil)
	if err != nil {
		t.Fatal(err)
	}
	pa, err := a.Predict(ds.GridX32())
	if err != nil {
		t.Fatal(err)
	}
	pb, err := b.Predict(ds.GridX32())
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for i := range pa {
		worst = math.Max(worst, math.Abs(float64(pa[i]-pb[i])))
	}
	t.Logf("go vs xla after 200 epochs: max |prediction difference| %.3g", worst)
	if worst > 1e-3 {
		t.Errorf("go and xla predictions differ by up to %.3g, want <= 1e-3", worst)
	}
	if d := math.Abs(a.History.ValLoss[199] - b.History.ValLoss[199]); d > 1e-4 {
		t.Errorf("final validation loss differs by %.3g between backends", d)
	}
}

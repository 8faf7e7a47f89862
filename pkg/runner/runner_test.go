package runner

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/golecture/regularization/pkg/backend"
	"github.com/golecture/regularization/pkg/data"
	"github.com/golecture/regularization/pkg/fitcache"
	"github.com/golecture/regularization/pkg/mlp"
)

func TestMain(m *testing.M) {
	backend.Quiet = true
	os.Exit(m.Run())
}

func lectureData(t testing.TB) *data.Dataset {
	t.Helper()
	ds, err := data.Generate(data.Lecture())
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// entries lists the cache's entry files.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.fit"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCacheHitIsIdenticalAndHistoryServesBoth(t *testing.T) {
	ds := lectureData(t)
	dir := t.TempDir()
	opts := Options{Cache: fitcache.In(dir), Quiet: true}
	spec := mlp.Stack(16, 16).Epochs(30).WithHistory()
	a, err := Fit(spec, ds, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Fit(spec.Clone(), ds, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Weights[0].Kernel, b.Weights[0].Kernel) || !slices.Equal(a.History.ValLoss, b.History.ValLoss) {
		t.Error("cached model differs from the fitted one")
	}
	// The same fit without history is served by the entry with history: no second entry, same weights.
	c, err := Fit(mlp.Stack(16, 16).Epochs(30), ds, opts)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(entries(t, dir)); n != 1 || c.History != nil || !slices.Equal(a.Weights[2].Bias, c.Weights[2].Bias) {
		t.Errorf("%d entries, history %v: want the one entry with history to serve the request without", n, c.History != nil)
	}
	// Any other spec misses.
	if _, err := Fit(mlp.Stack(16, 16).Epochs(31), ds, opts); err != nil {
		t.Fatal(err)
	}
	if n := len(entries(t, dir)); n != 2 {
		t.Errorf("%d entries after a fit with other epochs, want 2", n)
	}
}

func TestHistoryRequestRefitsAnEntryWithout(t *testing.T) {
	ds := lectureData(t)
	opts := Options{Cache: fitcache.In(t.TempDir()), Quiet: true}
	if _, err := Fit(mlp.Stack(8).Epochs(10), ds, opts); err != nil {
		t.Fatal(err)
	}
	m, err := Fit(mlp.Stack(8).Epochs(10).WithHistory(), ds, opts)
	if err != nil {
		t.Fatal(err)
	}
	if m.History == nil || len(m.History.Loss) != 10 {
		t.Errorf("history %v: want 10 epochs", m.History)
	}
}

// An entry whose checksum is valid but whose weights do not fit its spec (or are not finite) is dropped and
// refitted, never used.
func TestMalformedEntryIsRefitted(t *testing.T) {
	ds := lectureData(t)
	cache := fitcache.In(t.TempDir())
	opts := Options{Cache: cache, Quiet: true}
	spec := mlp.Stack(8, 8).Epochs(10)
	good, err := Fit(spec, ds, opts)
	if err != nil {
		t.Fatal(err)
	}
	identity, err := opts.identity()
	if err != nil {
		t.Fatal(err)
	}
	key := Key(spec, ds, identity)
	for name, spoil := range map[string]func(m *mlp.Model){
		"short kernel": func(m *mlp.Model) { m.Weights[1].Kernel = m.Weights[1].Kernel[:3] },
		"NaN weight":   func(m *mlp.Model) { m.Weights[0].Bias[2] = float32(nan()) },
		"other spec":   func(m *mlp.Model) { m.Spec = mlp.Stack(8, 8).Epochs(11) },
	} {
		bad := &mlp.Model{Spec: spec.Clone()}
		for _, w := range good.Weights {
			bad.Weights = append(bad.Weights, mlp.Weights{In: w.In, Out: w.Out, Kernel: slices.Clone(w.Kernel), Bias: slices.Clone(w.Bias)})
		}
		spoil(bad)
		if err := cache.Save(key, bad); err != nil {
			t.Fatal(err)
		}
		m, err := Fit(spec, ds, opts)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !slices.Equal(m.Weights[1].Kernel, good.Weights[1].Kernel) || !slices.Equal(m.Weights[0].Bias, good.Weights[0].Bias) {
			t.Errorf("%s: the malformed entry was used", name)
		}
	}
}

func nan() float64 { z := 0.0; return z / z }

func TestDivergedFitIsNotCached(t *testing.T) {
	ds := lectureData(t)
	dir := t.TempDir()
	spec := mlp.Stack(32).Epochs(20).InitStdDev(1e20)
	for range 2 {
		m, err := Fit(spec, ds, Options{Cache: fitcache.In(dir), Quiet: true})
		if m != nil || err == nil || !strings.Contains(err.Error(), "diverged") {
			t.Errorf("model %v, error %v: want no model and a divergence error", m != nil, err)
		}
	}
	if n := len(entries(t, dir)); n != 0 {
		t.Errorf("%d entries cached for a diverged fit", n)
	}
}

func TestEnsembleMembersDifferAndAreCapped(t *testing.T) {
	ds := lectureData(t)
	opts := Options{Cache: fitcache.Off(), Quiet: true}
	ms, err := Ensemble(mlp.Stack(8).Epochs(5), ds, 3, 11, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 3 || slices.Equal(ms[0].Weights[0].Kernel, ms[1].Weights[0].Kernel) {
		t.Error("ensemble members share their initialization")
	}
	for _, k := range []int{0, 1 << 40} {
		if _, err := Ensemble(mlp.Stack(8), ds, k, 1, opts); err == nil || !strings.Contains(err.Error(), "between 1 and 1000") {
			t.Errorf("k = %d: %v", k, err)
		}
	}
}

// A cache hit avoids the training; the benchmark prints how much faster it is (no timing assertion here).
func BenchmarkCacheHit(b *testing.B) {
	ds, _ := data.Generate(data.Lecture())
	opts := Options{Cache: fitcache.In(b.TempDir()), Quiet: true}
	spec := mlp.Stack(64, 64, 64).Epochs(300)
	if _, err := Fit(spec, ds, opts); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Fit(spec, ds, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func TestStopEndsTheFitUncached(t *testing.T) {
	ds := lectureData(t)
	dir := t.TempDir()
	stop := make(chan struct{})
	close(stop)
	m, err := Fit(mlp.Stack(8).Epochs(50), ds, Options{Cache: fitcache.In(dir), Quiet: true, Stop: stop})
	var in *Interrupted
	if m != nil || !errors.As(err, &in) || in.Epoch != 1 || in.Epochs != 50 {
		t.Fatalf("model %v, error %v: want an Interrupted error at epoch 1 of 50", m != nil, err)
	}
	if n := len(entries(t, dir)); n != 0 {
		t.Errorf("%d entries cached for an interrupted fit", n)
	}
}

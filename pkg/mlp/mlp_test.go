package mlp

import (
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golecture/regularization/pkg/backend"
	"github.com/golecture/regularization/pkg/data"
	"github.com/golecture/regularization/pkg/fitcache"
)

// lectureSeed is a seed with which the 15x32 network stays stuck at its constant start, as the lecture's did
// (other seeds escape; see the notebooks).
const lectureSeed = 5

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

func widths(n, w int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = w
	}
	return out
}

func TestRerunIsBitIdentical(t *testing.T) {
	ds := lectureData(t)
	cfg := New(16, 16).Seeds(DrawSeeds(3, 2)).Epochs(50).WithHistory().Dropout(0.2, Inverted, 9).Cache(fitcache.Off()).Quiet()
	a, err := cfg.Fit(ds)
	if err != nil {
		t.Fatal(err)
	}
	b, err := cfg.Clone().Fit(ds)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Layers {
		if !slices.Equal(a.Layers[i].Kernel, b.Layers[i].Kernel) || !slices.Equal(a.Layers[i].Bias, b.Layers[i].Bias) {
			t.Fatalf("layer %d weights differ between identical fits", i)
		}
	}
	if !slices.Equal(a.History.Loss, b.History.Loss) || !slices.Equal(a.History.ValLoss, b.History.ValLoss) {
		t.Error("histories differ between identical fits")
	}
	pa, _ := a.Predict(ds.ValX[:100])
	pb, _ := b.Predict(ds.ValX[:100])
	if !slices.Equal(pa, pb) {
		t.Error("predictions differ between identical fits")
	}
	if len(a.History.Loss) != 50 || a.History.Loss[49] >= a.History.Loss[0] {
		t.Errorf("history %d entries, first %.4f last %.4f: want 50 entries, decreasing loss",
			len(a.History.Loss), a.History.Loss[0], a.History.Loss[len(a.History.Loss)-1])
	}

	c, err := cfg.Clone().Seeds(DrawSeeds(4, 2)).Fit(ds)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(a.Layers[0].Kernel, c.Layers[0].Kernel) {
		t.Error("different seeds gave the same fit")
	}
	d, err := cfg.Clone().Dropout(0.2, Inverted, 10).Fit(ds)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(a.Layers[0].Kernel, d.Layers[0].Kernel) {
		t.Error("different dropout seeds gave the same fit")
	}
}

func TestSummaryOf15x32(t *testing.T) {
	m, err := New(widths(15, 32)...).Initial()
	if err != nil {
		t.Fatal(err)
	}
	if m.NumParams() != 14881 {
		t.Errorf("NumParams = %d, want 14881", m.NumParams())
	}
	s := m.Summary()
	for _, want := range []string{"Total params: 14,881", "dense_0 (Dense)", "(None, 32)", "1,056", "dense_15 (Dense)"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	counts := []int{}
	for _, l := range m.Layers {
		counts = append(counts, l.NumParams())
	}
	if counts[0] != 64 || counts[1] != 1056 || counts[14] != 1056 || counts[15] != 33 || len(counts) != 16 {
		t.Errorf("per-layer parameters %v; want 64, 14 x 1056, 33", counts)
	}
	k := m.Kernels()
	if len(k) != 16 || !slices.Equal(k[0].Shape, []int{1, 32}) || !slices.Equal(k[15].Shape, []int{32, 1}) || k[3].Name != "dense_3/kernel" {
		t.Errorf("kernels %v", k)
	}
}

// Dropout must leave the expected output unchanged between training and prediction. With one hidden layer the
// output is linear in the dropped activations, so the mean over many training-mode passes must match the
// prediction.
func TestDropoutKeepsExpectationInBothModes(t *testing.T) {
	ds := lectureData(t)
	for _, mode := range []DropoutMode{Inverted, ScaleAtPredict} {
		m, err := New(1024).Dropout(0.5, mode, 1).Initial()
		if err != nil {
			t.Fatal(err)
		}
		xs := ds.TrainX[:8]
		pred, err := m.Predict(xs)
		if err != nil {
			t.Fatal(err)
		}
		const draws = 3000
		mean, stderr, err := m.MeanTrainingOutput(xs, draws, 7)
		if err != nil {
			t.Fatal(err)
		}
		// Compare the hidden layer's contribution (the output minus its bias, which dropout does not touch)
		// within 4 standard errors; the draws must be enough to tell a missing factor of 1/2 apart.
		bias := float64(m.Layers[1].Bias[0])
		for i := range xs {
			want, got := float64(pred[i])-bias, mean[i]-bias
			if 4*stderr[i] > 0.25*math.Abs(want) {
				t.Fatalf("%s: x=%.3f standard error %.3g too large against %.3g", mode, xs[i], stderr[i], want)
			}
			if math.Abs(got-want) > 4*stderr[i] {
				t.Errorf("%s: x=%.3f training mean %.6g ± %.2g, prediction %.6g", mode, xs[i], got, stderr[i], want)
			}
		}
	}
	// The two conventions differ at prediction by the keep probability on the hidden contribution.
	inv, _ := New(64).Dropout(0.2, Inverted, 1).Initial()
	sap, _ := New(64).Dropout(0.2, ScaleAtPredict, 1).Initial()
	pi, _ := inv.Predict([]float32{1.5})
	ps, _ := sap.Predict([]float32{1.5})
	b := float64(inv.Layers[1].Bias[0])
	if got := (float64(ps[0]) - b) / (float64(pi[0]) - b); math.Abs(got-0.8) > 1e-4 {
		t.Errorf("scale-at-predict / inverted hidden contribution = %.5f, want the keep probability 0.8", got)
	}
}

func TestEnsembleBeatsItsMembersOnAverage(t *testing.T) {
	ds := lectureData(t)
	members, err := New(32, 32).Epochs(200).Cache(fitcache.Off()).Quiet().Ensemble(ds, 4, 11)
	if err != nil {
		t.Fatal(err)
	}
	var meanMSE float64
	for _, m := range members {
		v, err := m.Evaluate(ds.ValX, ds.ValY)
		if err != nil {
			t.Fatal(err)
		}
		meanMSE += v / float64(len(members))
	}
	_, avg, err := AveragePredictions(members, ds.ValX)
	if err != nil {
		t.Fatal(err)
	}
	ens := MSE(avg, ds.ValY)
	if ens > meanMSE {
		t.Errorf("ensemble validation MSE %.5f > members' mean %.5f", ens, meanMSE)
	}
	if slices.Equal(members[0].Layers[0].Kernel, members[1].Layers[0].Kernel) {
		t.Error("ensemble members share their initialization")
	}
}

func TestGradientsVanishInDeepNetworksAtInit(t *testing.T) {
	ds := lectureData(t)
	ratio := func(depth int) float64 {
		m, err := New(widths(depth, 32)...).Seeds(DrawSeeds(lectureSeed, depth)).Initial()
		if err != nil {
			t.Fatal(err)
		}
		g, err := m.Gradients(ds.TrainX, ds.TrainY)
		if err != nil {
			t.Fatal(err)
		}
		mx := g.MaxAbsByLayer()
		return mx[len(mx)-1] / mx[0]
	}
	if r := ratio(15); r < 1e6 {
		t.Errorf("15x32 at init: output/first layer max|grad| = %.3g, want >= 1e6", r)
	}
	if r := ratio(5); r >= 1e6 {
		t.Errorf("5x32 at init: output/first layer max|grad| = %.3g, want < 1e6", r)
	}
}

func TestGradientsAfterTraining(t *testing.T) {
	ds := lectureData(t)
	first := func(depth int) float64 {
		m, err := New(widths(depth, 32)...).Seeds(DrawSeeds(lectureSeed, depth)).Cache(fitcache.Off()).Quiet().Fit(ds)
		if err != nil {
			t.Fatal(err)
		}
		g, err := m.Gradients(ds.TrainX, ds.TrainY)
		if err != nil {
			t.Fatal(err)
		}
		return g.MaxAbsByLayer()[0]
	}
	if g := first(15); g >= 1e-6 {
		t.Errorf("15x32 after 1000 epochs: first-layer max|grad| = %.3g, want < 1e-6", g)
	}
	if g := first(5); g <= 1e-4 {
		t.Errorf("5x32 after 1000 epochs: first-layer max|grad| = %.3g, want > 1e-4", g)
	}
}

func TestCacheHitIsIdenticalAndFast(t *testing.T) {
	ds := lectureData(t)
	cache := fitcache.In(t.TempDir())
	cfg := New(64, 64, 64).Epochs(300).WithHistory().Cache(cache).Quiet()
	start := time.Now()
	a, err := cfg.Fit(ds)
	if err != nil {
		t.Fatal(err)
	}
	fitTime := time.Since(start)
	// The hit is timed alone: the first prediction afterwards costs the same as after a fit (on XLA it
	// compiles the prediction graph, about 0.1 s).
	start = time.Now()
	b, err := cfg.Clone().Fit(ds)
	hitTime := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := b.Predict(ds.GridX32())
	if err != nil {
		t.Fatal(err)
	}
	if !b.FromDisk || a.FromDisk {
		t.Fatalf("FromDisk: first %v, second %v; want false, true", a.FromDisk, b.FromDisk)
	}
	pa, _ := a.Predict(ds.GridX32())
	if !slices.Equal(pa, pb) || !slices.Equal(a.History.ValLoss, b.History.ValLoss) {
		t.Error("cached model differs from the fitted one")
	}
	t.Logf("fit %v, cache hit %v (%.0fx)", fitTime, hitTime, float64(fitTime)/float64(hitTime))
	if hitTime*50 > fitTime {
		t.Errorf("cache hit took %v, fit %v: want at least 50x faster", hitTime, fitTime)
	}
	// A different configuration must not hit.
	c, err := cfg.Clone().Epochs(301).Fit(ds)
	if err != nil {
		t.Fatal(err)
	}
	if c.FromDisk {
		t.Error("a fit with different epochs was served from the cache")
	}
}

func TestBadInput(t *testing.T) {
	ds := lectureData(t)
	nan := *ds
	nan.TrainY = slices.Clone(ds.TrainY)
	nan.TrainY[3] = float32(math.NaN())
	inf := *ds
	inf.ValX = slices.Clone(ds.ValX)
	inf.ValX[0] = float32(math.Inf(1))
	short := *ds
	short.TrainY = ds.TrainY[:10]
	blocker := t.TempDir() + "/file"
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ok := func() *Config { return New(8).Epochs(2).Cache(fitcache.Off()).Quiet() }
	cases := []struct {
		name string
		cfg  *Config
		ds   *data.Dataset
		want string
	}{
		{"no widths", New().Cache(fitcache.Off()), ds, "hidden widths are empty"},
		{"zero width", New(8, 0), ds, "hidden width #1 is 0"},
		{"negative width", New(-3), ds, ">= 1"},
		{"short seeds", New(8, 8).Seeds(DrawSeeds(1, 1)), ds, "need 3 each"},
		{"epochs", ok().Epochs(0), ds, "epochs = 0"},
		{"dropout 1", ok().Dropout(1, Inverted, 1), ds, "dropout rate = 1: need a value in [0, 1)"},
		{"dropout negative", ok().Dropout(-0.1, Inverted, 1), ds, "[0, 1)"},
		{"dropout mode", ok().Dropout(0.1, DropoutMode(7), 1), ds, "mlp.Inverted"},
		{"learning rate", ok().Optimizer(Adam{LearningRate: 0, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7}), ds, "learning rate"},
		{"nan target", ok(), &nan, "training set: targets[3] = NaN"},
		{"inf input", ok(), &inf, "validation set: inputs[0] = +Inf"},
		{"lengths", ok(), &short, "inputs have 50 values but targets have 10"},
		{"nil data", ok(), nil, "data set is nil"},
		{"unwritable cache", ok().Cache(fitcache.In(blocker + "/fits")), ds, "LECTURE_FIT_CACHE"},
	}
	for _, c := range cases {
		_, err := c.cfg.Fit(c.ds)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v; want one containing %q", c.name, err, c.want)
		}
	}
	m, _ := New(8).Initial()
	if _, err := m.Predict(nil); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("Predict(nil): %v", err)
	}
	if _, err := m.Evaluate(ds.TrainX, ds.TrainY[:3]); err == nil || !strings.Contains(err.Error(), "targets have 3") {
		t.Errorf("Evaluate with mismatched lengths: %v", err)
	}
	if _, err := New(8).Cache(fitcache.Off()).Ensemble(ds, 0, 1); err == nil || !strings.Contains(err.Error(), "k = 0") {
		t.Errorf("Ensemble(k=0): %v", err)
	}
	if _, err := BernoulliMask(1, 1.5, 2, 2); err == nil || !strings.Contains(err.Error(), "[0, 1]") {
		t.Errorf("BernoulliMask(p=1.5): %v", err)
	}
}

func TestBernoulliMask(t *testing.T) {
	a, _ := BernoulliMask(964, 0.5, 100, 100)
	b, _ := BernoulliMask(964, 0.5, 100, 100)
	ones := 0
	for r := range a {
		if !slices.Equal(a[r], b[r]) {
			t.Fatal("same seed, different masks")
		}
		for _, v := range a[r] {
			ones += v
		}
	}
	if ones < 4800 || ones > 5200 {
		t.Errorf("%d ones in 10,000 draws at p=0.5", ones)
	}
}

func TestHiddenActivations(t *testing.T) {
	m, err := New(4, 3).Initial()
	if err != nil {
		t.Fatal(err)
	}
	xs := []float32{-2, 0, 2}
	acts, err := m.HiddenActivations(xs, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Recompute layer 1 on the host.
	for i, x := range xs {
		h0 := make([]float64, 4)
		for j := range h0 {
			h0[j] = math.Max(0, float64(x)*float64(m.Layers[0].Kernel[j])+float64(m.Layers[0].Bias[j]))
		}
		for k := range 3 {
			v := float64(m.Layers[1].Bias[k])
			for j := range h0 {
				v += h0[j] * float64(m.Layers[1].Kernel[j*3+k])
			}
			if want := math.Max(0, v); math.Abs(float64(acts[i][k])-want) > 1e-6 {
				t.Errorf("x=%v unit %d: got %v, want %v", x, k, acts[i][k], want)
			}
		}
	}
	if _, err := m.HiddenActivations(xs, 2); err == nil || !strings.Contains(err.Error(), "hidden layers 0 to 1") {
		t.Errorf("layer out of range: %v", err)
	}
}

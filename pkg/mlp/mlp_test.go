package mlp

import (
	"errors"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/golecture/regularization/pkg/backend"
	"github.com/golecture/regularization/pkg/data"
	"github.com/golecture/regularization/pkg/kerasadam"
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

func train(t testing.TB, s *Spec, ds *data.Dataset) *Model {
	t.Helper()
	m, err := Train(s, ds, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// dropoutNet is the lecture's dropout structure in small: dropout after every hidden layer but the last.
func dropoutNet(width int, rate float64) *Spec {
	return Sequential(Dense(width, ReLU), Dropout(rate), Dense(width, ReLU), Dense(1, Linear))
}

func TestRerunIsBitIdentical(t *testing.T) {
	ds := lectureData(t)
	spec := dropoutNet(16, 0.2).Seed(3).Epochs(50).WithHistory().Masks(Inverted, 9)
	a, b := train(t, spec, ds), train(t, spec.Clone(), ds)
	for i := range a.Weights {
		if !slices.Equal(a.Weights[i].Kernel, b.Weights[i].Kernel) || !slices.Equal(a.Weights[i].Bias, b.Weights[i].Bias) {
			t.Fatalf("layer %d weights differ between identical fits", i)
		}
	}
	if !slices.Equal(a.History.Loss, b.History.Loss) || !slices.Equal(a.History.ValLoss, b.History.ValLoss) {
		t.Error("histories differ between identical fits")
	}
	if len(a.History.Loss) != 50 || a.History.Loss[49] >= a.History.Loss[0] {
		t.Errorf("history %d entries, first %.4f last %.4f: want 50 entries, decreasing loss",
			len(a.History.Loss), a.History.Loss[0], a.History.Loss[len(a.History.Loss)-1])
	}
	c := train(t, spec.Clone().Seed(4), ds)
	if slices.Equal(a.Weights[0].Kernel, c.Weights[0].Kernel) {
		t.Error("different seeds gave the same fit")
	}
	d := train(t, spec.Clone().Masks(Inverted, 10), ds)
	if slices.Equal(a.Weights[0].Kernel, d.Weights[0].Kernel) {
		t.Error("different dropout seeds gave the same fit")
	}
	// Training another architecture in between, or predicting with another model, must not disturb a
	// shared net: the same spec still trains the same weights.
	if _, err := c.Predict(ds.ValX[:10]); err != nil {
		t.Fatal(err)
	}
	e := train(t, spec.Clone(), ds)
	if !slices.Equal(a.Weights[1].Kernel, e.Weights[1].Kernel) {
		t.Error("a refit after other fits of the same architecture differs")
	}
}

// TestLoopMatchesOneStepPerCall checks that running many epochs per execution (a graph.While loop, in
// chunks) trains exactly what one execution per epoch trains, and that the epoch callback still sees every
// epoch in order with its loss, and can stop a fit.
func TestLoopMatchesOneStepPerCall(t *testing.T) {
	ds := lectureData(t)
	spec := dropoutNet(16, 0.2).Seed(3).Epochs(137).WithHistory().Masks(Inverted, 9)
	var seen []float64
	loop, err := Train(spec, ds, nil, func(epoch int, loss float64) error {
		if epoch != len(seen)+1 {
			t.Fatalf("callback got epoch %d after %d epochs", epoch, len(seen))
		}
		seen = append(seen, loss)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seen, loop.History.Loss) {
		t.Errorf("the callback saw %d losses that differ from the history's %d", len(seen), len(loop.History.Loss))
	}
	oneStepPerCall = true
	defer func() { oneStepPerCall = false }()
	step := train(t, spec.Clone(), ds)
	for i := range loop.Weights {
		if !slices.Equal(loop.Weights[i].Kernel, step.Weights[i].Kernel) || !slices.Equal(loop.Weights[i].Bias, step.Weights[i].Bias) {
			t.Fatalf("layer %d: the loop's weights differ from one step per call's", i)
		}
	}
	if !slices.Equal(loop.History.Loss, step.History.Loss) || !slices.Equal(loop.History.ValLoss, step.History.ValLoss) {
		t.Error("the loop's history differs from one step per call's")
	}
	oneStepPerCall = false

	stop := errors.New("stop")
	_, err = Train(spec.Clone().Epochs(1000), ds, nil, func(epoch int, _ float64) error {
		if epoch == 20 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Errorf("a callback's error did not stop the fit: got %v", err)
	}
}

func TestSummaryShowsTheLayerList(t *testing.T) {
	m, err := Initial(Stack(widths(15, 32)...))
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
	k := m.Kernels()
	if len(k) != 16 || k[0] != "dense_0/kernel shape=[1 32]" || k[15] != "dense_15/kernel shape=[32 1]" {
		t.Errorf("kernels %v", k)
	}
	// The lecture's dropout network: dropout after the first four hidden layers only.
	var layers []Layer
	for i := range 5 {
		layers = append(layers, Dense(64, ReLU))
		if i < 4 {
			layers = append(layers, Dropout(0.2))
		}
	}
	d, err := Initial(Sequential(append(layers, Dense(1, Linear))...))
	if err != nil {
		t.Fatal(err)
	}
	s = d.Summary()
	if n := strings.Count(s, "(Dropout 0.2)"); n != 4 {
		t.Errorf("summary shows %d dropout layers, want 4:\n%s", n, s)
	}
	lines := strings.Split(s, "\n")
	i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "dense_4 ") })
	if i < 0 || !strings.HasPrefix(lines[i+1], "dense_5 ") {
		t.Errorf("the fifth hidden layer should be followed by the output layer:\n%s", s)
	}
	if got := d.Spec.Architecture(); got != "5x64, dropout 0.2 x4" {
		t.Errorf("architecture %q", got)
	}
}

// Dropout must leave the expected output unchanged between training and prediction. With one hidden layer the
// output is linear in the dropped activations, so the mean over many training-mode passes must match the
// prediction.
func TestDropoutKeepsExpectationInBothModes(t *testing.T) {
	ds := lectureData(t)
	for _, mode := range []DropoutMode{Inverted, ScaleAtPredict} {
		m, err := Initial(Sequential(Dense(1024, ReLU), Dropout(0.5), Dense(1, Linear)).Masks(mode, 1))
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
		bias := float64(m.Weights[1].Bias[0])
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
	spec := Sequential(Dense(64, ReLU), Dropout(0.2), Dense(1, Linear))
	predict := func(mode DropoutMode) (float64, *Model) {
		m, err := Initial(spec.Clone().Masks(mode, 1))
		if err != nil {
			t.Fatal(err)
		}
		p, err := m.Predict([]float32{1.5})
		if err != nil {
			t.Fatal(err)
		}
		return float64(p[0]), m
	}
	pi, inv := predict(Inverted)
	ps, _ := predict(ScaleAtPredict)
	b := float64(inv.Weights[1].Bias[0])
	if got := (ps - b) / (pi - b); math.Abs(got-0.8) > 1e-4 {
		t.Errorf("scale-at-predict / inverted hidden contribution = %.5f, want the keep probability 0.8", got)
	}
}

func TestGradientsVanishInDeepNetworksAtInit(t *testing.T) {
	ds := lectureData(t)
	ratio := func(depth int) float64 {
		m, err := Initial(Stack(widths(depth, 32)...).Seed(lectureSeed))
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

// The gradient graph must agree with finite differences of the loss, computed on the host in float64.
func TestGradientsMatchFiniteDifferences(t *testing.T) {
	ds := lectureData(t)
	m, err := Initial(Stack(3, 2).Seed(8).InitStdDev(0.5))
	if err != nil {
		t.Fatal(err)
	}
	g, err := m.Gradients(ds.TrainX, ds.TrainY)
	if err != nil {
		t.Fatal(err)
	}
	hostLoss := func(w []Weights) float64 {
		var s float64
		for i, x := range ds.TrainX {
			h := []float64{float64(x)}
			for l, lw := range w {
				out := make([]float64, lw.Out)
				for o := range out {
					v := float64(lw.Bias[o])
					for j := range h {
						v += h[j] * float64(lw.Kernel[j*lw.Out+o])
					}
					if l < len(w)-1 {
						v = math.Max(v, 0)
					}
					out[o] = v
				}
				h = out
			}
			d := h[0] - float64(ds.TrainY[i])
			s += d * d
		}
		return s / float64(len(ds.TrainX))
	}
	const eps = 1e-3
	for l, lw := range m.Weights {
		for j := range lw.Kernel {
			w := slices.Clone(m.Weights)
			k := slices.Clone(lw.Kernel)
			w[l].Kernel = k
			orig := k[j]
			k[j] = orig + eps
			up := hostLoss(w)
			k[j] = orig - eps
			down := hostLoss(w)
			want := (up - down) / (2 * eps)
			got := float64(g.Kernels[l].Data[j])
			if math.Abs(got-want) > 1e-3*math.Max(1, math.Abs(want)) {
				t.Errorf("layer %d kernel %d: gradient %.6g, finite difference %.6g", l, j, got, want)
			}
		}
	}
}

func TestGradientsAfterTraining(t *testing.T) {
	ds := lectureData(t)
	first := func(depth int) float64 {
		m := train(t, Stack(widths(depth, 32)...).Seed(lectureSeed), ds)
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

func TestEnsembleAverageBeatsItsMembersOnAverage(t *testing.T) {
	ds := lectureData(t)
	var members []*Model
	for i := range 4 {
		members = append(members, train(t, Stack(32, 32).Seed(uint64(11+i)).Epochs(200), ds))
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
	if ens := MSE(avg, ds.ValY); ens > meanMSE {
		t.Errorf("ensemble validation MSE %.5f > members' mean %.5f", ens, meanMSE)
	}
	if _, _, err := AveragePredictions([]*Model{members[0], nil}, ds.ValX); err == nil ||
		!strings.Contains(err.Error(), "model 2 of 2 is missing") {
		t.Errorf("a nil member: %v", err)
	}
}

// Every field of Settings and of Layer takes part in the key, found by reflection so that a field added later
// is covered too; RecordHistory alone does not.
func TestKeyCoversEveryField(t *testing.T) {
	base := dropoutNet(8, 0.2)
	key := base.Key()
	mutate := func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Int, reflect.Int64:
			v.SetInt(v.Int() + 1)
		case reflect.Uint64:
			v.SetUint(v.Uint() + 1)
		case reflect.Float64:
			v.SetFloat(v.Float() + 0.125)
		case reflect.String:
			v.SetString(v.String() + "x")
		case reflect.Bool:
			v.SetBool(!v.Bool())
		default:
			t.Fatalf("no mutation for kind %s: extend this test", v.Kind())
		}
	}
	checked := 0
	var walk func(path string, get func(*Spec) reflect.Value, typ reflect.Type)
	walk = func(path string, get func(*Spec) reflect.Value, typ reflect.Type) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			if !f.IsExported() {
				continue
			}
			name := path + "." + f.Name
			field := func(s *Spec) reflect.Value { return get(s).Field(i) }
			switch f.Type.Kind() {
			case reflect.Struct:
				walk(name, field, f.Type)
				continue
			case reflect.Slice: // Layers: mutate each field of one layer.
				elem := func(s *Spec) reflect.Value { return field(s).Index(1) }
				walk(name+"[1]", elem, f.Type.Elem())
				c := base.Clone()
				c.set.Layers = c.set.Layers[:len(c.set.Layers)-1]
				if c.Key() == key {
					t.Errorf("dropping a layer leaves the key unchanged")
				}
				continue
			}
			c := base.Clone()
			mutate(field(c))
			checked++
			if same := c.Key() == key; same != (name == ".RecordHistory") {
				t.Errorf("changing %s: key unchanged = %v", name, same)
			}
		}
	}
	walk("", func(s *Spec) reflect.Value { return reflect.ValueOf(&s.set).Elem() }, reflect.TypeOf(Settings{}))
	if checked < 12 {
		t.Errorf("only %d fields checked", checked)
	}
}

func TestBadSpecsAndData(t *testing.T) {
	ds := lectureData(t)
	nan := *ds
	nan.TrainY = slices.Clone(ds.TrainY)
	nan.TrainY[3] = float32(math.NaN())
	inf := *ds
	inf.ValX = slices.Clone(ds.ValX)
	inf.ValX[0] = float32(math.Inf(1))
	short := *ds
	short.TrainY = ds.TrainY[:10]
	ok := func() *Spec { return Stack(8).Epochs(2) }
	lr := func(v float64) *Spec { return ok().Optimizer(kerasadam.Defaults().WithLearningRate(v)) }
	eps := kerasadam.Defaults()
	eps.Epsilon = 1e-46
	cases := []struct {
		name string
		spec *Spec
		ds   *data.Dataset
		want string
	}{
		{"no widths", Stack(), ds, "no hidden layers"},
		{"zero width", Stack(8, 0), ds, "units must be between 1 and 65536"},
		{"negative width", Stack(-3), ds, "units must be between"},
		{"huge width", Stack(1 << 40), ds, "units must be between"},
		{"too deep", Stack(widths(300, 2)...), ds, "at most 256"},
		{"big and wide", Stack(widths(40, 60000)...), ds, "at most 85000000 are accepted"},
		{"too many weights to cache", Stack(23000, 23000), ds, "so that its fit can be cached"},
		{"unknown activation", Stack(8, 8).HiddenActivation("swish"), ds, "use mlp.ReLU, mlp.Sigmoid, mlp.Tanh or mlp.Linear"},
		{"epochs", ok().Epochs(0), ds, "epochs = 0"},
		{"dropout 1", Sequential(Dense(8, ReLU), Dropout(1), Dense(1, Linear)), ds, "dropout rate = 1: need a value in [0, 1)"},
		{"dropout first", Sequential(Dropout(0.1), Dense(8, ReLU), Dense(1, Linear)), ds, "must start with a dense layer"},
		{"no output", Sequential(Dense(8, ReLU), Dense(4, ReLU)), ds, "must be the output layer"},
		{"dropout mode", ok().Masks(DropoutMode(7), 1), ds, "mlp.Inverted"},
		{"learning rate 0", lr(0), ds, "learning rate = 0"},
		{"learning rate overflows float32", lr(1e39), ds, "(+Inf in float32)"},
		{"epsilon underflows float32", ok().Optimizer(eps), ds, "epsilon = 1e-46 (0 in float32)"},
		{"init sd overflows", ok().InitStdDev(1e39), ds, "standard deviation = 1e+39"},
		{"init sd NaN", ok().InitStdDev(math.NaN()), ds, "standard deviation = NaN"},
		{"nan target", ok(), &nan, "training set: targets[3] = NaN"},
		{"inf input", ok(), &inf, "validation set: inputs[0] = +Inf"},
		{"lengths", ok(), &short, "inputs have 50 values but targets have 10"},
		{"nil data", ok(), nil, "data set is nil"},
		{"nil spec", nil, ds, "the spec is nil"},
	}
	for _, c := range cases {
		_, err := Train(c.spec, c.ds, nil, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v; want one containing %q", c.name, err, c.want)
		}
	}
	if _, err := Initial(Stack(1 << 40)); err == nil {
		t.Error("Initial(Stack(1<<40)) gave no error")
	}
	if _, err := Initial(Stack(1e9)); err == nil {
		t.Error("Initial(Stack(1e9)) gave no error")
	}
	m, err := Initial(Stack(8))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Predict(nil); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("Predict(nil): %v", err)
	}
	if _, err := m.Evaluate(ds.TrainX, ds.TrainY[:3]); err == nil || !strings.Contains(err.Error(), "targets have 3") {
		t.Errorf("Evaluate with mismatched lengths: %v", err)
	}
	for _, c := range []struct {
		p          float64
		rows, cols int
		want       string
	}{{1.5, 2, 2, "[0, 1]"}, {0.5, 1 << 40, 1 << 40, "the cap is"}, {0.5, 0, 3, ">= 1"}} {
		if _, err := BernoulliMask(1, c.p, c.rows, c.cols); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("BernoulliMask(p=%g, %dx%d): %v", c.p, c.rows, c.cols, err)
		}
	}
}

// A fit that diverges ends with an error naming the epoch; it never returns a model.
func TestDivergedFitIsAnError(t *testing.T) {
	ds := lectureData(t)
	big := *ds
	big.TrainY = slices.Clone(ds.TrainY)
	for i := range big.TrainY {
		big.TrainY[i] *= 1e19
	}
	for _, c := range []struct {
		name string
		spec *Spec
		ds   *data.Dataset
	}{
		{"learning rate 1e6", Stack(32, 32).Epochs(50).Optimizer(kerasadam.Defaults().WithLearningRate(1e6)), ds},
		{"targets 1e19", Stack(32, 32).Epochs(5), &big},
		{"init sd 1e20", Stack(32, 32).Epochs(5).InitStdDev(1e20), ds},
	} {
		m, err := Train(c.spec, c.ds, nil, nil)
		if m != nil || err == nil || !strings.Contains(err.Error(), "diverged") || !strings.Contains(err.Error(), "epoch") {
			t.Errorf("%s: model %v, error %v; want no model and an error naming the epoch", c.name, m != nil, err)
		}
	}
	// A model whose weights overflow predicts Inf: Evaluate says so instead of scoring it.
	m, err := Initial(Stack(4))
	if err != nil {
		t.Fatal(err)
	}
	m.Weights[1].Bias[0] = float32(math.Inf(1))
	m2 := &Model{Spec: m.Spec, Weights: m.Weights}
	if _, err := m2.Evaluate(ds.TrainX, ds.TrainY); err == nil || !strings.Contains(err.Error(), "Inf") {
		t.Errorf("Evaluate of a model with an infinite weight: %v", err)
	}
}

func TestCheckRejectsMalformedModels(t *testing.T) {
	m, err := Initial(Stack(4, 3))
	if err != nil {
		t.Fatal(err)
	}
	bad := []func(*Model){
		func(m *Model) { m.Weights = m.Weights[:2] },
		func(m *Model) { m.Weights[1].Kernel = m.Weights[1].Kernel[:5] },
		func(m *Model) { m.Weights[0].Out = 5 },
		func(m *Model) { m.Weights[2].Bias[0] = float32(math.NaN()) },
		func(m *Model) { m.History = &History{Loss: []float64{1}} },
		func(m *Model) { m.Spec = nil },
	}
	for i, f := range bad {
		c := &Model{Spec: m.Spec.Clone(), History: nil}
		for _, w := range m.Weights {
			c.Weights = append(c.Weights, Weights{In: w.In, Out: w.Out, Kernel: slices.Clone(w.Kernel), Bias: slices.Clone(w.Bias)})
		}
		f(c)
		if c.Check() == nil {
			t.Errorf("case %d: Check accepted a malformed model", i)
		}
		if _, err := c.Predict([]float32{0}); err == nil {
			t.Errorf("case %d: Predict ran a malformed model", i)
		}
	}
	if err := m.Check(); err != nil {
		t.Errorf("a sound model: %v", err)
	}
}

func TestBernoulliMask(t *testing.T) {
	a, err := BernoulliMask(964, 0.5, 100, 100)
	if err != nil {
		t.Fatal(err)
	}
	b, err := BernoulliMask(964, 0.5, 100, 100)
	if err != nil {
		t.Fatal(err)
	}
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
	m, err := Initial(Stack(4, 3))
	if err != nil {
		t.Fatal(err)
	}
	xs := []float32{-2, 0, 2}
	acts, err := m.HiddenActivations(xs, 1)
	if err != nil {
		t.Fatal(err)
	}
	w := m.Weights
	for i, x := range xs { // Recompute layer 1 on the host.
		h0 := make([]float64, 4)
		for j := range h0 {
			h0[j] = math.Max(0, float64(x)*float64(w[0].Kernel[j])+float64(w[0].Bias[j]))
		}
		for k := range 3 {
			v := float64(w[1].Bias[k])
			for j := range h0 {
				v += h0[j] * float64(w[1].Kernel[j*3+k])
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

// Peak memory of fits measured on XLA CPU with scripts/memprobe (2-core AMD EPYC, 50 training and 10,000
// validation points): the estimate must not fall below any of them, nor exceed them by more than half.
func TestMemoryEstimateCoversMeasuredPeaks(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		spec    *Spec
		history bool
		peak    float64
	}{
		{Stack(1000, 1000), false, 243 * mib},
		{Stack(4000, 4000), false, 839 * mib},
		{Stack(8000, 8000), false, 2681 * mib},
		{Stack(12000, 12000), false, 5739 * mib},
		{Stack(widths(5, 1024)...), false, 371 * mib},
		{Stack(4000, 4000), true, 1071 * mib},
		{Stack(8000, 8000), true, 2791 * mib},
		{Stack(widths(5, 512)...), true, 295 * mib},
	} {
		val := 0
		if c.history {
			val = 10000
		}
		got := c.spec.Memory(50, val)
		if got < c.peak || got > 1.5*c.peak {
			t.Errorf("%s (history %v): estimate %s, measured peak %s", c.spec.Architecture(), c.history,
				HumanBytes(got), HumanBytes(c.peak))
		}
	}
}

// A fit that blows up on its last step (no recorded loss sees it) or ends finite but absurd is an error,
// never a model; and a model with an absurd weight fails its check.
func TestDivergenceIsCaughtAtTheEnd(t *testing.T) {
	ds := lectureData(t)
	for _, c := range []struct {
		name string
		spec *Spec
	}{
		{"last step", Stack(64, 64).Epochs(1).Optimizer(kerasadam.Defaults().WithLearningRate(1e30))},
		{"finite but absurd", Stack(8).Epochs(30).Optimizer(kerasadam.Defaults().WithLearningRate(1e6))},
	} {
		m, err := Train(c.spec, ds, nil, nil)
		if m != nil || err == nil || !strings.Contains(err.Error(), "diverged") {
			t.Errorf("%s: model %v, error %v; want a divergence error", c.name, m != nil, err)
		}
	}
	m, err := Initial(Stack(4).Seed(1))
	if err != nil {
		t.Fatal(err)
	}
	m.Weights[0].Kernel[0] = 1e30
	if err := m.Check(); err == nil || !strings.Contains(err.Error(), "diverged") {
		t.Errorf("a weight of 1e30 passed the check: %v", err)
	}
}

package kerasadam

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/golecture/regularization/pkg/backend"
)

// quadratic is the loss 0.5·Σ c_i·w_i², whose gradient c_i·w_i the host can compute exactly.
var coeffs = []float32{1, 1e-3, 1e-9, 2}

func lossOf(scope *model.Scope, g *graph.Graph) *graph.Node {
	w := scope.At("layer").VariableWithValue("w", []float32{0.5, -0.3, 0.8, 0.1}).NodeValue(g)
	c := graph.Const(g, coeffs)
	return graph.MulScalar(graph.ReduceAllSum(graph.Mul(c, graph.Square(w))), 0.5)
}

// newStep returns a function that applies one step of opt to the quadratic in GoMLX, and the Store.
func newStep(t *testing.T, opt optimizer.Interface) (func(), *model.Store) {
	t.Helper()
	backend.Quiet = true
	b, err := backend.Get()
	if err != nil {
		t.Fatal(err)
	}
	store := model.NewStore()
	e, err := model.NewExec(b, store, func(scope *model.Scope, g *graph.Graph) *graph.Node {
		loss := lossOf(scope, g)
		opt.UpdateGraph(scope, g, loss)
		return loss
	})
	if err != nil {
		t.Fatal(err)
	}
	return func() {
		if _, err := e.Call(); err != nil {
			t.Fatal(err)
		}
	}, store
}

// runSteps applies steps of opt to the quadratic in GoMLX and returns w after each step.
func runSteps(t *testing.T, opt optimizer.Interface, steps int) [][]float32 {
	t.Helper()
	step, store := newStep(t, opt)
	var out [][]float32
	for range steps {
		step()
		v, err := store.GetVariable("/layer/w").Value()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tensors.MustCopyFlatData[float32](v))
	}
	return out
}

// hostKeras applies Keras' update rule on the host, in float64, from the same float32 constants.
func hostKeras(c Config, steps int) [][]float64 {
	w := []float64{0.5, -0.3, 0.8, 0.1}
	m, v := make([]float64, 4), make([]float64, 4)
	b1, b2 := float64(float32(c.Beta1)), float64(float32(c.Beta2))
	var out [][]float64
	for t := 1; t <= steps; t++ {
		lrT := float64(float32(c.LearningRate)) * math.Sqrt(1-math.Pow(b2, float64(t))) / (1 - math.Pow(b1, float64(t)))
		for i := range w {
			g := float64(coeffs[i]) * w[i]
			m[i] = b1*m[i] + (1-b1)*g
			v[i] = b2*v[i] + (1-b2)*g*g
			w[i] -= lrT * m[i] / (math.Sqrt(v[i]) + float64(float32(c.Epsilon)))
		}
		out = append(out, append([]float64(nil), w...))
	}
	return out
}

func TestMatchesKerasRuleOnTheHost(t *testing.T) {
	c := Defaults().WithLearningRate(0.01)
	got, want := runSteps(t, New(c), 5), hostKeras(c, 5)
	for s := range want {
		for i := range want[s] {
			// The host runs float64; the graph float32. Steps are lr-sized, so compare the distance moved.
			moved := math.Abs(want[s][i] - []float64{0.5, -0.3, 0.8, 0.1}[i])
			if d := math.Abs(float64(got[s][i]) - want[s][i]); d > 1e-5*moved+1e-7 {
				t.Errorf("step %d, w[%d]: graph %.9g, host %.9g (moved %.3g)", s+1, i, got[s][i], want[s][i], moved)
			}
		}
	}
}

// GoMLX's own Adam adds ε after bias-correcting v. For the weight whose gradient is tiny (1e-9 · 0.8), the
// two rules part ways: Keras' step is about lr·sqrt(1-β2)/(1-β1)·g/(|g|·sqrt(1-β2)+ε) ≪ lr, GoMLX's about
// lr·g/(|g|+ε), ten times larger at this gradient. Where gradients are large they agree.
func TestDiffersFromGoMLXAdamOnlyForTinyGradients(t *testing.T) {
	c := Defaults().WithLearningRate(0.01)
	keras := runSteps(t, New(c), 1)[0]
	gomlx := runSteps(t, optimizer.Adam().LearningRate(c.LearningRate).Betas(c.Beta1, c.Beta2).Epsilon(c.Epsilon).Done(), 1)[0]
	start := []float32{0.5, -0.3, 0.8, 0.1}
	stepK, stepG := float64(start[2]-keras[2]), float64(start[2]-gomlx[2])
	if !(stepG > 5*stepK) {
		t.Errorf("tiny gradient: Keras step %.3g, GoMLX step %.3g; want GoMLX's several times larger", stepK, stepG)
	}
	for _, i := range []int{0, 3} {
		sK, sG := float64(start[i]-keras[i]), float64(start[i]-gomlx[i])
		if math.Abs(sK-sG) > 1e-3*math.Abs(sK) {
			t.Errorf("w[%d] (large gradient): Keras step %.6g, GoMLX step %.6g; want the same", i, sK, sG)
		}
	}
}

// 1 - β2 comes from the float32 β2 the decay uses: after one step the second moment is (1 - float32(β2))·g²,
// which differs from float32(1 - 0.999)·g² by 1.3e-5 relative.
func TestOneMinusBetaInFloat32(t *testing.T) {
	step, store := newStep(t, New(Defaults()))
	step()
	v, err := store.GetVariable("/" + ScopeName + "/layer/w_v").Value()
	if err != nil {
		t.Fatal(err)
	}
	got := tensors.MustCopyFlatData[float32](v)[0]
	g := coeffs[0] * 0.5
	want := (1 - float32(0.999)) * (g * g)
	wrong := float32(1-0.999) * (g * g)
	if got != want {
		t.Errorf("second moment after one step %.9g, want (1 - float32(β2))·g² = %.9g (the float64 complement gives %.9g)",
			got, want, wrong)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Defaults().WithLearningRate(1e39), "learning rate = 1e+39 (+Inf in float32)"},
		{Defaults().WithLearningRate(-1), "learning rate = -1"},
		{Config{LearningRate: 1e-3, Beta1: 1, Beta2: 0.999, Epsilon: 1e-7}, "beta1 = 1"},
		{Config{LearningRate: 1e-3, Beta1: 0.9, Beta2: math.NaN(), Epsilon: 1e-7}, "beta2 = NaN"},
		{Config{LearningRate: 1e-3, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-46}, "epsilon = 1e-46 (0 in float32)"},
	} {
		if err := c.cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v; want %q", c.cfg, err, c.want)
		}
	}
	if err := Defaults().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

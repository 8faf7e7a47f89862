package mlp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/golecture/regularization/pkg/backend"
)

// Weights are one dense layer's values: Kernel is In x Out in row-major order, Bias has Out entries.
type Weights struct {
	In, Out int
	Kernel  []float32
	Bias    []float32
}

// History holds one entry per epoch: the training loss of that step (before its update, as Keras reports it)
// and the validation loss after it.
type History struct {
	Loss, ValLoss []float64
}

// Model is a fitted (or freshly initialized) network: its spec and its weights, kept on the host so that a
// Model can be saved in the fit cache and run on any backend.
type Model struct {
	Spec    *Spec
	Weights []Weights // One per dense layer, input side first.
	History *History  // Nil unless the spec asked for it.
	Backend string    // Name of the backend that trained it.
	Trained int       // Epochs trained: Spec.NumEpochs for a fit, 0 for the network before training.

	backend compute.Backend // Runs it; nil means backend.Get().

	tensorsOnce sync.Once
	tensors     []*tensors.Tensor // Weights as tensors (kernel, bias per layer), reused across calls.
	checkErr    error             // Check's verdict, made with the tensors.
}

// SetBackend makes m run on b instead of the process-wide backend.Get().
func (m *Model) SetBackend(b compute.Backend) { m.backend = b }

func (m *Model) backendOrDefault() (compute.Backend, error) {
	if m.backend != nil {
		return m.backend, nil
	}
	return backend.Get()
}

// Initial returns the network spec describes as it is before training: the starting point of [Train].
func Initial(spec *Spec) (*Model, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if err := spec.CheckSize(1, 0); err != nil {
		return nil, err
	}
	return &Model{Spec: spec.Clone(), Weights: initialWeights(spec)}, nil // Trained: 0.
}

// initialWeights draws every kernel and bias from N(0, InitSD²), each from its own seed.
func initialWeights(spec *Spec) []Weights {
	dense := spec.DenseLayers()
	out := make([]Weights, len(dense))
	in := 1
	for i, l := range dense {
		out[i] = Weights{In: in, Out: l.Units,
			Kernel: normals(l.KernelSeed, in*l.Units, spec.set.InitSD),
			Bias:   normals(l.BiasSeed, l.Units, spec.set.InitSD)}
		in = l.Units
	}
	return out
}

func normals(seed int64, n int, sd float64) []float32 {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x1234abcd5678ef90))
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(sd * rng.NormFloat64())
	}
	return out
}

// Check verifies that m is whole: a valid spec, one set of weights per dense layer with the spec's shapes,
// finite values, and a history as long as the training. The fit cache runs it on every entry it loads.
func (m *Model) Check() error {
	if m == nil {
		return fmt.Errorf("the model is nil")
	}
	if err := m.Spec.Validate(); err != nil {
		return fmt.Errorf("spec: %w", err)
	}
	dense := m.Spec.DenseLayers()
	if len(m.Weights) != len(dense) {
		return fmt.Errorf("%d weight sets for %d dense layers", len(m.Weights), len(dense))
	}
	in := 1
	for i, w := range m.Weights {
		if w.In != in || w.Out != dense[i].Units || len(w.Kernel) != in*w.Out || len(w.Bias) != w.Out {
			return fmt.Errorf("dense layer %d: weights %dx%d (%d kernel, %d bias values), want %dx%d",
				i, w.In, w.Out, len(w.Kernel), len(w.Bias), in, dense[i].Units)
		}
		for _, vs := range [][]float32{w.Kernel, w.Bias} {
			if j := firstAbsurd(vs); j >= 0 {
				return fmt.Errorf("dense layer %d: weight %d is %v: a fit never gets there unless it diverged",
					i, j, vs[j])
			}
		}
		in = w.Out
	}
	if m.Trained != 0 && m.Trained != m.Spec.set.NumEpochs {
		return fmt.Errorf("trained for %d epochs, but its spec says %d", m.Trained, m.Spec.set.NumEpochs)
	}
	if h := m.History; h != nil && (len(h.Loss) != m.Trained || len(h.ValLoss) != m.Trained) {
		return fmt.Errorf("history of %d/%d epochs for a fit of %d", len(h.Loss), len(h.ValLoss), m.Trained)
	}
	return nil
}

// MaxWeight bounds the magnitude of a sound model's weights. Adam moves a weight by at most about its
// learning rate per step, so no fit the lecture can run gets near it; a larger weight means a diverged fit or
// a damaged cache entry.
const MaxWeight = 1e6

// firstAbsurd returns the index of the first value that is not finite or exceeds MaxWeight, or -1.
func firstAbsurd(xs []float32) int {
	for i, x := range xs {
		if !(math.Abs(float64(x)) <= MaxWeight) {
			return i
		}
	}
	return -1
}

func firstNonFinite(xs []float32) int {
	for i, x := range xs {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return i
		}
	}
	return -1
}

// weightTensors checks m and returns its weights as tensors, both done once per model so that the tensors'
// device copies are reused.
func (m *Model) weightTensors() ([]*tensors.Tensor, error) {
	m.tensorsOnce.Do(func() {
		if m.checkErr = m.Check(); m.checkErr != nil {
			return
		}
		for _, w := range m.Weights {
			m.tensors = append(m.tensors, tensors.FromFlatDataAndDimensions(w.Kernel, w.In, w.Out),
				tensors.FromFlatDataAndDimensions(w.Bias, w.Out))
		}
	})
	return m.tensors, m.checkErr
}

// run executes the net's graph of the given kind (and hidden layer, for execHidden) with m's weights in its
// variables.
func (m *Model) run(kind graphKind, layer int, args ...any) ([]*tensors.Tensor, error) {
	if m == nil {
		return nil, fmt.Errorf("the model is nil: fit it first")
	}
	weights, err := m.weightTensors()
	if err != nil {
		return nil, err
	}
	b, err := m.backendOrDefault()
	if err != nil {
		return nil, err
	}
	n, err := netFor(b, m.Spec)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.load(weights); err != nil {
		return nil, err
	}
	e, err := n.exec(kind, layer)
	if err != nil {
		return nil, err
	}
	return e.Call(args...)
}

func column(xs []float32) *tensors.Tensor { return tensors.FromFlatDataAndDimensions(xs, len(xs), 1) }

// Predict returns the network's output for each input.
func (m *Model) Predict(xs []float32) ([]float32, error) {
	if err := checkInputs("inputs", xs); err != nil {
		return nil, err
	}
	out, err := m.run(execPredict, 0, column(xs))
	if err != nil {
		return nil, err
	}
	return tensors.CopyFlatData[float32](out[0])
}

// HiddenActivations returns the outputs of hidden layer `layer` (0 for the first) for each input, as
// prediction sees them: out[i][j] is unit j's activation at xs[i]. Plotting them against x shows the pieces
// the output layer adds up.
func (m *Model) HiddenActivations(xs []float32, layer int) ([][]float32, error) {
	if m == nil || len(m.Weights) < 2 {
		return nil, fmt.Errorf("the model has no hidden layers")
	}
	if layer < 0 || layer >= len(m.Weights)-1 {
		return nil, fmt.Errorf("hidden layer %d: the model has hidden layers 0 to %d", layer, len(m.Weights)-2)
	}
	if err := checkInputs("inputs", xs); err != nil {
		return nil, err
	}
	out, err := m.run(execHidden, layer, column(xs))
	if err != nil {
		return nil, err
	}
	flat, err := tensors.CopyFlatData[float32](out[0])
	if err != nil {
		return nil, err
	}
	width := m.Weights[layer].Out
	acts := make([][]float32, len(xs))
	for i := range acts {
		acts[i] = flat[i*width : (i+1)*width]
	}
	return acts, nil
}

// Evaluate returns the mean squared error of the model on (xs, ys). A model whose predictions are not finite
// (a diverged fit) gets an error rather than a NaN score.
func (m *Model) Evaluate(xs, ys []float32) (float64, error) {
	if err := checkPairs(xs, ys); err != nil {
		return 0, err
	}
	p, err := m.Predict(xs)
	if err != nil {
		return 0, err
	}
	if i := firstNonFinite(p); i >= 0 {
		return 0, fmt.Errorf("the model predicts %v at x = %v: its weights overflow float32 there", p[i], xs[i])
	}
	mse := MSE(p, ys)
	if math.IsInf(mse, 0) {
		return 0, fmt.Errorf("the mean squared error overflows: the predictions are too far from the targets")
	}
	return mse, nil
}

// MSE is the mean squared error between predictions and targets, accumulated in float64.
func MSE(pred, ys []float32) float64 {
	var s float64
	for i := range pred {
		d := float64(pred[i]) - float64(ys[i])
		s += d * d
	}
	return s / float64(len(pred))
}

// MaxPoints caps the inputs of one call, so that a mistaken argument cannot exhaust memory.
const MaxPoints = 10_000_000

func checkInputs(what string, xs []float32) error {
	if len(xs) == 0 {
		return fmt.Errorf("%s are empty: need at least one value", what)
	}
	if len(xs) > MaxPoints {
		return fmt.Errorf("%d %s: at most %d are accepted in one call", len(xs), what, MaxPoints)
	}
	if i := firstNonFinite(xs); i >= 0 {
		return fmt.Errorf("%s[%d] = %v: every value must be finite (no NaN or Inf)", what, i, xs[i])
	}
	return nil
}

func checkPairs(xs, ys []float32) error {
	if len(xs) != len(ys) {
		return fmt.Errorf("inputs have %d values but targets have %d: need one target per input", len(xs), len(ys))
	}
	if err := checkInputs("inputs", xs); err != nil {
		return err
	}
	return checkInputs("targets", ys)
}

// DeadUnits counts, for each hidden layer, the units whose activation is exactly zero at every input: ReLU
// units switched off everywhere, which pass no signal forwards and receive no gradient. It runs the network
// (in prediction mode) on the host: for the lecture's 50 points that is microseconds.
func (m *Model) DeadUnits(xs []float32) ([]int, error) {
	if err := m.Check(); err != nil {
		return nil, err
	}
	if err := checkInputs("inputs", xs); err != nil {
		return nil, err
	}
	dense := m.Spec.DenseLayers()
	act := make([][]float32, len(xs))
	for i, x := range xs {
		act[i] = []float32{x}
	}
	var dead []int
	for l, w := range m.Weights[:len(m.Weights)-1] {
		alive := make([]bool, w.Out)
		for i := range act {
			next := make([]float32, w.Out)
			for j := range next {
				sum := w.Bias[j]
				for k, a := range act[i] {
					sum += a * w.Kernel[k*w.Out+j]
				}
				next[j] = float32(apply(dense[l].Activation, float64(sum)))
				alive[j] = alive[j] || next[j] != 0
			}
			act[i] = dropoutScale(m.Spec, l, next)
		}
		n := 0
		for _, a := range alive {
			if !a {
				n++
			}
		}
		dead = append(dead, n)
	}
	return dead, nil
}

// apply is an activation on the host.
func apply(a Activation, x float64) float64 {
	switch a {
	case ReLU:
		return math.Max(x, 0)
	case Sigmoid:
		return 1 / (1 + math.Exp(-x))
	case Tanh:
		return math.Tanh(x)
	}
	return x
}

// dropoutScale applies, in prediction mode, the scaling of the dropout layers that follow dense layer l.
func dropoutScale(spec *Spec, l int, xs []float32) []float32 {
	if spec.set.DropoutMode != ScaleAtPredict {
		return xs
	}
	dense := -1
	for _, layer := range spec.set.Layers {
		switch {
		case layer.Kind == DenseLayer:
			dense++
		case dense == l:
			for i := range xs {
				xs[i] *= float32(1 - layer.Rate)
			}
		}
	}
	return xs
}

// KernelName is the name of dense layer i's kernel, as Keras-style listings show it.
func KernelName(i int) string { return fmt.Sprintf("dense_%d/kernel", i) }

// Kernels lists the kernel (weight matrix) of every dense layer with its shape, as the lecture's list of
// weight tensors does.
func (m *Model) Kernels() []string {
	out := make([]string, len(m.Weights))
	for i, w := range m.Weights {
		out[i] = fmt.Sprintf("%s shape=[%d %d]", KernelName(i), w.In, w.Out)
	}
	return out
}

// Summary is a Keras-style table of the layers in order, with output shapes and parameter counts.
func (m *Model) Summary() string {
	var sb strings.Builder
	rule := strings.Repeat("_", 62) + "\n"
	double := strings.Repeat("=", 62) + "\n"
	fmt.Fprintf(&sb, "Model: %q\n%s", "mlp_"+m.Spec.Architecture(), rule)
	fmt.Fprintf(&sb, "%-30s %-18s %12s\n%s", "Layer (type)", "Output Shape", "Param #", double)
	total, dense, width := 0, 0, 1
	for i, l := range m.Spec.set.Layers {
		name, params := "", 0
		switch l.Kind {
		case DenseLayer:
			params = width*l.Units + l.Units
			width = l.Units
			name = fmt.Sprintf("dense_%d (Dense)", dense)
			dense++
		case DropoutLayer:
			name = fmt.Sprintf("dropout_%d (Dropout %g)", i, l.Rate)
		}
		total += params
		fmt.Fprintf(&sb, "%-30s %-18s %12s\n", name, fmt.Sprintf("(None, %d)", width), commas(params))
	}
	sb.WriteString(double)
	fmt.Fprintf(&sb, "Total params: %s\nTrainable params: %s\nNon-trainable params: 0\n%s", commas(total),
		commas(total), rule)
	return sb.String()
}

// NumParams returns the total number of weights.
func (m *Model) NumParams() int { return m.Spec.NumParams() }

func commas(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

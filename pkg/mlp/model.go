package mlp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/golecture/regularization/pkg/backend"
)

// Layer is one dense layer's weights: Kernel is In x Out in row-major order, Bias has Out entries.
type Layer struct {
	In, Out int
	Kernel  []float32
	Bias    []float32
}

// History holds one entry per epoch: the training loss of that step (before its update, as Keras reports it)
// and the validation loss after it.
type History struct {
	Loss, ValLoss []float64
}

// Model is a fitted (or freshly initialized) network. Its weights live on the host, so a Model can be saved
// in the fit cache and used on any backend.
type Model struct {
	Hidden  []int
	Layers  []Layer
	History *History // nil unless the fit asked for it.

	DropoutRate float64
	DropoutMode DropoutMode

	Backend  string        // Backend that trained it.
	FitTime  time.Duration // Wall time of the training (of the original fit, for a cached model).
	Epochs   int
	FromDisk bool // Loaded from the fit cache rather than trained in this process.

	backend compute.Backend // Runs predictions; nil means backend.Get().

	weightsOnce sync.Once
	weights     []any // The weights as tensors: the last arguments of the shared graphs (see run).
}

func layerName(i int) string { return fmt.Sprintf("dense_%d", i) }

// initLayers draws the initial weights: every kernel and bias from N(0, sd²) with its own seed.
func initLayers(hidden []int, seeds Seeds, sd float64) []Layer {
	widths := append([]int{1}, hidden...)
	widths = append(widths, 1)
	layers := make([]Layer, len(widths)-1)
	for i := range layers {
		in, out := widths[i], widths[i+1]
		layers[i] = Layer{In: in, Out: out,
			Kernel: normals(seeds.Kernel[i], in*out, sd),
			Bias:   normals(seeds.Bias[i], out, sd)}
	}
	return layers
}

func normals(seed int64, n int, sd float64) []float32 {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x1234abcd5678ef90))
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(sd * rng.NormFloat64())
	}
	return out
}

// Initial returns the network as it is before training: the starting point of [Config.Fit].
func (c *Config) Initial() (*Model, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &Model{
		Hidden:      c.Hidden(),
		Layers:      initLayers(c.hidden, c.resolvedSeeds(), c.initSD),
		DropoutRate: c.dropout,
		DropoutMode: c.dropoutMode,
		backend:     c.backend,
	}, nil
}

// compute returns the backend the model runs on.
func (m *Model) compute() (compute.Backend, error) {
	if m.backend != nil {
		return m.backend, nil
	}
	return backend.Get()
}

// layerVars are the GoMLX variables holding one layer's weights in a Store.
type layerVars struct {
	kernel, bias *model.Variable
}

// newStore puts the layers' weights into a fresh GoMLX Store, one scope per layer ("dense_0/kernel", ...).
func newStore(layers []Layer) (*model.Store, []layerVars, error) {
	store := model.NewStore()
	vars := make([]layerVars, len(layers))
	for i, l := range layers {
		scope := store.RootScope().In("%s", layerName(i))
		k, err := scope.CreateVariable("kernel", tensors.FromFlatDataAndDimensions(l.Kernel, l.In, l.Out))
		if err != nil {
			return nil, nil, err
		}
		b, err := scope.CreateVariable("bias", tensors.FromFlatDataAndDimensions(l.Bias, l.Out))
		if err != nil {
			return nil, nil, err
		}
		vars[i] = layerVars{kernel: k, bias: b}
	}
	return store, vars, nil
}

// dropout configures the dropout applied after each hidden layer in a graph.
type dropout struct {
	rate float64
	mode DropoutMode
	// mask returns a 0/1 keep mask of the given node's shape; nil outside training.
	mask func(like *graph.Node) *graph.Node
}

// dense is one layer's weights as graph nodes.
type dense struct {
	kernel, bias *graph.Node
}

// nodesOf returns the current values of the variables in graph g.
func nodesOf(g *graph.Graph, vars []layerVars) []dense {
	out := make([]dense, len(vars))
	for i, lv := range vars {
		out[i] = dense{kernel: lv.kernel.NodeValue(g), bias: lv.bias.NodeValue(g)}
	}
	return out
}

// forward builds the network's output for inputs x ([n, 1]). With training set (d.mask non-nil) the dropout
// masks are applied; otherwise prediction-time scaling is.
func forward(x *graph.Node, vars []layerVars, d dropout) *graph.Node {
	return stack(x, nodesOf(x.Graph(), vars), d, true)
}

// stack applies the layers to x: dense, then ReLU and dropout, except after the last layer when
// linearOutput is set.
func stack(x *graph.Node, layers []dense, d dropout, linearOutput bool) *graph.Node {
	h := x
	for i, l := range layers {
		h = graph.Add(graph.MatMul(h, l.kernel), graph.InsertAxes(l.bias, 0))
		if linearOutput && i == len(layers)-1 {
			break
		}
		h = graph.Max(h, graph.ZerosLike(h)) // ReLU
		if d.rate > 0 {
			switch {
			case d.mask != nil && d.mode == Inverted:
				h = graph.MulScalar(graph.Mul(h, d.mask(h)), 1/(1-d.rate))
			case d.mask != nil:
				h = graph.Mul(h, d.mask(h))
			case d.mode == ScaleAtPredict:
				h = graph.MulScalar(h, 1-d.rate)
			}
		}
	}
	return h
}

// mse builds the mean squared error between predictions [n, 1] and targets [n, 1].
func mse(pred, y *graph.Node) *graph.Node {
	return graph.ReduceAllMean(graph.Square(graph.Sub(pred, y)))
}

// call runs an Exec, turning panics raised while building or running the graph into errors.
func call(e *model.Exec, args ...any) (out []*tensors.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("GoMLX: %v", r)
		}
	}()
	return e.Call(args...)
}

// sharedExecs holds compiled graphs keyed by kind, backend, layer shapes and dropout setting. The weights are
// inputs of these graphs, so models of the same architecture (an ensemble's members, models reloaded from the
// cache) share them, and XLA compiles each once per input size instead of once per model.
var sharedExecs sync.Map

type sharedKey struct {
	kind    string
	backend compute.Backend
	shapes  string
	rate    float64
	mode    DropoutMode
}

// sharedExec returns the graph of the given kind for layers, building it with build on first use. The graph's
// inputs are numData data nodes followed by each layer's kernel and bias.
func sharedExec(kind string, b compute.Backend, layers []Layer, d dropout, numData int,
	build func(data []*graph.Node, weights []dense) []*graph.Node) (*graph.Exec, error) {
	key := sharedKey{kind: kind, backend: b, rate: d.rate, mode: d.mode} // d.mask is nil: no training here.
	for _, l := range layers {
		key.shapes += fmt.Sprintf("%dx%d,", l.In, l.Out)
	}
	if e, ok := sharedExecs.Load(key); ok {
		return e.(*graph.Exec), nil
	}
	e, err := graph.NewExec(b, func(inputs []*graph.Node) []*graph.Node {
		weights := make([]dense, len(layers))
		for i := range weights {
			weights[i] = dense{kernel: inputs[numData+2*i], bias: inputs[numData+2*i+1]}
		}
		return build(inputs[:numData], weights)
	})
	if err != nil {
		return nil, err
	}
	actual, _ := sharedExecs.LoadOrStore(key, e)
	return actual.(*graph.Exec), nil
}

// run executes the shared graph of the given kind on data followed by the model's weights.
func (m *Model) run(kind string, numData int, build func(data []*graph.Node, weights []dense) []*graph.Node,
	data ...*tensors.Tensor) (out []*tensors.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("GoMLX: %v", r)
		}
	}()
	b, err := m.compute()
	if err != nil {
		return nil, err
	}
	e, err := sharedExec(kind, b, m.Layers, dropout{rate: m.DropoutRate, mode: m.DropoutMode}, numData, build)
	if err != nil {
		return nil, err
	}
	m.weightsOnce.Do(func() {
		for _, l := range m.Layers {
			m.weights = append(m.weights, tensors.FromFlatDataAndDimensions(l.Kernel, l.In, l.Out),
				tensors.FromFlatDataAndDimensions(l.Bias, l.Out))
		}
	})
	args := make([]any, 0, len(data)+len(m.weights))
	for _, t := range data {
		args = append(args, t)
	}
	return e.Call(append(args, m.weights...)...)
}

// Predict returns the network's output for each input.
func (m *Model) Predict(xs []float32) ([]float32, error) {
	if err := checkInputs("inputs", xs); err != nil {
		return nil, err
	}
	d := dropout{rate: m.DropoutRate, mode: m.DropoutMode}
	out, err := m.run("predict", 1, func(data []*graph.Node, weights []dense) []*graph.Node {
		return []*graph.Node{stack(data[0], weights, d, true)}
	}, tensors.FromFlatDataAndDimensions(xs, len(xs), 1))
	if err != nil {
		return nil, err
	}
	return tensors.CopyFlatData[float32](out[0])
}

// HiddenActivations returns the outputs of hidden layer `layer` (0 for the first) for each input, as
// prediction sees them: out[i][j] is unit j's activation at xs[i]. Plotting them against x shows the pieces
// the output layer adds up.
func (m *Model) HiddenActivations(xs []float32, layer int) ([][]float32, error) {
	if layer < 0 || layer >= len(m.Layers)-1 {
		return nil, fmt.Errorf("hidden layer %d: the model has hidden layers 0 to %d", layer, len(m.Layers)-2)
	}
	if err := checkInputs("inputs", xs); err != nil {
		return nil, err
	}
	d := dropout{rate: m.DropoutRate, mode: m.DropoutMode}
	out, err := m.run(fmt.Sprintf("hidden-%d", layer), 1, func(data []*graph.Node, weights []dense) []*graph.Node {
		return []*graph.Node{stack(data[0], weights[:layer+1], d, false)}
	}, tensors.FromFlatDataAndDimensions(xs, len(xs), 1))
	if err != nil {
		return nil, err
	}
	flat, err := tensors.CopyFlatData[float32](out[0])
	if err != nil {
		return nil, err
	}
	width := m.Layers[layer].Out
	acts := make([][]float32, len(xs))
	for i := range acts {
		acts[i] = flat[i*width : (i+1)*width]
	}
	return acts, nil
}

// Predict64 is Predict for float64 inputs and outputs, as plotting grids use.
func (m *Model) Predict64(xs []float64) ([]float64, error) {
	x32 := make([]float32, len(xs))
	for i, x := range xs {
		x32[i] = float32(x)
	}
	p, err := m.Predict(x32)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(p))
	for i, v := range p {
		out[i] = float64(v)
	}
	return out, nil
}

// Evaluate returns the mean squared error of the model on (xs, ys).
func (m *Model) Evaluate(xs, ys []float32) (float64, error) {
	if err := checkPairs(xs, ys); err != nil {
		return 0, err
	}
	p, err := m.Predict(xs)
	if err != nil {
		return 0, err
	}
	return MSE(p, ys), nil
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

func checkInputs(what string, xs []float32) error {
	if len(xs) == 0 {
		return fmt.Errorf("%s are empty: need at least one value", what)
	}
	for i, x := range xs {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("%s[%d] = %v: every value must be finite (no NaN or Inf)", what, i, x)
		}
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

// NumParams returns the number of weights in layer i (kernel and bias).
func (l Layer) NumParams() int { return l.In*l.Out + l.Out }

// Variable names a weight tensor and its shape.
type Variable struct {
	Name  string
	Shape []int
}

func (v Variable) String() string {
	return fmt.Sprintf("%s shape=%v", v.Name, v.Shape)
}

// Kernels lists the weight (kernel) variables of every layer, as the lecture's weight_tensors list does.
func (m *Model) Kernels() []Variable {
	out := make([]Variable, len(m.Layers))
	for i, l := range m.Layers {
		out[i] = Variable{Name: layerName(i) + "/kernel", Shape: []int{l.In, l.Out}}
	}
	return out
}

// Summary is a Keras-style table of layers, output shapes and parameter counts.
func (m *Model) Summary() string {
	var sb strings.Builder
	rule := strings.Repeat("_", 62) + "\n"
	fmt.Fprintf(&sb, "Model: \"mlp_%s\"\n%s", architecture(m.Hidden), rule)
	fmt.Fprintf(&sb, "%-30s %-18s %12s\n%s", "Layer (type)", "Output Shape", "Param #", strings.Repeat("=", 62)+"\n")
	total := 0
	for i, l := range m.Layers {
		n := l.NumParams()
		total += n
		fmt.Fprintf(&sb, "%-30s %-18s %12s\n", layerName(i)+" (Dense)", fmt.Sprintf("(None, %d)", l.Out), commas(n))
		if m.DropoutRate > 0 && i < len(m.Layers)-1 {
			fmt.Fprintf(&sb, "%-30s %-18s %12s\n", fmt.Sprintf("dropout_%d (Dropout)", i), fmt.Sprintf("(None, %d)", l.Out), "0")
		}
	}
	fmt.Fprintf(&sb, "%s", strings.Repeat("=", 62)+"\n")
	fmt.Fprintf(&sb, "Total params: %s\nTrainable params: %s\nNon-trainable params: 0\n%s", commas(total), commas(total), rule)
	return sb.String()
}

// NumParams returns the total number of weights.
func (m *Model) NumParams() int {
	n := 0
	for _, l := range m.Layers {
		n += l.NumParams()
	}
	return n
}

func commas(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

package mlp

import (
	"fmt"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/golecture/regularization/pkg/kerasadam"
)

// net is one architecture in GoMLX: a Store with a variable per kernel and bias, and the compiled graphs that
// train, predict and differentiate it. Models of the same architecture (an ensemble's members, fits loaded
// from the cache) take turns in it: their weights are set into the variables before each use, so each graph
// is compiled once per architecture and input size, not once per model.
type net struct {
	mu              sync.Mutex
	spec            *Spec // Architecture only: seeds, epochs and history cleared.
	backend         compute.Backend
	store           *model.Store
	kernels, biases []*model.Variable
	execs           map[string]*model.Exec
}

var nets sync.Map // netKey -> *net

type netKey struct {
	backend compute.Backend
	arch    string
}

// netFor returns the shared net of spec's architecture on backend b.
func netFor(b compute.Backend, spec *Spec) (*net, error) {
	arch := spec.Clone()
	for i, l := range arch.Layers {
		arch.Layers[i] = l.Seeded(0, 0)
	}
	arch.NumEpochs, arch.InitSD, arch.DropoutSeed, arch.RecordHistory = 0, 0, 0, false
	key := netKey{backend: b, arch: arch.Key()}
	if n, ok := nets.Load(key); ok {
		return n.(*net), nil
	}
	n := &net{spec: arch, backend: b, store: model.NewStore(), execs: map[string]*model.Exec{}}
	in := 1
	for i, l := range spec.Dense() {
		scope := denseScope(n.store.RootScope(), i)
		k, err := scope.CreateVariable("weights", tensors.FromShape(shapes.Make(dtypes.Float32, in, l.Units)))
		if err != nil {
			return nil, err
		}
		bias, err := scope.CreateVariable("biases", tensors.FromShape(shapes.Make(dtypes.Float32, l.Units)))
		if err != nil {
			return nil, err
		}
		n.kernels, n.biases = append(n.kernels, k), append(n.biases, bias)
		in = l.Units
	}
	actual, _ := nets.LoadOrStore(key, n)
	return actual.(*net), nil
}

// denseScope is where layers.Dense keeps dense layer i's variables: creating them there first, with our
// seeded values, makes layers.Dense reuse them instead of initializing its own.
func denseScope(root *model.Scope, i int) *model.Scope { return root.At("dense_%d", i).At("dense") }

// forward builds the network's output for inputs x ([n, 1]), in training mode (dropout masks drawn from the
// Store's random state) or prediction mode. With stopAfter >= 0 it returns the activations of dense layer
// stopAfter instead (after its activation and the dropout layers that follow it).
func (n *net) forward(scope *model.Scope, x *graph.Node, training bool, stopAfter int) *graph.Node {
	g := x.Graph()
	scope.Store().SetTraining(g, training)
	dense := -1
	for i, l := range n.spec.Layers {
		switch l.Kind {
		case DenseLayer:
			dense++
			if stopAfter >= 0 && dense > stopAfter {
				return x
			}
			x = layers.Dense(scope.At("dense_%d", dense), x, true, l.Units) // At: a graph may run it twice.
			if l.Activation == ReLU {
				x = activation.Relu(x)
			}
		case DropoutLayer:
			if l.Rate == 0 {
				continue
			}
			if training {
				rate := graph.Scalar(g, dtypes.Float32, l.Rate)
				x = layers.DropoutNormalize(scope.At("dropout_%d", i), x, rate, n.spec.DropoutMode == Inverted)
			} else if n.spec.DropoutMode == ScaleAtPredict {
				x = graph.MulScalar(x, 1-l.Rate)
			}
		}
	}
	return x
}

// mse builds the mean squared error between predictions [n, 1] and targets [n, 1].
func mse(pred, y *graph.Node) *graph.Node {
	return graph.ReduceAllMean(graph.Square(graph.Sub(pred, y)))
}

// Graph kinds: each is compiled once per net (and input shape).
const (
	execTrain    = "train"     // (x, y) -> training loss; one Adam step.
	execTrainVal = "train+val" // (x, y, vx, vy) -> training loss, validation loss after the step.
	execPredict  = "predict"   // x -> prediction.
	execGrads    = "gradients" // (x, y) -> loss, d loss / d kernel_i..., d loss / d bias_i...
	execSample   = "sample"    // x -> one training-mode pass (fresh dropout masks), no update.
)

// exec returns the graph of the given kind, building it on first use. Kinds "hidden-<k>" return the
// activations of dense layer k.
func (n *net) exec(kind string) (*model.Exec, error) {
	if e, ok := n.execs[kind]; ok {
		return e, nil
	}
	var e *model.Exec
	var err error
	opt := kerasadam.New(n.spec.Adam)
	switch kind {
	case execTrain:
		e, err = model.NewExec(n.backend, n.store, func(scope *model.Scope, x, y *graph.Node) *graph.Node {
			loss := mse(n.forward(scope, x, true, -1), y)
			opt.UpdateGraph(scope, x.Graph(), loss)
			return loss
		})
	case execTrainVal:
		e, err = model.NewExec(n.backend, n.store, func(scope *model.Scope, x, y, vx, vy *graph.Node) (loss, val *graph.Node) {
			loss = mse(n.forward(scope, x, true, -1), y)
			opt.UpdateGraph(scope, x.Graph(), loss)
			return loss, mse(n.forward(scope, vx, false, -1), vy) // Reads the updated weights.
		})
	case execPredict:
		e, err = model.NewExec(n.backend, n.store, func(scope *model.Scope, x *graph.Node) *graph.Node {
			return n.forward(scope, x, false, -1)
		})
	case execSample:
		e, err = model.NewExec(n.backend, n.store, func(scope *model.Scope, x *graph.Node) *graph.Node {
			return n.forward(scope, x, true, -1)
		})
	case execGrads:
		e, err = model.NewExec(n.backend, n.store, func(scope *model.Scope, x, y *graph.Node) []*graph.Node {
			loss := mse(n.forward(scope, x, false, -1), y)
			var params []*graph.Node
			for _, v := range append(append([]*model.Variable{}, n.kernels...), n.biases...) {
				params = append(params, v.NodeValue(x.Graph()))
			}
			return append([]*graph.Node{loss}, graph.Gradient(loss, params...)...)
		})
	default:
		var k int
		if _, serr := fmt.Sscanf(kind, "hidden-%d", &k); serr != nil {
			return nil, fmt.Errorf("internal error: unknown graph kind %q", kind)
		}
		e, err = model.NewExec(n.backend, n.store, func(scope *model.Scope, x *graph.Node) *graph.Node {
			return n.forward(scope, x, false, k)
		})
	}
	if err != nil {
		return nil, err
	}
	n.execs[kind] = e
	return e, nil
}

// load puts weights into the net's variables without copying them; the caller holds n.mu.
func (n *net) load(weights []*tensors.Tensor) error {
	vars := n.variables()
	if len(weights) != len(vars) {
		return fmt.Errorf("internal error: %d weight tensors for %d variables", len(weights), len(vars))
	}
	for i, v := range vars {
		if err := v.SetValuePreservingOld(weights[i]); err != nil {
			return err
		}
	}
	return nil
}

// variables lists kernel and bias of each dense layer in turn.
func (n *net) variables() []*model.Variable {
	out := make([]*model.Variable, 0, 2*len(n.kernels))
	for i := range n.kernels {
		out = append(out, n.kernels[i], n.biases[i])
	}
	return out
}

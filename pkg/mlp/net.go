package mlp

import (
	"fmt"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/gobackend"
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
	execs           map[execKey]*model.Exec
}

var nets sync.Map // netKey -> *net

type netKey struct {
	backend compute.Backend
	arch    string
}

// netFor returns the shared net of spec's architecture on backend b.
func netFor(b compute.Backend, spec *Spec) (*net, error) {
	arch := spec.Clone()
	for i, l := range arch.set.Layers {
		arch.set.Layers[i] = l.Seeded(0, 0)
	}
	arch.set.NumEpochs, arch.set.InitSD, arch.set.DropoutSeed, arch.set.SeedFrom, arch.set.RecordHistory = 0, 0, 0, 0, false
	key := netKey{backend: b, arch: arch.Key()}
	if n, ok := nets.Load(key); ok {
		return n.(*net), nil
	}
	n := &net{spec: arch, backend: b, store: model.NewStore(), execs: map[execKey]*model.Exec{}}
	in := 1
	for i, l := range spec.DenseLayers() {
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
	// The optimizer's state (step counter, moments) and the random state exist from the start, so that the
	// training loops' graphs see every variable before their loop body is built (see trainLoop).
	kerasadam.New(arch.set.Adam).CreateState(n.store.RootScope())
	if err := n.store.SetRNGStateFromSeed(0); err != nil {
		return nil, err
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
	for i, l := range n.spec.set.Layers {
		switch l.Kind {
		case DenseLayer:
			dense++
			if stopAfter >= 0 && dense > stopAfter {
				return x
			}
			x = layers.Dense(scope.At("dense_%d", dense), x, true, l.Units) // At: a graph may run it twice.
			x = activation.Apply(activationTypes[l.Activation], x)
		case DropoutLayer:
			if l.Rate == 0 {
				continue
			}
			if training {
				rate := graph.Scalar(g, dtypes.Float32, l.Rate)
				x = layers.DropoutNormalize(scope.At("dropout_%d", i), x, rate, n.spec.set.DropoutMode == Inverted)
			} else if n.spec.set.DropoutMode == ScaleAtPredict {
				x = graph.MulScalar(x, 1-l.Rate)
			}
		}
	}
	return x
}

// activationTypes maps our activations to GoMLX's.
var activationTypes = map[Activation]activation.Type{
	ReLU: activation.TypeRelu, Sigmoid: activation.TypeSigmoid, Tanh: activation.TypeTanh, Linear: activation.TypeNone,
}

// mse builds the mean squared error between predictions [n, 1] and targets [n, 1].
func mse(pred, y *graph.Node) *graph.Node {
	return graph.ReduceAllMean(graph.Square(graph.Sub(pred, y)))
}

// graphKind names a graph a net compiles (once per net and input shape).
type graphKind int

const (
	execTrain    graphKind = iota // (x, y, epochs) -> training losses [loopCapacity]; up to loopCapacity Adam steps.
	execTrainVal                  // (x, y, vx, vy, epochs) -> the same and the validation loss after each step.
	execPredict                   // x -> prediction.
	execGrads                     // (x, y) -> loss, d loss / d kernel_i..., d loss / d bias_i...
	execSample                    // x -> one training-mode pass (fresh dropout masks), no update.
	execHidden                    // x -> the activations of one hidden layer (execKey.layer).
)

// execKey identifies a compiled graph of a net.
type execKey struct {
	kind    graphKind
	layer   int  // execHidden: which hidden layer.
	oneStep bool // Training graphs: one epoch per call (see train).
}

// loopCapacity is the most epochs one execution of a training graph runs: the length of the loss vectors it
// returns. Train asks for fewer per call (see Train), so that progress and interrupts stay responsive.
const loopCapacity = 1000

// loops reports whether the net's training graphs run many epochs in a loop (see trainLoop). GoMLX v0.28.5's
// pure-Go backend fails to execute that loop's body ("input 0 for node Mul not computed yet"), so on it each
// call runs one epoch, as the host asks for then (see Train).
func (n *net) loops() bool { return !oneStepPerCall && n.backend.String() != gobackend.BackendName }

// oneStepPerCall turns the loops off, for tests that compare both ways of training.
var oneStepPerCall bool

// train builds the training graph: trainLoop, or a single step where loops() is false, whose loss vectors
// then hold that one step's losses.
func (n *net) train(scope *model.Scope, opt *kerasadam.Optimizer, x, y, vx, vy, epochs *graph.Node) (losses, vals *graph.Node) {
	if n.loops() {
		return n.trainLoop(scope, opt, x, y, vx, vy, epochs)
	}
	loss := mse(n.forward(scope, x, true, -1), y)
	opt.UpdateGraph(scope, x.Graph(), loss)
	losses, vals = graph.Reshape(loss, 1), graph.Reshape(loss, 1)
	if vx != nil {
		vals = graph.Reshape(mse(n.forward(scope, vx, false, -1), vy), 1) // Reads the updated weights.
	}
	return losses, vals
}

// trainLoop builds `epochs` (a scalar int32 node, at most loopCapacity) full-batch Adam steps in one
// graph.While, so that a fit makes one call per chunk of epochs instead of one per epoch: the weights, the
// optimizer's moments and the random state stay on the device between steps, with no round trip to the host
// and no fresh output buffers for every step. It returns the training loss of each step (before its update),
// and, when vx is not nil, the validation loss on (vx, vy) after each step; entries past `epochs` are zero.
//
// The loop's state is every variable of the Store (weights, Adam's state, the random state): inside the body
// each variable's value is set to the body's parameter, so that layers.Dense, the dropout layers and the
// optimizer, which read and write variables, build one step unchanged; after the loop the variables take the
// loop's results, which model.Exec returns and stores as for any graph that updates variables.
func (n *net) trainLoop(scope *model.Scope, opt *kerasadam.Optimizer, x, y, vx, vy, epochs *graph.Node) (losses, vals *graph.Node) {
	g := x.Graph()
	withVal := vx != nil
	var vars []*model.Variable
	for v := range n.store.IterVariables() {
		vars = append(vars, v)
	}
	// State: the step index, the two loss vectors, the data, then every variable. The data travels as state
	// (unchanged) since a loop's body can only use its own parameters.
	//
	// GoMLX keeps one cache of scalar constants per graph, not per function: a scalar made here with
	// graph.Scalar (or Zeros, which uses it) would be reused inside the body, which the backends reject. So
	// nothing in this main function, before the loop, is made through that cache: graph.Const makes fresh nodes.
	if vx == nil {
		vx, vy = x, y // Placeholders of the right shapes; the body does not read them.
	}
	init := []*graph.Node{
		graph.Const(g, int32(0)),
		graph.Const(g, make([]float32, loopCapacity)),
		graph.Const(g, make([]float32, loopCapacity)),
		epochs, x, y, vx, vy,
	}
	const first = 8 // Index of the first variable in the state.
	for _, v := range vars {
		init = append(init, v.NodeValue(g))
	}
	params := func(g *graph.Graph) []*graph.Node {
		out := make([]*graph.Node, len(init))
		for i, node := range init {
			out[i] = graph.Parameter(g, fmt.Sprintf("state_%d", i), node.Shape())
		}
		return out
	}
	cond := graph.NewClosure(g, func(g *graph.Graph) []*graph.Node {
		state := params(g)
		return []*graph.Node{graph.LessThan(state[0], state[3])}
	})
	body := graph.NewClosure(g, func(g *graph.Graph) []*graph.Node {
		state := params(g)
		i, trainLosses, valLosses, x, y, vx, vy := state[0], state[1], state[2], state[4], state[5], state[6], state[7]
		for j, v := range vars {
			v.SetNodeValue(state[first+j])
		}
		// Entry i of a loss vector, by a select: as fast as DynamicUpdateSlice on XLA (measured), and the
		// pure-Go backend, whose loops fail today (see loops), lacks DynamicUpdateSlice.
		at := graph.Equal(graph.Iota(g, shapes.Make(dtypes.Int32, loopCapacity), 0), i)
		loss := mse(n.forward(scope, x, true, -1), y)
		opt.UpdateGraph(scope, g, loss)
		trainLosses = graph.Where(at, graph.BroadcastToShape(loss, trainLosses.Shape()), trainLosses)
		if withVal {
			val := mse(n.forward(scope, vx, false, -1), vy) // Reads the updated weights.
			valLosses = graph.Where(at, graph.BroadcastToShape(val, valLosses.Shape()), valLosses)
		}
		out := append([]*graph.Node{graph.AddScalar(i, 1), trainLosses, valLosses}, state[3:first]...)
		for _, v := range vars {
			out = append(out, v.NodeValue(g))
		}
		return out
	})
	final := graph.While(cond, body, init...)
	for j, v := range vars {
		v.SetNodeValue(final[first+j])
	}
	return final[1], final[2]
}

// exec returns the graph of the given kind (for execHidden, of hidden layer `layer`), building it on first
// use.
func (n *net) exec(kind graphKind, layer int) (*model.Exec, error) {
	key := execKey{kind: kind, layer: layer, oneStep: !n.loops()}
	if e, ok := n.execs[key]; ok {
		return e, nil
	}
	var e *model.Exec
	var err error
	opt := kerasadam.New(n.spec.set.Adam)
	switch kind {
	case execTrain:
		e, err = model.NewExec(n.backend, n.store, func(scope *model.Scope, x, y, epochs *graph.Node) *graph.Node {
			losses, _ := n.train(scope, opt, x, y, nil, nil, epochs)
			return losses
		})
	case execTrainVal:
		e, err = model.NewExec(n.backend, n.store, func(scope *model.Scope, x, y, vx, vy, epochs *graph.Node) (losses, vals *graph.Node) {
			return n.train(scope, opt, x, y, vx, vy, epochs)
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
	case execHidden:
		e, err = model.NewExec(n.backend, n.store, func(scope *model.Scope, x *graph.Node) *graph.Node {
			return n.forward(scope, x, false, layer)
		})
	default:
		return nil, fmt.Errorf("internal error: unknown graph kind %d", kind)
	}
	if err != nil {
		return nil, err
	}
	n.execs[key] = e
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

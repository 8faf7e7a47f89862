// Package kerasadam is Adam as Keras (and TensorFlow's ApplyAdam) computes it, written as a GoMLX optimizer
// (it implements optimizer.Interface from github.com/gomlx/gomlx/ml/train/optimizer).
//
// For a weight w with gradient g at step t (counting from 1):
//
//	m = β1·m + (1-β1)·g
//	v = β2·v + (1-β2)·g²
//	w = w - lr·sqrt(1-β2^t)/(1-β1^t) · m / (sqrt(v) + ε)
//
// GoMLX's own Adam (like PyTorch's) bias-corrects v first and adds ε after the square root of the corrected
// value: w -= lr · m̂ / (sqrt(v̂) + ε). The two agree while sqrt(v) is much larger than ε and part ways when
// gradients are tiny, which is exactly the vanishing-gradient regime the lecture studies; so the lecture's
// Keras results need this form.
//
// Every constant is a float32 in the graph, and 1-β1, 1-β2 are computed from those float32 values, so the
// decay and its complement add up to one in the arithmetic the update actually uses.
//
// Example:
//
//	opt := kerasadam.Defaults().WithLearningRate(0.01)
//	// inside a model.Exec graph function, after building the loss:
//	opt.UpdateGraph(scope, g, loss)
package kerasadam

import (
	"fmt"
	"math"
	"path"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// Config holds the optimizer's settings. It is plain data: two equal Configs update weights identically.
type Config struct {
	LearningRate, Beta1, Beta2, Epsilon float64
}

// Defaults returns Keras' defaults: learning rate 0.001, β1 0.9, β2 0.999, ε 1e-7.
func Defaults() Config { return Config{LearningRate: 0.001, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7} }

// WithLearningRate returns a copy with another learning rate.
func (c Config) WithLearningRate(lr float64) Config { c.LearningRate = lr; return c }

// Validate reports the first setting out of range. Values are checked as the float32 numbers the graph uses:
// an ε of 1e-46 is zero in float32, and a learning rate of 1e39 is infinite.
func (c Config) Validate() error {
	f := func(v float64) float64 { return float64(float32(v)) }
	lr, b1, b2, eps := f(c.LearningRate), f(c.Beta1), f(c.Beta2), f(c.Epsilon)
	switch {
	case !(lr > 0) || math.IsInf(lr, 0):
		return fmt.Errorf("Adam learning rate = %g (%g in float32): need a finite value > 0 in float32, e.g. 0.001",
			c.LearningRate, lr)
	case !(b1 >= 0 && b1 < 1):
		return fmt.Errorf("Adam beta1 = %g (%g in float32): need a value in [0, 1), e.g. 0.9", c.Beta1, b1)
	case !(b2 >= 0 && b2 < 1):
		return fmt.Errorf("Adam beta2 = %g (%g in float32): need a value in [0, 1), e.g. 0.999", c.Beta2, b2)
	case !(eps > 0) || math.IsInf(eps, 0):
		return fmt.Errorf("Adam epsilon = %g (%g in float32): need a finite value > 0 in float32, e.g. 1e-7",
			c.Epsilon, eps)
	}
	return nil
}

// ScopeName is the sub-scope holding the optimizer's own variables (step counter and moments).
const ScopeName = "keras_adam"

// Optimizer is the GoMLX optimizer for a Config.
type Optimizer struct {
	Config
}

var _ optimizer.Interface = (*Optimizer)(nil)

// New returns the optimizer for c. Call c.Validate first: UpdateGraph, like every GoMLX graph builder, panics
// on bad input.
func New(c Config) *Optimizer { return &Optimizer{Config: c} }

// CreateState creates, without building any graph, the variables UpdateGraph keeps for scope's trainable
// variables: the step counter and each variable's two moments, all zero. UpdateGraph would otherwise create
// them lazily while it builds; a graph that runs its steps inside a loop (graph.While) must have them before,
// since a variable first met inside a loop's body would become a parameter of that body.
func (o *Optimizer) CreateState(scope *model.Scope) {
	adamScope := scope.At(ScopeName)
	adamScope.WithInitializer(initializer.Zero).VariableWithShape("step", shapes.Make(dtypes.Float32)).SetTrainable(false)
	var trainable []*model.Variable
	for v := range scope.IterVariables() {
		if v.Trainable {
			trainable = append(trainable, v)
		}
	}
	for _, v := range trainable { // Collected first: moments() adds variables to the store.
		moments(adamScope, v)
	}
}

// moments returns (creating them, zero, on first use) the first and second moment variables of v. They live
// under the optimizer's scope, mirroring the weight's own path.
func moments(adamScope *model.Scope, v *model.Variable) (m, s *model.Variable) {
	momentScope := adamScope.Store().Scope(path.Join(adamScope.Scope(), v.Scope())).WithInitializer(initializer.Zero)
	m = momentScope.VariableWithShape(v.Name()+"_m", v.Shape()).SetTrainable(false)
	s = momentScope.VariableWithShape(v.Name()+"_v", v.Shape()).SetTrainable(false)
	return m, s
}

// UpdateGraph adds one Adam step over every trainable variable of scope that the loss uses.
func (o *Optimizer) UpdateGraph(scope *model.Scope, g *graph.Graph, loss *graph.Node) {
	grads := scope.BuildTrainableVariablesGradientsGraph(loss)
	dt := dtypes.Float32
	adamScope := scope.At(ScopeName) // At: several graphs of one Store build this.
	step := optimizer.IncrementCounter(adamScope, g, "step", dt)

	beta1 := graph.Scalar(g, dt, o.Beta1)
	beta2 := graph.Scalar(g, dt, o.Beta2)
	oneMinusBeta1, oneMinusBeta2 := graph.OneMinus(beta1), graph.OneMinus(beta2)
	eps := graph.Scalar(g, dt, o.Epsilon)
	// lr_t = lr · sqrt(1 - β2^t) / (1 - β1^t)
	lrT := graph.Mul(graph.Scalar(g, dt, o.LearningRate),
		graph.Div(graph.Sqrt(graph.OneMinus(graph.Pow(beta2, step))), graph.OneMinus(graph.Pow(beta1, step))))

	i := 0
	for v := range scope.IterVariables() {
		if !v.Trainable || !v.InUseByGraph(g) {
			continue
		}
		grad := grads[i]
		i++
		mVar, vVar := moments(adamScope, v)
		m := graph.Add(graph.Mul(beta1, mVar.NodeValue(g)), graph.Mul(oneMinusBeta1, grad))
		s := graph.Add(graph.Mul(beta2, vVar.NodeValue(g)), graph.Mul(oneMinusBeta2, graph.Square(grad)))
		mVar.SetNodeValue(m)
		vVar.SetNodeValue(s)
		update := graph.Mul(lrT, graph.Div(m, graph.Add(graph.Sqrt(s), eps)))
		v.SetNodeValue(graph.Sub(v.NodeValue(g), update))
	}
}

// Clear deletes the optimizer's variables (step counter and moments), so the next step starts afresh.
func (o *Optimizer) Clear(scope *model.Scope) error {
	return scope.At(ScopeName).DeleteVariablesInScope()
}

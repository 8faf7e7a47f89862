package mlp

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// BernoulliMask draws a rows x cols matrix of independent 0/1 values, each 1 with probability p, from a
// generator seeded with seed. With p the dropout rate, a 1 marks a unit dropped on that step.
func BernoulliMask(seed uint64, p float64, rows, cols int) ([][]int, error) {
	if !(p >= 0 && p <= 1) {
		return nil, fmt.Errorf("probability p = %g: need a value in [0, 1]", p)
	}
	if rows < 1 || cols < 1 {
		return nil, fmt.Errorf("mask shape %dx%d: rows and cols must be >= 1", rows, cols)
	}
	rng := rand.New(rand.NewPCG(seed, 0xd20f))
	out := make([][]int, rows)
	for r := range out {
		out[r] = make([]int, cols)
		for c := range out[r] {
			if rng.Float64() < p {
				out[r][c] = 1
			}
		}
	}
	return out, nil
}

// MeanTrainingOutput averages the network's output over draws training-mode passes (fresh dropout masks each)
// and returns the standard error of each mean. Comparing it with [Model.Predict] shows whether a dropout
// convention keeps the expected output of training equal to the output of prediction.
func (m *Model) MeanTrainingOutput(xs []float32, draws int, seed int64) (mean, stderr []float64, err error) {
	if err := checkInputs("inputs", xs); err != nil {
		return nil, nil, err
	}
	if draws < 2 {
		return nil, nil, fmt.Errorf("draws = %d: need at least 2 to estimate a standard error", draws)
	}
	b, err := m.compute()
	if err != nil {
		return nil, nil, err
	}
	store, vars, err := newStore(m.Layers)
	if err != nil {
		return nil, nil, err
	}
	if err := store.SetRNGStateFromSeed(seed); err != nil {
		return nil, nil, err
	}
	e, err := model.NewExec(b, store, func(scope *model.Scope, x *graph.Node) *graph.Node {
		return forward(x, vars, dropout{rate: m.DropoutRate, mode: m.DropoutMode, mask: keepMask(scope, m.DropoutRate)})
	})
	if err != nil {
		return nil, nil, err
	}
	sums, sums2 := make([]float64, len(xs)), make([]float64, len(xs))
	for range draws {
		out, err := call(e, tensors.FromFlatDataAndDimensions(xs, len(xs), 1))
		if err != nil {
			return nil, nil, err
		}
		p, err := tensors.CopyFlatData[float32](out[0])
		if err != nil {
			return nil, nil, err
		}
		for i, v := range p {
			sums[i] += float64(v)
			sums2[i] += float64(v) * float64(v)
		}
	}
	n := float64(draws)
	mean, stderr = make([]float64, len(xs)), make([]float64, len(xs))
	for i := range xs {
		mean[i] = sums[i] / n
		stderr[i] = math.Sqrt(max(sums2[i]/n-mean[i]*mean[i], 0) / n)
	}
	return mean, stderr, nil
}

// keepMask returns a function drawing 0/1 masks that keep each unit with probability 1-rate, from the Store's
// random state (so masks differ per step and follow the dropout seed).
func keepMask(scope *model.Scope, rate float64) func(like *graph.Node) *graph.Node {
	return func(like *graph.Node) *graph.Node {
		g := like.Graph()
		u := scope.RandomUniform(g, like.Shape())
		return graph.ConvertDType(graph.GreaterOrEqual(u, graph.Scalar(g, like.DType(), rate)), like.DType())
	}
}

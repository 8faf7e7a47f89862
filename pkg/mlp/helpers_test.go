package mlp

import (
	"math"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/golecture/regularization/pkg/backend"
)

// meanTrainingOutput averages the network's output over draws training-mode passes (fresh dropout masks each)
// and returns the standard error of each mean.
func (m *Model) meanTrainingOutput(xs []float32, draws int, seed int64) (mean, stderr []float64, err error) {
	b, err := backend.Get()
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
		g := x.Graph()
		d := dropout{rate: m.DropoutRate, mode: m.DropoutMode, mask: func(like *graph.Node) *graph.Node {
			u := scope.RandomUniform(g, like.Shape())
			return graph.ConvertDType(graph.GreaterOrEqual(u, graph.Scalar(g, like.DType(), m.DropoutRate)), like.DType())
		}}
		return forward(x, vars, d)
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

package mlp

import (
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"
)

// Array is a named float32 array with its shape, printable in numpy's abbreviated form.
type Array struct {
	Name  string
	Shape []int
	Data  []float32
}

// MaxAbs returns the largest absolute value.
func (a Array) MaxAbs() float64 {
	m := 0.0
	for _, v := range a.Data {
		m = math.Max(m, math.Abs(float64(v)))
	}
	return m
}

// Max returns the largest (signed) value, as numpy's max does.
func (a Array) Max() float64 {
	m := math.Inf(-1)
	for _, v := range a.Data {
		m = math.Max(m, float64(v))
	}
	return m
}

// String prints the array like numpy does for large arrays: the first and last three rows and columns,
// with "..." in between.
func (a Array) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s %v\n", a.Name, a.Shape)
	rows, cols := 1, len(a.Data)
	if len(a.Shape) == 2 {
		rows, cols = a.Shape[0], a.Shape[1]
	}
	idx := func(n int) []int { // Indices to show, -1 standing for "...".
		if n <= 6 {
			out := make([]int, n)
			for i := range out {
				out[i] = i
			}
			return out
		}
		return []int{0, 1, 2, -1, n - 3, n - 2, n - 1}
	}
	for _, r := range idx(rows) {
		if r < 0 {
			sb.WriteString(" ...\n")
			continue
		}
		sb.WriteString(" [")
		for j, c := range idx(cols) {
			if j > 0 {
				sb.WriteString(" ")
			}
			if c < 0 {
				sb.WriteString("     ...     ")
				continue
			}
			fmt.Fprintf(&sb, "% .6e", a.Data[r*cols+c])
		}
		sb.WriteString("]\n")
	}
	return sb.String()
}

// LayerGradients holds the gradient of the training loss with respect to every dense layer's kernel, at the
// model's current weights, computed in prediction mode (no dropout masks).
type LayerGradients struct {
	Loss    float64
	Kernels []Array
}

// MaxAbsByLayer returns, per layer from input to output, the largest |gradient| over the layer's kernel.
func (g *LayerGradients) MaxAbsByLayer() []float64 {
	out := make([]float64, len(g.Kernels))
	for i, k := range g.Kernels {
		out[i] = k.MaxAbs()
	}
	return out
}

// MaxByLayer returns, per layer, the largest signed kernel gradient (what numpy's max prints).
func (g *LayerGradients) MaxByLayer() []float64 {
	out := make([]float64, len(g.Kernels))
	for i, k := range g.Kernels {
		out[i] = k.Max()
	}
	return out
}

// Gradients computes the gradient of the mean squared error on (xs, ys) with respect to every kernel.
func (m *Model) Gradients(xs, ys []float32) (*LayerGradients, error) {
	if err := checkPairs(xs, ys); err != nil {
		return nil, err
	}
	out, err := m.run(execGrads, 0, column(xs), column(ys))
	if err != nil {
		return nil, err
	}
	grads := &LayerGradients{Loss: float64(tensors.ToScalar[float32](out[0]))}
	for i, w := range m.Weights {
		k, err := tensors.CopyFlatData[float32](out[1+i]) // Kernels come first, then biases.
		if err != nil {
			return nil, err
		}
		grads.Kernels = append(grads.Kernels, Array{Name: KernelName(i), Shape: []int{w.In, w.Out}, Data: k})
	}
	return grads, nil
}

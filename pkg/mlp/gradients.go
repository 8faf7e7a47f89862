package mlp

import (
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// Tensor is a named array of float32 values with its shape, printable in abbreviated form.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// MaxAbs returns the largest absolute value.
func (t Tensor) MaxAbs() float64 {
	m := 0.0
	for _, v := range t.Data {
		m = math.Max(m, math.Abs(float64(v)))
	}
	return m
}

// Max returns the largest (signed) value, as numpy's max does.
func (t Tensor) Max() float64 {
	m := math.Inf(-1)
	for _, v := range t.Data {
		m = math.Max(m, float64(v))
	}
	return m
}

// String prints the tensor like numpy does for large arrays: the first and last three rows and columns,
// with "..." in between.
func (t Tensor) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s %v\n", t.Name, t.Shape)
	rows, cols := 1, len(t.Data)
	if len(t.Shape) == 2 {
		rows, cols = t.Shape[0], t.Shape[1]
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
			fmt.Fprintf(&sb, "% .6e", t.Data[r*cols+c])
		}
		sb.WriteString("]\n")
	}
	return sb.String()
}

// Gradients holds the gradient of the training loss with respect to every layer's kernel and bias, at the
// model's current weights and computed in prediction mode (no dropout masks).
type Gradients struct {
	Loss    float64
	Kernels []Tensor
	Biases  []Tensor
}

// MaxAbsByLayer returns, per layer from input to output, the largest |gradient| over the layer's kernel.
func (g *Gradients) MaxAbsByLayer() []float64 {
	out := make([]float64, len(g.Kernels))
	for i, k := range g.Kernels {
		out[i] = k.MaxAbs()
	}
	return out
}

// MaxByLayer returns, per layer, the largest signed kernel gradient (what the lecture's np.max printed).
func (g *Gradients) MaxByLayer() []float64 {
	out := make([]float64, len(g.Kernels))
	for i, k := range g.Kernels {
		out[i] = k.Max()
	}
	return out
}

// String lists every kernel gradient in abbreviated form.
func (g *Gradients) String() string {
	var sb strings.Builder
	for _, k := range g.Kernels {
		sb.WriteString(k.String())
	}
	return sb.String()
}

// Gradients computes the gradient of the mean squared error on (xs, ys) with respect to every kernel and bias.
func (m *Model) Gradients(xs, ys []float32) (*Gradients, error) {
	if err := checkPairs(xs, ys); err != nil {
		return nil, err
	}
	d := dropout{rate: m.DropoutRate, mode: m.DropoutMode}
	n := len(xs)
	out, err := m.run("gradients", 2, func(data []*graph.Node, weights []dense) []*graph.Node {
		loss := mse(stack(data[0], weights, d, true), data[1])
		var params []*graph.Node
		for _, w := range weights {
			params = append(params, w.kernel, w.bias)
		}
		return append([]*graph.Node{loss}, graph.Gradient(loss, params...)...)
	}, tensors.FromFlatDataAndDimensions(xs, n, 1), tensors.FromFlatDataAndDimensions(ys, n, 1))
	if err != nil {
		return nil, err
	}
	grads := &Gradients{Loss: float64(tensors.ToScalar[float32](out[0]))}
	for i, l := range m.Layers {
		k, err := tensors.CopyFlatData[float32](out[1+2*i])
		if err != nil {
			return nil, err
		}
		bias, err := tensors.CopyFlatData[float32](out[2+2*i])
		if err != nil {
			return nil, err
		}
		grads.Kernels = append(grads.Kernels, Tensor{Name: layerName(i) + "/kernel", Shape: []int{l.In, l.Out}, Data: k})
		grads.Biases = append(grads.Biases, Tensor{Name: layerName(i) + "/bias", Shape: []int{l.Out}, Data: bias})
	}
	return grads, nil
}

package mlp

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/core/tensors"
)

// MaxMaskEntries caps the size of a mask BernoulliMask draws.
const MaxMaskEntries = 1 << 20

// BernoulliMask draws a rows x cols matrix of independent 0/1 values, each 1 with probability p, from a
// generator seeded with seed. With p the dropout rate, a 1 marks a unit dropped on that step.
func BernoulliMask(seed uint64, p float64, rows, cols int) ([][]int, error) {
	if !(p >= 0 && p <= 1) {
		return nil, fmt.Errorf("probability p = %g: need a value in [0, 1]", p)
	}
	if rows < 1 || cols < 1 {
		return nil, fmt.Errorf("mask shape %dx%d: rows and cols must be >= 1", rows, cols)
	}
	if rows > MaxMaskEntries/cols {
		return nil, fmt.Errorf("mask shape %dx%d would need %s; the cap is %d entries (%s)", rows, cols,
			HumanBytes(8*float64(rows)*float64(cols)), MaxMaskEntries, HumanBytes(8*MaxMaskEntries))
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

// MaxDraws caps the number of passes MeanTrainingOutput averages.
const MaxDraws = 1_000_000

// MeanTrainingOutput averages the network's output over draws training-mode passes (fresh dropout masks
// each, from a random stream seeded with seed) and returns the standard error of each mean. Comparing it
// with [Model.Predict] shows whether a dropout convention keeps the expected output of training equal to
// the output of prediction.
func (m *Model) MeanTrainingOutput(xs []float32, draws int, seed int64) (mean, stderr []float64, err error) {
	if err := checkInputs("inputs", xs); err != nil {
		return nil, nil, err
	}
	if draws < 2 || draws > MaxDraws {
		return nil, nil, fmt.Errorf("draws = %d: need between 2 (for a standard error) and %d", draws, MaxDraws)
	}
	weights, err := m.weightTensors()
	if err != nil {
		return nil, nil, err
	}
	b, err := m.backendOrDefault()
	if err != nil {
		return nil, nil, err
	}
	n, err := netFor(b, m.Spec)
	if err != nil {
		return nil, nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.load(weights); err != nil {
		return nil, nil, err
	}
	if err := n.store.SetRNGStateFromSeed(seed); err != nil {
		return nil, nil, err
	}
	e, err := n.exec(execSample, 0)
	if err != nil {
		return nil, nil, err
	}
	sums, sums2 := make([]float64, len(xs)), make([]float64, len(xs))
	x := column(xs)
	for range draws {
		out, err := e.Call(x)
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
	k := float64(draws)
	mean, stderr = make([]float64, len(xs)), make([]float64, len(xs))
	for i := range xs {
		mean[i] = sums[i] / k
		stderr[i] = math.Sqrt(max(sums2[i]/k-mean[i]*mean[i], 0) / (k - 1))
	}
	return mean, stderr, nil
}

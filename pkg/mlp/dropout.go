package mlp

import (
	"fmt"
	"math/rand/v2"
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

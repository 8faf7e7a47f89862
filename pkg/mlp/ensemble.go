package mlp

import (
	"fmt"
	"math/rand/v2"

	"github.com/golecture/regularization/pkg/data"
)

// Ensemble fits k copies of the configured network, each with its own seeds drawn from seed, and returns them
// in order. Each member is cached on its own, so an interrupted ensemble resumes where it stopped.
func (c *Config) Ensemble(ds *data.Dataset, k int, seed uint64) ([]*Model, error) {
	if k < 1 {
		return nil, fmt.Errorf("ensemble size k = %d: need at least 1 member", k)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0xe45e3b1e))
	members := make([]*Model, 0, k)
	for i := range k {
		member := c.Clone().Seeds(DrawSeeds(rng.Uint64(), len(c.hidden)))
		m, err := member.Fit(ds)
		if err != nil {
			return members, fmt.Errorf("ensemble member %d of %d: %w", i+1, k, err)
		}
		members = append(members, m)
	}
	return members, nil
}

// AveragePredictions returns each member's predictions on xs and their mean: the ensemble's prediction.
func AveragePredictions(models []*Model, xs []float32) (each [][]float32, mean []float32, err error) {
	if len(models) == 0 {
		return nil, nil, fmt.Errorf("no models to average: pass at least one")
	}
	mean = make([]float32, len(xs))
	sums := make([]float64, len(xs))
	for _, m := range models {
		p, err := m.Predict(xs)
		if err != nil {
			return nil, nil, err
		}
		each = append(each, p)
		for i, v := range p {
			sums[i] += float64(v)
		}
	}
	for i, s := range sums {
		mean[i] = float32(s / float64(len(models)))
	}
	return each, mean, nil
}

package mlp

import (
	"math"
	"testing"

	"github.com/golecture/regularization/pkg/kerasadam"
)

// FuzzSpec builds specs from arbitrary numbers: Validate and CheckSize never panic, and whatever they accept
// initializes into a model that passes its own Check. Run longer by hand with
// `go test -run '^$' -fuzz FuzzSpec -fuzztime 5m ./pkg/mlp/`.
func FuzzSpec(f *testing.F) {
	f.Add(3, 32, 0.2, int64(5), 1000, 0.001, 0.05, 1e-7)
	f.Add(0, 0, 0.0, int64(0), 0, 0.0, 0.0, 0.0)
	f.Add(1<<30, 1<<40, 1.5, int64(-1), -1, math.Inf(1), math.NaN(), 1e-46)
	f.Add(300, 2, -0.1, int64(1), 1<<40, 1e39, 1e20, 1.0)
	f.Fuzz(func(t *testing.T, depth, width int, rate float64, seed int64, epochs int, lr, sd, eps float64) {
		var layers []Layer
		for i := range min(max(depth, 0), 2*MaxDepth) {
			layers = append(layers, Dense(width, ReLU).Seeded(seed+int64(i), seed-int64(i)))
			if i%2 == 0 {
				layers = append(layers, Dropout(rate))
			}
		}
		layers = append(layers, Dense(1, Linear).Seeded(seed, seed))
		opt := kerasadam.Defaults().WithLearningRate(lr)
		opt.Epsilon = eps
		s := Sequential(layers...).Epochs(epochs).InitStdDev(sd).Optimizer(opt)
		if s.Validate() != nil || s.CheckSize(50, 0) != nil {
			return
		}
		if s.NumParams() > 20_000 {
			return // Valid but slow to draw; the size check itself has run.
		}
		m, err := Initial(s)
		if err != nil {
			t.Fatalf("a valid spec failed to initialize: %v", err)
		}
		if err := m.Check(); err != nil {
			t.Fatalf("a valid spec's initial model fails its check: %v", err)
		}
	})
}

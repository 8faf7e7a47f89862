package mlp

import (
	"testing"

	"github.com/golecture/regularization/pkg/data"
)

// BenchmarkAdamEpoch5x512 times one full-batch Adam step of the lecture's big model on its 50 points.
func BenchmarkAdamEpoch5x512(b *testing.B) {
	ds, _ := data.Generate(data.Lecture())
	if _, err := Train(Stack(widths(5, 512)...).Epochs(1), ds, nil, nil); err != nil { // Compiles the graph.
		b.Fatal(err)
	}
	spec := Stack(widths(5, 512)...).Epochs(20)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Train(spec, ds, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N*20), "ms/epoch")
}

// BenchmarkValidation5x256 times one prediction pass of the 5x256 model over the 10,000 validation points,
// plus the MSE: what recording validation history costs per epoch.
func BenchmarkValidation5x256(b *testing.B) {
	ds, _ := data.Generate(data.Lecture())
	m, err := Initial(Stack(widths(5, 256)...))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := m.Evaluate(ds.ValX, ds.ValY); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := m.Evaluate(ds.ValX, ds.ValY); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/pass")
}

// BenchmarkDropoutEpoch5x1024 times one full-batch Adam step of the lecture's dropout network (5 hidden
// layers of 1024 units, dropout 0.2 after the first four) on its 50 points: the heaviest step of the lecture,
// and the line scripts/gpu-check.sh prints for a GPU against the CPU.
func BenchmarkDropoutEpoch5x1024(b *testing.B) {
	ds, _ := data.Generate(data.Lecture())
	net := func(epochs int) *Spec {
		return Sequential(Dense(1024, ReLU), Dropout(0.2), Dense(1024, ReLU), Dropout(0.2), Dense(1024, ReLU),
			Dropout(0.2), Dense(1024, ReLU), Dropout(0.2), Dense(1024, ReLU), Dense(1, Linear)).
			Seed(8746).Epochs(epochs)
	}
	if _, err := Train(net(1), ds, nil, nil); err != nil { // Compiles the graph.
		b.Fatal(err)
	}
	// 200 epochs a fit, so that the fit's own start (weights to the device and back) is a small share even
	// where an epoch takes a fraction of a millisecond (a GPU).
	const epochs = 200
	spec := net(epochs)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Train(spec, ds, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N*epochs), "ms/epoch")
}

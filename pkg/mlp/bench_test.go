package mlp

import (
	"testing"

	"github.com/golecture/regularization/pkg/data"
)

// BenchmarkAdamEpoch5x512 times one full-batch Adam step of the lecture's big model on its 50 points.
func BenchmarkAdamEpoch5x512(b *testing.B) {
	ds, _ := data.Generate(data.Lecture())
	if _, err := Train(New(widths(5, 512)...).Epochs(1), ds, nil, nil); err != nil { // Compiles the graph.
		b.Fatal(err)
	}
	spec := New(widths(5, 512)...).Epochs(20)
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
	m, err := Initial(New(widths(5, 256)...))
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

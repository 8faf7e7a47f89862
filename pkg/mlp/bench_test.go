package mlp

import (
	"testing"

	"github.com/golecture/regularization/pkg/data"
	"github.com/golecture/regularization/pkg/fitcache"
)

// BenchmarkAdamEpoch5x512 times one full-batch Adam step of the lecture's big model on its 50 points.
func BenchmarkAdamEpoch5x512(b *testing.B) {
	ds, _ := data.Generate(data.Lecture())
	t, err := newTrainer(New(widths(5, 512)...).Cache(fitcache.Off()), ds)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := t.step(); err != nil { // Compiles the graph outside the timed loop.
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := t.step(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/epoch")
}

// BenchmarkValidation5x256 times one prediction pass of the 5x256 model over the 10,000 validation points,
// plus the MSE: what recording validation history costs per epoch.
func BenchmarkValidation5x256(b *testing.B) {
	ds, _ := data.Generate(data.Lecture())
	m, err := New(widths(5, 256)...).Initial()
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
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/pass")
}

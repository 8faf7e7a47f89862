package progress

import (
	"fmt"
	"testing"
	"time"

	"github.com/janpfeifer/gonb/gonbui"

	"github.com/golecture/regularization/pkg/data"
	"github.com/golecture/regularization/pkg/mlp"
)

// BenchmarkLiveCurve measures what the live loss curve adds to the lecture's 5 x 256 fit with a validation
// pass every epoch (notebook 1's model256, 1000 epochs, trained from scratch on the default backend): the time
// spent in the progress bar (keeping each epoch's loss, drawing the curve and its line once a second, handing
// the HTML on) as a share of the fit's wall time. The HTML goes to a counter instead of GoNB, whose send is a
// write to a pipe. Run it with
//
//	go test -run '^$' -bench LiveCurve -benchtime 1x ./pkg/progress/
func BenchmarkLiveCurve(b *testing.B) {
	ds, err := data.Generate(data.Lecture())
	if err != nil {
		b.Fatal(err)
	}
	spec := mlp.Stack(256, 256, 256, 256, 256).Seed(65392).WithHistory()
	var draws, bytes int
	updateHTML = func(_, h string) { draws, bytes = draws+1, bytes+len(h) }
	defer func() { updateHTML = gonbui.UpdateHTML }()
	for b.Loop() {
		draws, bytes = 0, 0
		bar := &Bar{label: "fit 5x256", total: spec.Settings().NumEpochs, start: time.Now(), mode: notebook,
			htmlID: "bench", curve: true}
		var inBar time.Duration
		start := time.Now()
		if _, err := mlp.Train(spec, ds, nil, func(epoch int, loss float64) error {
			t := time.Now()
			bar.Update(epoch, loss)
			inBar += time.Since(t)
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		fit := time.Since(start)
		bar.Done()
		share := 100 * inBar.Seconds() / fit.Seconds()
		b.ReportMetric(share, "overhead-%")
		b.ReportMetric(float64(draws), "draws")
		fmt.Printf("live curve: fit %s, %d epochs; in the progress bar %s (%.3f%% of the fit), of which drawing %s; "+
			"%d draws, %.0f KB of HTML (%.1f KB a draw)\n", fit.Round(time.Millisecond), bar.total,
			inBar.Round(time.Microsecond), share, bar.DrawTime().Round(time.Microsecond), draws,
			float64(bytes)/1e3, float64(bytes)/1e3/float64(max(draws, 1)))
	}
}

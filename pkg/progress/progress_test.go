package progress

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
)

func TestLine(t *testing.T) {
	b := &Bar{label: "fit 5x512", total: 1000, start: time.Unix(0, 0)}
	b.done, b.loss = 250, 0.0123
	got := b.Line(time.Unix(10, 0), false)
	for _, want := range []string{"fit 5x512", "epoch 250/1000", "loss 0.01230", "25 epochs/s", "30s left"} {
		if !strings.Contains(got, want) {
			t.Errorf("Line = %q, lacks %q", got, want)
		}
	}
	if got := b.Line(time.Unix(10, 0), true); !strings.Contains(got, "done in 10s") {
		t.Errorf("final Line = %q", got)
	}
}

// The first step pays for compiling the graph: the time left is estimated from the steps after it.
func TestRateExcludesTheFirstStep(t *testing.T) {
	b := &Bar{label: "fit", total: 1000, start: time.Unix(0, 0), first: time.Unix(8, 0), firstDone: 1}
	b.done = 101 // 100 steps in the 2 s after a first step that took 8 s.
	got := b.Line(time.Unix(10, 0), false)
	if !strings.Contains(got, "50 epochs/s") || !strings.Contains(got, "18s left") {
		t.Errorf("Line = %q, want 50 epochs/s and 18s left", got)
	}
}

func TestTerminalWaitsThenDraws(t *testing.T) {
	var out bytes.Buffer
	b := &Bar{label: "x", total: 10, start: time.Now(), mode: terminal, out: &out}
	b.Update(1, 0.5)
	if out.Len() != 0 {
		t.Fatalf("drew before the delay: %q", out.String())
	}
	b.start = time.Now().Add(-Delay - time.Second)
	b.Update(2, 0.25)
	b.Done()
	if s := out.String(); !strings.Contains(s, "epoch 2/10") || !strings.HasSuffix(s, "\n") {
		t.Errorf("terminal output %q", s)
	}
}

func TestOff(t *testing.T) {
	t.Setenv(EnvVar, "off")
	var out bytes.Buffer
	b := New("x", 10)
	b.out = &out
	b.start = time.Now().Add(-time.Hour)
	b.Update(5, 1)
	b.Done()
	if out.Len() != 0 {
		t.Errorf("off bar wrote %q", out.String())
	}
	var nilBar *Bar
	nilBar.Update(1, 1) // A nil bar (quiet fit) is a no-op.
	nilBar.Done()
}

func TestCounter(t *testing.T) {
	b := Counter("ensemble of 10 x 5x256", "member", 10)
	b.start, b.first, b.firstDone, b.done = time.Unix(0, 0), time.Unix(4, 0), 1, 3
	if got := b.Line(time.Unix(8, 0), false); !strings.Contains(got, "member 3/10") || !strings.Contains(got, "14s left") ||
		strings.Contains(got, "loss") {
		t.Errorf("Line = %q, want member 3/10 and 14s left, no loss", got)
	}
}

// A stopped bar says where it stopped, and no longer shows a bar.
func TestStopSaysWhere(t *testing.T) {
	var out strings.Builder
	b := New("fit 1x8", 100)
	b.mode, b.out, b.shown, b.done = terminal, &out, true, 42
	b.Stop()
	if got := out.String(); !strings.Contains(got, "fit 1x8: stopped at epoch 42/100") || strings.Contains(got, "#") {
		t.Errorf("stopped bar printed %q", got)
	}
}

func TestCurveSVGGrowsAcrossTheWholeRun(t *testing.T) {
	losses := []float64{1, 0.5, 0.2, 0.1}
	svg := CurveSVG(losses, 100)
	points := strings.Fields(between(svg, `points="`, `"`))
	if len(points) != 4 {
		t.Fatalf("%d points for 4 losses: %q", len(points), points)
	}
	var lastX float64
	fmt.Sscanf(strings.Split(points[3], ",")[0], "%g", &lastX)
	// Step 4 of 100 sits 4% of the way along the axis, not at its end: the curve grows as the fit runs.
	if want := float64(curveLeft) + 0.04*float64(curveW-curveLeft-curveRight); math.Abs(lastX-want) > 0.1 {
		t.Errorf("last point at x = %g, want %g", lastX, want)
	}
	for _, want := range []string{">1e0<", ">1e-1<", ">100<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the curve lacks the label %s", want)
		}
	}
}

func TestCurveSVGThinsLongRunsAndSkipsNonPositive(t *testing.T) {
	losses := make([]float64, 1000)
	for i := range losses {
		losses[i] = 1 / float64(i+1)
	}
	losses[10] = 0
	points := strings.Fields(between(CurveSVG(losses, 1000), `points="`, `"`))
	if len(points) > maxCurvePoints+1 || len(points) < maxCurvePoints/2 {
		t.Errorf("%d points for 1000 losses, want at most %d", len(points), maxCurvePoints+1)
	}
	if svg := CurveSVG([]float64{0, math.NaN()}, 10); strings.Contains(svg, "polyline") {
		t.Errorf("a curve of no positive loss: %s", svg)
	}
}

func between(s, from, to string) string {
	_, rest, _ := strings.Cut(s, from)
	out, _, _ := strings.Cut(rest, to)
	return out
}

// In a notebook a curve bar redraws its curve while the loop runs and leaves only its line when it ends.
func TestCurveBarInANotebook(t *testing.T) {
	var shown []string
	updateHTML = func(id, h string) { shown = append(shown, h) }
	defer func() { updateHTML = gonbui.UpdateHTML }()
	b := &Bar{label: "fit 5x256", total: 100, start: time.Now().Add(-Delay - time.Second), mode: notebook,
		htmlID: "x", curve: true}
	for epoch := 1; epoch <= 50; epoch++ {
		b.Update(epoch, 1/float64(epoch))
	}
	if len(shown) != 1 || !strings.Contains(shown[0], "<svg") || !strings.Contains(shown[0], `data-epochs="1"`) {
		t.Fatalf("first draw: %q", shown)
	}
	b.lastDraw = time.Time{} // As if CurveInterval had passed.
	b.Update(51, 0.02)
	if len(shown) != 2 || !strings.Contains(shown[1], `data-epochs="51"`) {
		t.Fatalf("second draw: %q", shown[len(shown)-1])
	}
	b.Done()
	last := shown[len(shown)-1]
	if strings.Contains(last, "<svg") || !strings.Contains(last, "done in") {
		t.Errorf("the finished bar should be its line alone: %q", last)
	}
	if b.DrawTime() <= 0 {
		t.Errorf("DrawTime = %v", b.DrawTime())
	}
}

package lecture

import (
	"testing"
	"time"

	"github.com/golecture/regularization/pkg/mlp"
)

func TestKnobPositions(t *testing.T) {
	net := func(rate float64) *mlp.Spec {
		return mlp.Sequential(mlp.Dense(4, mlp.ReLU), mlp.Dropout(rate), mlp.Dense(1, mlp.Linear))
	}
	d := dropoutKnob(net, 0.2)
	if d.value != 4 || d.min != 0 || d.max != 10 {
		t.Errorf("dropout knob at 0.2: positions %d..%d, value %d", d.min, d.max, d.value)
	}
	for pos, want := range map[int]string{0: "0.00", 3: "0.15", 10: "0.50"} {
		if got := d.format(pos); got != want {
			t.Errorf("position %d reads %q, want %q", pos, got, want)
		}
	}
	if d := dropoutKnob(net, 0.9); d.value != 10 {
		t.Errorf("a rate past the range starts at the end: position %d", d.value)
	}
	k := depthKnob(func(depth int) *mlp.Spec { return mlp.Stack(Widths(depth, 32)...) }, 20)
	if k.value != 15 || k.min != 5 || k.format(13) != "13 layers" {
		t.Errorf("depth knob: %d..%d at %d, %q", k.min, k.max, k.value, k.format(13))
	}
}

// Outside a notebook (and where no browser runs the slider) a knob draws its default value once and ends.
func TestKnobOutsideANotebookDrawsTheDefaultOnce(t *testing.T) {
	var drawn []int
	k := knobSpec{name: "x", min: 1, max: 3, value: 2, outs: 1, format: func(p int) string { return "p" },
		draw: func(pos int, ids []string) error { drawn = append(drawn, pos); return nil }}
	done := make(chan struct{})
	go func() { k.turn(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the knob kept listening outside a notebook")
	}
	if len(drawn) != 1 || drawn[0] != 2 {
		t.Errorf("drew %v, want the default [2]", drawn)
	}
}

func TestKnobIdle(t *testing.T) {
	t.Setenv(KnobIdleEnvVar, "5s")
	if knobIdle() != 5*time.Second {
		t.Errorf("knobIdle = %v", knobIdle())
	}
	t.Setenv(KnobIdleEnvVar, "soon")
	if knobIdle() != 30*time.Second {
		t.Errorf("a bad value should give the default, got %v", knobIdle())
	}
}

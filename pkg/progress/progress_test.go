package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
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

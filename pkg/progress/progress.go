// Package progress shows how far a long fit has come: epoch, loss, rate and time left.
//
// In a GoNB notebook it is one HTML line updated in place; in a terminal, a bar redrawn on standard error;
// elsewhere (pipes, CI logs) and when $LECTURE_PROGRESS is "off", nothing. A bar stays silent for its first
// two seconds, so quick fits and cache hits print nothing at all. A bar made by [NewCurve] also draws, in a
// notebook, the loss curve so far under its line, redrawn in place once a second, and removes it when the
// loop ends.
//
// Example:
//
//	bar := progress.New("fit 5x512", 1000)
//	for epoch := 1; epoch <= 1000; epoch++ {
//		loss := step()
//		bar.Update(epoch, loss)
//	}
//	bar.Done()
package progress

import (
	"cmp"
	"fmt"
	"html"
	"io"
	"os"
	"strings"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"golang.org/x/term"
)

// EnvVar turns progress display off when set to "off".
const EnvVar = "LECTURE_PROGRESS"

// Delay is how long a bar waits before it first shows; Interval is the least time between two redraws.
var (
	Delay    = 2 * time.Second
	Interval = 250 * time.Millisecond
)

type mode int

const (
	off mode = iota
	notebook
	terminal
)

// Bar reports the progress of one loop of known length. The zero value is not usable; call [New].
type Bar struct {
	label      string
	total      int
	mode       mode
	out        io.Writer
	start      time.Time
	lastDraw   time.Time
	htmlID     string
	shown      bool
	done, last int
	loss       float64
	unit       string // What is counted: "" for epochs (with a loss), else e.g. "member".
	// The first update and its step: the rate is measured from there, since the first step also pays for
	// compiling the graph and would make the first estimate of the time left far too long.
	first     time.Time
	firstDone int
	// A live curve (NewCurve): the losses so far, drawn under the line in a notebook.
	curve    bool
	losses   []float64
	drawTime time.Duration
}

// updateHTML shows html in the notebook output of the given id (tests and benchmarks replace it).
var updateHTML = gonbui.UpdateHTML

// New returns a bar for a loop of total steps, in the mode that suits where the program runs.
func New(label string, total int) *Bar {
	b := &Bar{label: label, total: total, start: time.Now(), out: os.Stderr}
	switch {
	case strings.EqualFold(os.Getenv(EnvVar), "off"):
		b.mode = off
	case gonbui.IsNotebook:
		b.mode = notebook
		b.htmlID = "progress-" + gonbui.UniqueId()
	case term.IsTerminal(int(os.Stderr.Fd())):
		b.mode = terminal
	}
	return b
}

// Counter returns a bar for a loop over total items of the given unit (e.g. the members of an ensemble):
// it shows "member 3/10" and the time left, without a loss. Advance it with Update(done, 0).
func Counter(label, unit string, total int) *Bar {
	b := New(label, total)
	b.unit = unit
	return b
}

// Update records that done steps are finished and the latest loss; it redraws when due.
func (b *Bar) Update(done int, loss float64) {
	if b == nil || b.mode == off {
		return
	}
	b.done, b.loss = done, loss
	b.record(done, loss)
	now := time.Now()
	if b.first.IsZero() {
		b.first, b.firstDone = now, done
	}
	interval := Interval
	if b.curve {
		interval = max(Interval, CurveInterval)
	}
	if now.Sub(b.start) < Delay || now.Sub(b.lastDraw) < interval {
		return
	}
	b.lastDraw = now
	b.draw(now, false)
}

// Done draws the final state, if the bar was ever shown, and ends the line.
func (b *Bar) Done() {
	if b == nil || b.mode == off || !b.shown {
		return
	}
	b.draw(time.Now(), true)
	switch b.mode {
	case terminal:
		fmt.Fprintln(b.out)
	case notebook:
		gonbui.Sync() // The final line must reach the notebook even if the program ends right after.
	}
}

// Stop replaces a shown bar by one line saying where the loop stopped, so that a fit interrupted or failed
// leaves no bar that looks as if it were still running.
func (b *Bar) Stop() {
	if b == nil || b.mode == off || !b.shown {
		return
	}
	line := fmt.Sprintf("%s: stopped at %s %d/%d", b.label, cmp.Or(b.unit, "epoch"), b.done, b.total)
	switch b.mode {
	case notebook:
		updateHTML(b.htmlID, `<div style="font-family:monospace">`+html.EscapeString(line)+`</div>`)
		gonbui.Sync()
	case terminal:
		fmt.Fprintf(b.out, "\r%s\x1b[K\n", line)
	}
}

// Line is the text of the bar: label, step, loss, rate and the estimated time left (or the total time when
// finished).
func (b *Bar) Line(now time.Time, finished bool) string {
	elapsed := now.Sub(b.start)
	rate := float64(b.done) / elapsed.Seconds()
	if !b.first.IsZero() && b.done > b.firstDone && now.After(b.first) {
		rate = float64(b.done-b.firstDone) / now.Sub(b.first).Seconds()
	}
	tail := ""
	if finished {
		tail = fmt.Sprintf("done in %s", elapsed.Round(100*time.Millisecond))
	} else if rate > 0 {
		left := time.Duration(float64(b.total-b.done) / rate * float64(time.Second))
		tail = fmt.Sprintf("%s left", left.Round(time.Second))
	}
	if b.unit != "" {
		return fmt.Sprintf("%s: %s %d/%d  %s", b.label, b.unit, b.done, b.total, tail)
	}
	return fmt.Sprintf("%s: epoch %d/%d  loss %.5f  %.0f epochs/s  %s", b.label, b.done, b.total, b.loss, rate, tail)
}

func (b *Bar) draw(now time.Time, finished bool) {
	defer func(start time.Time) { b.drawTime += time.Since(start) }(time.Now())
	line := b.Line(now, finished)
	frac := 0.0
	if b.total > 0 {
		frac = float64(b.done) / float64(b.total)
	}
	switch b.mode {
	case notebook:
		var h string
		if b.curve && !finished { // Finished: the line alone; the cell's own figure follows.
			h = b.curveHTML(line, frac)
		} else {
			h = fmt.Sprintf(`<div style="font-family:monospace"><progress value="%.3f" max="1" style="width:12em"></progress> %s</div>`,
				frac, html.EscapeString(line))
		}
		updateHTML(b.htmlID, h) // The first update of an id creates its output area.
	case terminal:
		const width = 24
		n := int(frac * width)
		fmt.Fprintf(b.out, "\r[%s%s] %s\x1b[K", strings.Repeat("#", n), strings.Repeat(".", width-n), line)
	}
	b.shown = true
}

package lecture

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/dom"
	"github.com/janpfeifer/gonb/gonbui/protocol"
	"github.com/janpfeifer/gonb/gonbui/widgets"

	"github.com/golecture/regularization/pkg/mlp"
	"github.com/golecture/regularization/pkg/runner"
)

// A knob is a cell in which the class turns a slider (GoNB's widgets) and the cell's figures and scores
// redraw for the new value, in place (each shown under a display id of its own). The figures of the default
// value are drawn first, as ordinary outputs: they are what a handout shows, and what the cell keeps when the
// slider cannot run (nbconvert runs no JavaScript, so the slider never reports). A value never trained
// trains when it is chosen, with its live loss curve. The slider listens until its Stop button, or until
// KnobIdleEnvVar's time passes without a move, so that Run All goes on.

// KnobsEnvVar set to "off" makes knobs draw their default value only, with no slider: scripts/handouts.py sets
// it, so that a handout carries neither a dead slider nor GoNB's widget scripts, and takes no wait for a
// browser that is not there.
const KnobsEnvVar = "LECTURE_KNOBS"

// KnobIdleEnvVar sets how long a knob listens without a move before the cell ends (a Go duration; default
// 30s).
const KnobIdleEnvVar = "LECTURE_KNOB_IDLE"

// frontEndWait is how long a knob waits for the slider to report from the browser before it decides that no
// front end runs widgets here (JupyterLab's first widget loads GoNB's JavaScript, about a second).
var frontEndWait = 8 * time.Second

// knobSpec is one knob: the slider's integer positions, how a position reads, and what it draws.
type knobSpec struct {
	name     string // What is turned, e.g. "dropout rate".
	min, max int    // The slider's positions.
	value    int    // The default position.
	format   func(pos int) string
	// draw shows the outputs for a position, each under its id from ids (one per output, in order).
	draw func(pos int, ids []string) error
	outs int // How many outputs draw shows.
}

// turn runs a knob: the default value's outputs, then, where a browser runs the slider, a redraw per move.
func (k knobSpec) turn() {
	ids := make([]string, k.outs)
	for i := range ids {
		ids[i] = fmt.Sprintf("golecture-knob-%d-%s", i, gonbui.UniqueId())
	}
	noteID := "golecture-knob-note-" + gonbui.UniqueId()
	note := func(pos int) {
		text := fmt.Sprintf("Knob: the %s, %s here. In JupyterLab a slider under this line sets it (%s to %s) "+
			"and the figures redraw; a value never trained trains first. Where no slider shows (a handout), "+
			"these are the figures of %s.\n", k.name, k.format(pos), k.format(k.min), k.format(k.max), k.format(pos))
		if !gonbui.IsNotebook {
			fmt.Print(text)
			return
		}
		sendAs(noteID, map[protocol.MIMEType]any{protocol.MIMETextPlain: text})
	}
	note(k.value)
	if !gonbui.IsNotebook || strings.EqualFold(os.Getenv(KnobsEnvVar), "off") {
		check(k.name, 0, k.draw(k.value, make([]string, k.outs)))
		return
	}
	// The slider and its controls sit in an output of their own, emptied when the knob stops.
	ctl := "golecture-knob-controls-" + gonbui.UniqueId()
	div := "golecture-knob-" + gonbui.UniqueId()
	gonbui.UpdateHTML(ctl, fmt.Sprintf(`<div id="%s" class="golecture-knob" style="font-family:monospace"></div>`, div))
	if err := k.draw(k.value, ids); err != nil {
		report(k.name, err)
		gonbui.UpdateHTML(ctl, "")
		return
	}
	slider, ok := k.slider(div)
	if !ok {
		gonbui.UpdateHTML(ctl, "") // No browser here: the default value's figures stay.
		return
	}
	label := div + "-value"
	dom.Append(div, fmt.Sprintf(` <b id="%s">%s</b> `, label, k.format(k.value)))
	stop := widgets.Button("Stop").AppendTo(div).Done()
	moves, stops := slider.Listen().LatestOnly(), stop.Listen()
	defer moves.Close()
	defer stops.Close()
	idle := knobIdle()
	shown := k.value
	timer := time.NewTimer(idle)
	defer timer.Stop()
	for {
		select {
		case pos := <-moves.C:
			pos = min(max(pos, k.min), k.max)
			if pos == shown {
				continue
			}
			dom.SetInnerText(label, k.format(pos)+" (drawing)")
			if err := k.draw(pos, ids); err != nil {
				report(k.name, err)
			} else {
				shown = pos
				note(pos)
			}
			dom.SetInnerText(label, k.format(shown))
			timer.Reset(idle)
		case <-stops.C:
			gonbui.UpdateHTML(ctl, "")
			return
		case <-timer.C:
			gonbui.UpdateHTML(ctl, "")
			return
		}
	}
}

// slider builds the slider in div and reports whether a browser runs it: GoNB's Done waits for the browser's
// first report, which never comes where no JavaScript runs.
func (k knobSpec) slider(div string) (*widgets.SliderBuilder, bool) {
	built := make(chan *widgets.SliderBuilder, 1)
	go func() { built <- widgets.Slider(k.min, k.max, k.value).AppendTo(div).Done() }()
	select {
	case s := <-built:
		return s, true
	case <-time.After(frontEndWait):
		return nil, false
	}
}

func knobIdle() time.Duration {
	if d, err := time.ParseDuration(os.Getenv(KnobIdleEnvVar)); err == nil && d > 0 {
		return d
	}
	return 30 * time.Second
}

// knobFit fits spec through the fit cache, with the live curve when it trains.
func knobFit(spec *mlp.Spec, label string) (*mlp.Model, error) {
	return runner.Fit(spec, Data(), runner.Options{Cache: cache(), Label: label})
}

// KnobResult is the machine-readable copy of what a knob shows for one value.
type KnobResult struct {
	Value float64
	Model string
	Ours  Scores
}

// dropoutStep is the dropout knob's step: the sweep's rates are multiples of it.
const dropoutStep = 0.05

// DropoutKnob is a knob on the dropout rate of net (the lecture's dropout network for a rate), from 0 to 0.5
// in steps of 0.05, starting at rate: the fit and its scores redraw. The rates of the dropout sweep load from
// the fit cache; the others train when chosen.
func DropoutKnob(net func(rate float64) *mlp.Spec, rate float64) {
	if net == nil {
		report("dropout knob", fmt.Errorf("net is nil: pass the function that builds the dropout network"))
		return
	}
	dropoutKnob(net, rate).turn()
}

func dropoutKnob(net func(rate float64) *mlp.Spec, rate float64) knobSpec {
	toRate := func(pos int) float64 { return math.Round(float64(pos)*dropoutStep*100) / 100 }
	k := knobSpec{name: "dropout rate", min: 0, max: 10, value: int(math.Round(rate / dropoutStep)), outs: 2,
		format: func(pos int) string { return strconv.FormatFloat(toRate(pos), 'f', 2, 64) }}
	k.value = min(max(k.value, k.min), k.max)
	k.draw = func(pos int, ids []string) error {
		r := toRate(pos)
		m, err := knobFit(net(r), fmt.Sprintf("dropout rate %.2f: fit", r))
		if err != nil {
			return err
		}
		return showKnobValue(m, r, "dropout knob", fmt.Sprintf("Dropout rate %.2f", r), ids[1], func() error {
			f, err := fitFigure(m)
			if err != nil {
				return err
			}
			return f.showAs(ids[0])
		})
	}
	return k
}

// DepthKnob is a knob on the depth of net (a network of 32-unit layers for a depth), from 5 to 15 layers,
// starting at depth: the fit, its scores and the largest gradient of each layer, before and after training,
// redraw.
func DepthKnob(net func(depth int) *mlp.Spec, depth int) {
	if net == nil {
		report("depth knob", fmt.Errorf("net is nil: pass the function that builds the network for a depth"))
		return
	}
	depthKnob(net, depth).turn()
}

func depthKnob(net func(depth int) *mlp.Spec, depth int) knobSpec {
	k := knobSpec{name: "depth", min: 5, max: 15, value: min(max(depth, 5), 15), outs: 3,
		format: func(pos int) string { return fmt.Sprintf("%d layers", pos) }}
	k.draw = func(pos int, ids []string) error {
		spec := net(pos)
		m, err := knobFit(spec, fmt.Sprintf("depth %d: fit", pos))
		if err != nil {
			return err
		}
		initial, err := mlp.Initial(spec)
		if err != nil {
			return err
		}
		return showKnobValue(m, float64(pos), "depth knob", fmt.Sprintf("%d hidden layers", pos), ids[2], func() error {
			f, err := fitFigure(m)
			if err != nil {
				return err
			}
			if err := f.showAs(ids[0]); err != nil {
				return err
			}
			g, err := gradientsFigure([]*mlp.Model{initial, m})
			if err != nil {
				return err
			}
			return g.showAs(ids[1])
		})
	}
	return k
}

// showKnobValue draws the figures (figures), then the model's scores as a one-row table under id tableID,
// whose results (id resultID) say which value they are for.
func showKnobValue(m *mlp.Model, value float64, resultID, title, tableID string, figures func() error) error {
	s, err := scores(m)
	if err != nil {
		return err
	}
	if err := figures(); err != nil {
		return err
	}
	t := scoreTable(resultID, title, []Row{{Name: Label(m), Ours: s}})
	t.Data = KnobResult{Value: value, Model: Label(m), Ours: s}
	t.showAs(tableID)
	return nil
}

package lecture

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"os"
	"strings"
	"sync/atomic"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"

	"github.com/golecture/regularization/pkg/cellcost"
	"github.com/golecture/regularization/pkg/plots"
)

// In a notebook, everything this package shows goes through GoNB's display pipe, text included: the kernel
// forwards standard output on a channel of its own, so text printed next to a plot could land before or after
// it from one run to the next (and a handout built twice would differ). Outside a notebook, text goes to
// standard output and errors to standard error.

// ResultsMIME is the MIME type of the machine-readable copy of a table or figure that travels with it in the
// notebook: {"id": ..., "title": ..., "data": ...}. JupyterLab shows the HTML or image; tests read the JSON
// and find results by their id.
const ResultsMIME = "application/vnd.golecture.results+json"

// send hands a display to GoNB and waits until GoNB has taken it: a program that ends right after would
// otherwise lose what is still in the pipe.
func send(bundle map[protocol.MIMEType]any) { sendAs("", bundle) }

// sendAs is send into the output of the given display id: its first use makes the output, later ones replace
// it in place (the knobs redraw their figures so). An empty id makes a new output each time.
func sendAs(id string, bundle map[protocol.MIMEType]any) {
	defer cellcost.Time("display")()
	gonbui.SendData(&protocol.DisplayData{Data: bundle, DisplayID: id})
	gonbui.Sync()
}

// say shows a block of text (one output per call, so callers pass whole blocks).
func say(format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	if !gonbui.IsNotebook {
		fmt.Print(text)
		return
	}
	send(map[protocol.MIMEType]any{protocol.MIMETextPlain: text})
}

// report shows err as one line saying what failed, styled as an error in JupyterLab (its stderr style). A
// missing model is reported once per cell, and not at all after a note said why it is missing: the first
// line states the cause, and the uses that follow add nothing.
func report(what string, err error) {
	if errors.Is(err, errNoModel) && (explained.Load() || missingSaid.Swap(true)) {
		return
	}
	line := fmt.Sprintf("error: %s: %v", what, err)
	if !gonbui.IsNotebook {
		fmt.Fprintln(os.Stderr, line)
		return
	}
	send(map[protocol.MIMEType]any{
		protocol.MIMETextHTML: `<div class="jp-RenderedText" data-mime-type="application/vnd.jupyter.stderr"><pre>` +
			html.EscapeString(line) + `</pre></div>`,
		protocol.MIMETextPlain: line + "\n",
	})
}

// missingSaid records that this program (this cell) has reported a missing model; explained, that it has shown
// why a model is missing (a failed fit's error, or a note that a declaration was left out): either way the
// uses of a nil model that follow add nothing.
var missingSaid, explained atomic.Bool

var errNoModel = errors.New("the model is missing (nil): run the cell that fits it first, and fix the error it printed")

// check is how every cell function ends: it reports err, if any, in one line and returns v either way (the
// zero value the failing function returned).
func check[T any](what string, v T, err error) T {
	if err != nil {
		report(what, err)
	}
	return v
}

// results is the JSON attached to a table or figure.
func results(id, title string, data any) (string, error) {
	raw, err := json.Marshal(map[string]any{"id": id, "title": title, "data": data})
	return string(raw), err
}

// Table is what a cell shows as a table: HTML in a notebook, text elsewhere, and its Data as JSON.
type Table struct {
	ID, Title string
	Columns   []string
	Rows      [][]string
	Bold      map[[2]int]bool // Cells (row, column) to stress.
	Note      string          // A line under the table.
	Data      any             // The numbers behind it, for tests and other programs.
}

// Text renders the table as aligned columns.
func (t *Table) Text() string {
	widths := make([]int, len(t.Columns))
	for _, row := range append([][]string{t.Columns}, t.Rows...) {
		for j, c := range row {
			widths[j] = max(widths[j], len([]rune(c)))
		}
	}
	var sb strings.Builder
	sb.WriteString(t.Title + "\n")
	for _, row := range append([][]string{t.Columns}, t.Rows...) {
		for j, c := range row {
			pad := strings.Repeat(" ", widths[j]-len([]rune(c)))
			if j == 0 {
				sb.WriteString(c + pad)
			} else {
				sb.WriteString("  " + pad + c)
			}
		}
		sb.WriteString("\n")
	}
	if t.Note != "" {
		sb.WriteString(t.Note + "\n")
	}
	return sb.String()
}

// HTML renders the table for a notebook.
func (t *Table) HTML() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, `<table style="font-size:1.05em"><caption style="font-weight:bold">%s</caption><tr>`,
		html.EscapeString(t.Title))
	for _, c := range t.Columns {
		fmt.Fprintf(&sb, "<th>%s</th>", html.EscapeString(c))
	}
	sb.WriteString("</tr>")
	for i, row := range t.Rows {
		sb.WriteString("<tr>")
		for j, c := range row {
			style := ""
			if j == 0 {
				style = ` style="text-align:left"`
			}
			if t.Bold[[2]int{i, j}] {
				fmt.Fprintf(&sb, "<td%s><b>%s</b></td>", style, html.EscapeString(c))
			} else {
				fmt.Fprintf(&sb, "<td%s>%s</td>", style, html.EscapeString(c))
			}
		}
		sb.WriteString("</tr>")
	}
	sb.WriteString("</table>")
	if t.Note != "" {
		fmt.Fprintf(&sb, `<p style="font-size:0.9em">%s</p>`, html.EscapeString(t.Note))
	}
	return sb.String()
}

// boldLowest stresses the lowest value of each given column (values parsed from the cells), when there is
// more than one row.
func (t *Table) boldLowest(values [][]float64, columns ...int) {
	if len(values) < 2 {
		return
	}
	if t.Bold == nil {
		t.Bold = map[[2]int]bool{}
	}
	for _, j := range columns {
		best := 0
		for i := range values {
			if values[i][j] < values[best][j] {
				best = i
			}
		}
		t.Bold[[2]int{best, j}] = true
	}
}

func (t *Table) show() { t.showAs("") }

// showAs shows the table in the output of display id (see sendAs).
func (t *Table) showAs(id string) {
	if !gonbui.IsNotebook {
		fmt.Print(t.Text())
		return
	}
	raw, err := results(t.ID, t.Title, t.Data)
	if err != nil {
		report("table", err)
		return
	}
	sendAs(id, map[protocol.MIMEType]any{protocol.MIMETextHTML: t.HTML(), protocol.MIMETextPlain: t.Text(), ResultsMIME: raw})
}

// figure is a plot to show, with what a reader who cannot see it should be told (its alt text) and the
// numbers behind it.
type figure struct {
	id   string
	fig  *plots.Figure
	alt  string
	data any
}

// show displays the figure as SVG with a PNG rendition beside it (JupyterLab shows the SVG; its sanitizing
// HTML export drops SVG but keeps PNG), its alt text as the plain-text form, and its results. Outside a
// notebook it only renders the figure, to check it.
func (f figure) show() error { return f.showAs("") }

// showAs shows the figure in the output of display id (see sendAs).
func (f figure) showAs(id string) error {
	done := cellcost.Time("draw")
	svg, err := f.fig.SVG()
	if err != nil {
		return err
	}
	if !gonbui.IsNotebook {
		return nil
	}
	png, err := f.fig.PNG()
	if err != nil {
		return err
	}
	raw, err := results(f.id, f.fig.Title(), f.data)
	done()
	if err != nil {
		return err
	}
	sendAs(id, map[protocol.MIMEType]any{protocol.MIMEImageSVG: svg, protocol.MIMEImagePNG: base64.StdEncoding.EncodeToString(png),
		protocol.MIMETextPlain: f.alt, ResultsMIME: raw})
	return nil
}

func f5(v float64) string { return fmt.Sprintf("%.5f", v) }

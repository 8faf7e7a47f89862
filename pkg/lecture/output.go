package lecture

import (
	"encoding/json"
	"fmt"
	"html"
	"os"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"
)

// In a notebook, everything this package shows goes through GoNB's display pipe, text included. The kernel
// forwards standard output on a channel of its own, so text printed next to a plot could land before or after
// it from one run to the next (and a handout built twice would differ). Outside a notebook, text goes to
// standard output and errors to standard error.

// send hands a display to GoNB and waits until GoNB has taken it: a program that ends right after (a cell
// whose last call is ours, a failing declaration) would otherwise lose what is still in the pipe.
func send(bundle map[protocol.MIMEType]any) {
	gonbui.SendData(&protocol.DisplayData{Data: bundle})
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

// report shows err as one line saying what failed, styled as an error in JupyterLab (its stderr style), and
// as plain text to other front ends.
func report(what string, err error) {
	fail(fmt.Sprintf("error: %s: %v", what, err))
}

// fail shows one error line.
func fail(line string) {
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

// ResultsMIME is the MIME type of the machine-readable copy of a table or plot that travels with it in the
// notebook (JupyterLab shows the HTML or image; tests read the JSON).
const ResultsMIME = "application/vnd.golecture.results+json"

// display shows html in a notebook cell with results attached under ResultsMIME; outside a notebook it
// prints text instead.
func display(html, text string, results any) {
	if !gonbui.IsNotebook {
		fmt.Print(text)
		return
	}
	bundle := map[protocol.MIMEType]any{protocol.MIMETextHTML: html}
	if err := attach(bundle, results); err != nil {
		report("display", err)
		return
	}
	send(bundle)
}

// attach adds results, as JSON under ResultsMIME, to a display bundle.
func attach(bundle map[protocol.MIMEType]any, results any) error {
	if results == nil {
		return nil
	}
	raw, err := json.Marshal(results)
	if err != nil {
		return err
	}
	bundle[ResultsMIME] = string(raw)
	return nil
}

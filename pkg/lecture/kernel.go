package lecture

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/golecture/regularization/pkg/runner"
)

// GoNB compiles every cell into a new program holding all declarations made so far, so a `var x =
// lecture.Fit(...)` runs again in every later cell. Without help, an interrupted fit restarts in the next,
// unrelated cell, a failing declaration repeats its error everywhere, and a fit that could not be cached
// trains again in silence. This file remembers, per kernel, what happened to each such declaration, in a
// small directory of markers, so that later cells say once what happened and how to get out, and only the
// cell that made the declaration restarts it.
//
// A cell is told from another by the body of the program's main function (the cell's `%%` part), read from
// the main.go GoNB writes in $GONB_TMP_DIR; a cell without a `%%` part, by the whole program.
//
// The same markers let a later cell skip what it cannot use: a declaration that succeeded in an earlier cell
// is not loaded again by a cell whose program never names its variable (anywhere but in the declaration), since
// no code of that program can reach it. Loading every declared fit (up to 17 MB of weights each) was half of a
// warm cell's own time.

// Hooks replaced by tests.
var (
	exit = os.Exit
	// interrupts returns a channel closed when the user interrupts the kernel, and a function that stops
	// watching.
	interrupts = func() (<-chan struct{}, func()) {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt)
		stop, done := make(chan struct{}), make(chan struct{})
		go func() {
			select {
			case <-sig:
				close(stop)
			case <-done:
			}
		}()
		return stop, func() { signal.Stop(sig); close(done) }
	}
)

// kernel is the per-kernel memory; nil outside a GoNB kernel, where nothing is remembered.
type kernel struct {
	dir  string    // Marker directory.
	cell string    // Identity of the running cell.
	src  *ast.File // The program's main.go, parsed; nil if unreadable.
	path string    // Its path.
	fset *token.FileSet
}

// thisKernel finds the running kernel by its GoNB directory, which lives as long as the kernel: the markers
// kept there are gone after a restart.
func thisKernel() *kernel {
	tmp := os.Getenv("GONB_TMP_DIR")
	if tmp == "" {
		return nil
	}
	k := &kernel{dir: filepath.Join(tmp, "golecture-declarations"), path: filepath.Join(tmp, "main.go"),
		fset: token.NewFileSet()}
	raw, err := os.ReadFile(k.path)
	if err != nil {
		return k
	}
	if k.src, err = parser.ParseFile(k.fset, k.path, raw, 0); err != nil {
		k.src = nil
		return k
	}
	for _, d := range k.src.Decls {
		if f, ok := d.(*ast.FuncDecl); ok && f.Name.Name == "main" && f.Recv == nil && f.Body != nil {
			body := raw[k.fset.Position(f.Body.Lbrace).Offset+1 : k.fset.Position(f.Body.Rbrace).Offset]
			if len(bytes.TrimSpace(body)) == 0 {
				// A cell without a %% part: every such cell has the same empty body, so the whole program
				// (every declaration so far) tells them apart. Rerunning it as it was gives the same program.
				body = raw
			}
			sum := sha256.Sum256(body)
			k.cell = hex.EncodeToString(sum[:8])
		}
	}
	return k
}

// names reports whether the program's code names the variable anywhere but where it is declared. It errs on
// the side of yes: any identifier spelled the same counts (a field, a shadowing local), and so does an
// unreadable program.
func (k *kernel) names(name string) bool {
	if k == nil || k.src == nil || name == "" {
		return true
	}
	found := false
	ast.Inspect(k.src, func(n ast.Node) bool {
		if vs, ok := n.(*ast.ValueSpec); ok {
			for i, id := range vs.Names {
				if id.Name == name && i < len(vs.Values) { // The declaration itself: look only at other names' values.
					for j, v := range vs.Values {
						if j != i {
							ast.Inspect(v, func(n ast.Node) bool {
								found = found || isIdent(n, name)
								return !found
							})
						}
					}
					return false
				}
			}
		}
		found = found || isIdent(n, name)
		return !found
	})
	return found
}

func isIdent(n ast.Node, name string) bool {
	id, ok := n.(*ast.Ident)
	return ok && id.Name == name
}

// varAt names the variable declared at file:line of the running program, or "".
func (k *kernel) varAt(file string, line int) string {
	if k == nil || k.src == nil || filepath.Base(file) != "main.go" {
		return ""
	}
	name := ""
	ast.Inspect(k.src, func(n ast.Node) bool {
		if vs, ok := n.(*ast.ValueSpec); ok && len(vs.Names) > 0 &&
			k.fset.Position(vs.Pos()).Line <= line && line <= k.fset.Position(vs.End()).Line {
			name = vs.Names[0].Name
		}
		return name == ""
	})
	return name
}

// saidOnce remembers, outside a kernel, what once has already run in this program.
var saidOnce sync.Map

// once runs f the first time this kernel (or, outside a kernel, this program) reaches id, and never again
// in later cells: a note about the cache, say, belongs to the cell that met the problem first.
func once(id string, f func()) {
	k := thisKernel()
	if k == nil {
		if _, done := saidOnce.LoadOrStore(id, true); !done {
			f()
		}
		return
	}
	if os.MkdirAll(k.dir, 0o700) != nil {
		f()
		return
	}
	file, err := os.OpenFile(filepath.Join(k.dir, "once-"+id), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return // Said in an earlier cell.
	}
	file.Close()
	f()
}

// marker records what happened to one declaration.
type marker struct {
	Kind string // "ok", "interrupted", "failed" or "unsaved".
	Cell string // The cell that made the declaration.
	Said bool   // A later cell has already said so.
}

// declaration is one fit-like call from a `var` initializer, as the kernel remembers it.
type declaration struct {
	k          *kernel
	what, name string // "fit 5x256"; the variable, or "" if unknown.
	file       string // Marker file.
	later      bool   // Run by a later cell than the one that declared it (and whose note was said).
}

// declare identifies the call of the caller's caller (a var initializer calling lecture.Fit) by what it
// computes.
func declare(what, id string) *declaration {
	d := &declaration{k: thisKernel(), what: what}
	if d.k == nil {
		return d
	}
	if _, file, line, ok := runtime.Caller(2); ok {
		d.name = d.k.varAt(file, line)
	}
	sum := sha256.Sum256([]byte(id + "\x00" + d.name)) // Another variable with the same spec is its own.
	d.file = filepath.Join(d.k.dir, hex.EncodeToString(sum[:12])+".json")
	return d
}

func (d *declaration) read() (marker, bool) {
	var m marker
	raw, err := os.ReadFile(d.file)
	return m, err == nil && json.Unmarshal(raw, &m) == nil
}

func (d *declaration) write(m marker) {
	if os.MkdirAll(d.k.dir, 0o700) == nil {
		if raw, err := json.Marshal(m); err == nil {
			_ = os.WriteFile(d.file, raw, 0o600)
		}
	}
}

// rm is the magic command that removes the declaration.
func (d *declaration) rm() string {
	if d.name == "" {
		return "%rm <its variable>"
	}
	return "%rm " + d.name
}

func (d *declaration) subject() string {
	if d.name == "" {
		return d.what
	}
	return d.name + " (" + d.what + ")"
}

// skip reports whether a later cell should leave this declaration alone: its fit was interrupted, or it
// failed, in an earlier cell (said once), or it succeeded there and this cell's program never names it. The
// declaring cell itself always runs it again.
func (d *declaration) skip() bool {
	if d.k == nil {
		return false
	}
	m, ok := d.read()
	if !ok {
		return false
	}
	if m.Cell == d.k.cell {
		_ = os.Remove(d.file) // Rerunning the declaring cell asks for it again.
		return false
	}
	if m.Kind == "ok" {
		return !d.k.names(d.name)
	}
	d.later = true
	if !m.Said {
		switch m.Kind {
		case "interrupted":
			say("note: %s was interrupted in an earlier cell and is not restarted here; rerun its cell to "+
				"train it, or %s to drop it.\n", d.subject(), d.rm())
		case "failed":
			say("note: %s failed in an earlier cell (its error is shown there); %s removes the "+
				"declaration.\n", d.subject(), d.rm())
		case "unsaved":
			say("note: %s could not be cached (see the error in its cell), so every cell trains it "+
				"again; free disk space and rerun its cell, or %s.\n", d.subject(), d.rm())
		}
		m.Said = true
		d.write(m)
	}
	if m.Kind == "unsaved" {
		return false // It trains again (there is no other copy); the note said so once.
	}
	explained.Store(true)
	return true
}

// stop returns the channel that interrupts the fit (nil outside a kernel) and the function that ends the
// watch.
func (d *declaration) stop() (<-chan struct{}, func()) {
	if d.k == nil {
		return nil, func() {}
	}
	return interrupts()
}

// done records how the call ended. An interrupted fit is reported here and ends the program: the user asked
// the cell to stop.
func (d *declaration) done(trained bool, err error) {
	if d.k == nil {
		return
	}
	var in *runner.Interrupted
	switch {
	case errors.As(err, &in):
		d.write(marker{Kind: "interrupted", Cell: d.k.cell})
		report("fit", fmt.Errorf("%v. Later cells will not restart it; rerun this cell to train it, or %s to drop "+
			"it", in, d.rm()))
		exit(0) // The user asked the cell to stop, and the line above says so: no second error from GoNB.
	case err != nil && trained:
		d.write(marker{Kind: "unsaved", Cell: d.k.cell})
	case err != nil:
		d.write(marker{Kind: "failed", Cell: d.k.cell})
	default:
		// Succeeded: the first cell to succeed is the declaring one (a failed or unsaved run's marker names it).
		cell := d.k.cell
		if m, ok := d.read(); ok {
			cell = m.Cell
		}
		d.write(marker{Kind: "ok", Cell: cell})
	}
}

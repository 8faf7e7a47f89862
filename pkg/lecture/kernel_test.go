package lecture

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golecture/regularization/pkg/mlp"
)

// fakeKernel makes the test look like a GoNB kernel running a cell whose %% part is body; it returns a
// function that switches to another cell.
func fakeKernel(t *testing.T) func(body string) {
	cell := fakeKernelWith(t)
	return func(body string) { cell("", body) }
}

// fakeKernelWith is fakeKernel for cells that also add declarations to the program.
func fakeKernelWith(t *testing.T) func(decls, body string) {
	t.Helper()
	tmp := t.TempDir()
	t.Setenv("GONB_TMP_DIR", tmp)
	return func(decls, body string) {
		src := "package main\n\nvar model = 1\n" + decls + "\nfunc main() {\n" + body + "\n}\n"
		if err := os.WriteFile(filepath.Join(tmp, "main.go"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// exitCalled is what the exit hook panics with: like os.Exit, the cell's program goes no further.
type exitCalled struct{}

// realInterrupts is the interrupt watch the package uses outside tests.
var realInterrupts = interrupts

// interruptEveryFit makes every fit of the test see the user's interrupt at once, and exit panic with
// exitCalled; it returns the count of exit calls. Both hooks are restored when the test ends.
func interruptEveryFit(t *testing.T) *int {
	interrupted := make(chan struct{})
	close(interrupted)
	savedExit := exit
	t.Cleanup(func() { interrupts, exit = realInterrupts, savedExit })
	interrupts = func() (<-chan struct{}, func()) { return interrupted, func() {} }
	exited := new(int)
	exit = func(int) { *exited++; panic(exitCalled{}) }
	return exited
}

// An interrupted fit ends its cell with one error line and caches nothing; a later cell does not restart
// it and says so once; rerunning the declaring cell trains it.
func TestInterruptedFitIsNotRestartedByLaterCells(t *testing.T) {
	cell := fakeKernel(t)
	exited := interruptEveryFit(t)
	spec := func() *mlp.Spec { return mlp.Stack(7).Epochs(40) }

	cell(`lecture.PlotFit(model, "a", false)`)
	before := cache().Len()
	out := capture(t, func() {
		defer func() {
			if r := recover(); r != nil && r != (exitCalled{}) {
				panic(r)
			}
		}()
		Fit(spec())
	})
	oneError(t, "the interrupted cell", out, "interrupted at epoch 1 of 40: nothing was cached")
	if *exited != 1 || !strings.Contains(out, "rerun this cell") {
		t.Errorf("exit called %d times; output %q", *exited, out)
	}
	if n := cache().Len() - before; n != 0 {
		t.Errorf("%d fits cached by an interrupted fit", n)
	}

	interrupts = realInterrupts // From here on nobody interrupts.
	cell(`lecture.Summary(model)`)
	for i, want := range []string{"note: ", ""} {
		var m *mlp.Model
		out := capture(t, func() { m = Fit(spec()) })
		if m != nil || !strings.HasPrefix(out, want) || (want == "" && out != "") {
			t.Errorf("later cell, run %d: model %v, output %q; want no fit and %q", i+1, m != nil, out, want)
		}
	}
	if !strings.Contains(out, "fit 1x7") {
		t.Errorf("%q", out)
	}

	cell(`lecture.PlotFit(model, "a", false)`)
	var m *mlp.Model
	out = capture(t, func() { m = Fit(spec()) })
	if m == nil || out != "" {
		t.Errorf("rerunning the declaring cell: model %v, output %q; want a quiet fit", m != nil, out)
	}
}

// A failing declaration shows its error in its own cell; later cells say so once, naming how to remove it.
func TestFailedDeclarationSaysSoOnceInLaterCells(t *testing.T) {
	cell := fakeKernel(t)
	cell(`fmt.Println("bad")`)
	oneError(t, "the declaring cell", capture(t, func() { Fit(mlp.Stack(5, -3)) }), "units must be between")
	cell(`fmt.Println("later")`)
	out := capture(t, func() { Fit(mlp.Stack(5, -3)) })
	if !strings.HasPrefix(out, "note: ") || !strings.Contains(out, "failed in an earlier cell") ||
		!strings.Contains(out, "%rm") || strings.Count(out, "\n") != 1 {
		t.Errorf("later cell printed %q; want one note naming %%rm", out)
	}
	if out := capture(t, func() { Fit(mlp.Stack(5, -3)) }); out != "" {
		t.Errorf("the cell after printed %q; want nothing", out)
	}
	cell(`fmt.Println("bad")`)
	oneError(t, "rerunning the declaring cell", capture(t, func() { Fit(mlp.Stack(5, -3)) }), "units must be between")
}

func TestVarAtNamesTheDeclaration(t *testing.T) {
	cell := fakeKernel(t)
	cell("")
	k := thisKernel()
	if got := k.varAt(k.path, 3); got != "model" {
		t.Errorf("varAt(main.go:3) = %q, want model", got)
	}
	if got := k.varAt("other.go", 3); got != "" {
		t.Errorf("varAt(other.go) = %q, want none", got)
	}
}

// A fit that trained but could not be cached (a full disk) is trained again by every later cell that
// re-evaluates it; the first such cell says so once.
func TestUnsavedFitSaysSoOnce(t *testing.T) {
	cell := fakeKernel(t)
	cell(`fmt.Println("declaring")`)
	d := declare("fit 1x7", "unsaved-test")
	d.done(true, errors.New("writing fit cache entry: no space left on device"))
	cell(`fmt.Println("later")`)
	for i, want := range []string{"note: ", ""} {
		d := declare("fit 1x7", "unsaved-test")
		var skip bool
		out := capture(t, func() { skip = d.skip() })
		if skip || !strings.HasPrefix(out, want) || (want == "" && out != "") ||
			(want != "" && !strings.Contains(out, "could not be cached")) {
			t.Errorf("later cell, run %d: skip %v, output %q; want a refit and %q", i+1, skip, out, want)
		}
	}
}

// Cells without a %% part have the same (empty) main body: a later one, which adds a declaration of its own,
// still does not restart a fit interrupted in an earlier one, and rerunning that cell does.
func TestInterruptedFitInACellWithoutMain(t *testing.T) {
	cell := fakeKernelWith(t)
	interruptEveryFit(t)
	spec := func() *mlp.Spec { return mlp.Stack(7).Seed(3).Epochs(40) }

	cell("var long = 2\n", "")
	capture(t, func() {
		defer func() { _ = recover() }()
		Fit(spec())
	})
	interrupts = realInterrupts
	cell("var long = 2\nvar other = 3\n", "")
	var m *mlp.Model
	out := capture(t, func() { m = Fit(spec()) })
	if m != nil || !strings.HasPrefix(out, "note: ") {
		t.Errorf("a later cell without %%%%: model %v, output %q; want no fit and a note", m != nil, out)
	}
	cell("var long = 2\n", "")
	out = capture(t, func() { m = Fit(spec()) })
	if m == nil || out != "" {
		t.Errorf("rerunning the declaring cell: model %v, output %q; want a quiet fit", m != nil, out)
	}
}

// A declaration that succeeded is not run again by a later cell whose program never names its variable; a
// cell that names it anywhere (its body, another declaration) runs it, and so does its own cell.
func TestSucceededDeclarationIsSkippedWhereNothingNamesIt(t *testing.T) {
	cell := fakeKernelWith(t)
	at := func() *declaration {
		d := &declaration{k: thisKernel(), what: "fit 7", name: "model"}
		d.file = filepath.Join(d.k.dir, "model.json")
		return d
	}
	cell("", "println(model)")
	declaring := at()
	if declaring.skip() {
		t.Fatal("the declaring cell skipped its own declaration")
	}
	declaring.done(true, nil)

	for _, c := range []struct {
		decls, body string
		skip        bool
	}{
		{"", `println("another cell")`, true},
		{"", "println(model + 1)", false},
		{"var twice = model * 2\n", `println("x")`, false},
		{"func f() int { return model }\n", `println("x")`, false},
		{"", "println(model)", false}, // The declaring cell again.
	} {
		cell(c.decls, c.body)
		d := at()
		if got := d.skip(); got != c.skip {
			t.Errorf("cell %q %q: skip = %v, want %v", c.decls, c.body, got, c.skip)
		} else if !got {
			d.done(true, nil) // As Fit does after running it.
		}
	}
	// A later cell that loads it (it names it) leaves the declaring cell as the one that declared it.
	cell("", "println(model + 1)")
	later := at()
	later.skip()
	later.done(true, nil)
	cell("", "println(model)")
	if m, _ := at().read(); m.Kind != "ok" || m.Cell != thisKernel().cell {
		t.Errorf("marker %+v: want the declaring cell's", m)
	}
}

package plots

import (
	"encoding/xml"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/janpfeifer/gonb/gonbui"
	"gonum.org/v1/plot"
)

func linspace(lo, hi float64, n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = lo + (hi-lo)*float64(i)/float64(n-1)
	}
	return xs
}

func apply(xs []float64, fn func(float64) float64) []float64 {
	ys := make([]float64, len(xs))
	for i, x := range xs {
		ys[i] = fn(x)
	}
	return ys
}

// svgElements parses doc as XML and returns its elements in document order:
// name, style attribute and character data of <text> elements.
type svgElement struct {
	name, style, text string
}

func parseSVG(t *testing.T, doc string) []svgElement {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(doc))
	var elems []svgElement
	root := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Local
			}
			e := svgElement{name: tok.Name.Local}
			for _, a := range tok.Attr {
				if a.Name.Local == "style" {
					e.style = a.Value
				}
			}
			elems = append(elems, e)
		case xml.CharData:
			if len(elems) > 0 && elems[len(elems)-1].name == "text" {
				elems[len(elems)-1].text += string(tok)
			}
		}
	}
	if root != "svg" {
		t.Fatalf("root element is %q, want svg", root)
	}
	return elems
}

// svgHex returns the colour string vgsvg writes for c (it un-premultiplies
// alpha with truncation, so translucent colours may differ from c by one).
func svgHex(c color.Color) string {
	r, g, b, a := c.RGBA()
	k := 255.0 / float64(a)
	return fmt.Sprintf("#%02X%02X%02X", int(float64(r)*k), int(float64(g)*k), int(float64(b)*k))
}

// strokedPaths counts <path> elements stroked with colour hex (e.g. "#0072B2").
func strokedPaths(elems []svgElement, hex string) int {
	n := 0
	for _, e := range elems {
		if e.name == "path" && strings.Contains(e.style, "stroke:"+hex) {
			n++
		}
	}
	return n
}

// filledPaths counts <path> elements filled with colour hex.
func filledPaths(elems []svgElement, hex string) int {
	n := 0
	for _, e := range elems {
		if e.name == "path" && strings.Contains(e.style, "fill:"+hex) {
			n++
		}
	}
	return n
}

func texts(elems []svgElement) []string {
	var out []string
	for _, e := range elems {
		if e.name == "text" {
			out = append(out, strings.TrimSpace(e.text))
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// lectureFigure is the figure of the package documentation: a true
// function, an ensemble of noisy fits, their mean, training and validation
// points.
func lectureFigure(nModels int) *Figure {
	rng := rand.New(rand.NewSource(1))
	xs := linspace(-1, 1, 401)
	truth := apply(xs, func(x float64) float64 { return math.Sin(3 * x) })
	var yss [][]float64
	mean := make([]float64, len(xs))
	for m := 0; m < nModels; m++ {
		a, b := rng.NormFloat64()*0.3, rng.NormFloat64()*0.2
		ys := apply(xs, func(x float64) float64 { return math.Sin(3*x) + a*x*x*x + b*math.Cos(5*x) })
		for i := range ys {
			mean[i] += ys[i] / float64(nModels)
		}
		yss = append(yss, ys)
	}
	xt := linspace(-0.95, 0.95, 12)
	yt := apply(xt, func(x float64) float64 { return math.Sin(3*x) + rng.NormFloat64()*0.15 })
	xv := linspace(-1, 1, 60)
	yv := apply(xv, func(x float64) float64 { return math.Sin(3*x) + rng.NormFloat64()*0.15 })

	return New("Ensemble of polynomial fits").XLabel("x").YLabel("y").
		Line("true function", xs, truth).
		Lines("individual models", [][]float64{xs}, yss, Faint).
		Line("ensemble", xs, mean, Bold).
		Points("training set", xt, yt).
		Points("validation set", xv, yv, Faint)
}

func TestSVGStructure(t *testing.T) {
	const nModels = 7
	svg, err := lectureFigure(nModels).SVG()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(svg, "<?xml") {
		t.Errorf("SVG does not start with an XML declaration: %.40q", svg)
	}
	elems := parseSVG(t, svg)
	txt := texts(elems)
	for _, want := range []string{"Ensemble of polynomial fits", "x", "y",
		"true function", "individual models", "ensemble", "training set", "validation set"} {
		if !contains(txt, want) {
			t.Errorf("no <text> %q in SVG; texts: %q", want, txt)
		}
	}

	// Palette colours are assigned in call order to non-faint series:
	// true function #0072B2, ensemble #D55E00, training set #009E73.
	// Each line is one stroked path plus one legend thumbnail.
	if n := strokedPaths(elems, "#0072B2"); n != 2 {
		t.Errorf("true function: %d paths stroked #0072B2, want 2 (curve + legend)", n)
	}
	if n := strokedPaths(elems, "#D55E00"); n != 2 {
		t.Errorf("ensemble: %d paths stroked #D55E00, want 2 (curve + legend)", n)
	}
	// The faint models are translucent grey: one path per model plus a
	// legend thumbnail (drawn less transparent, so its colour string may
	// differ by rounding).
	faintLine, faintThumb := svgHex(withAlpha(grey, faintLineAlpha)), svgHex(withAlpha(grey, 0.7))
	n := strokedPaths(elems, faintLine)
	if faintThumb != faintLine {
		n += strokedPaths(elems, faintThumb)
	}
	if n != nModels+1 {
		t.Errorf("individual models: %d grey stroked paths, want %d", n, nModels+1)
	}
	// Points are filled circles: 12 training points plus a legend glyph.
	if n := filledPaths(elems, "#009E73"); n != 12+1 {
		t.Errorf("training set: %d filled #009E73 paths, want 13", n)
	}
	// Faint points are grey dots; 60 validation points plus a legend glyph.
	faintDot, faintDotThumb := svgHex(withAlpha(grey, faintDotAlpha)), svgHex(withAlpha(grey, 0.8))
	n = filledPaths(elems, faintDot)
	if faintDotThumb != faintDot {
		n += filledPaths(elems, faintDotThumb)
	}
	if n != 60+1 {
		t.Errorf("validation set: %d filled grey paths, want 61", n)
	}
	// Bold lines are thicker than normal lines; faint curves are translucent.
	translucent := 0
	for _, e := range elems {
		if e.name != "path" {
			continue
		}
		if strings.Contains(e.style, "stroke:#D55E00") && !strings.Contains(e.style, "stroke-width:4") {
			t.Errorf("bold line without stroke-width 4: %q", e.style)
		}
		if strings.Contains(e.style, "stroke:"+faintLine) && strings.Contains(e.style, "stroke-opacity:0.349") {
			translucent++
		}
	}
	if translucent != nModels {
		t.Errorf("%d faint curves with stroke-opacity 0.35, want %d", translucent, nModels)
	}
	// No font data is embedded, and a fallback font family is given.
	if strings.Contains(svg, "@font-face") {
		t.Error("SVG embeds fonts")
	}
	if !strings.Contains(svg, "font-family:'Liberation Sans',Arial,Helvetica,sans-serif") {
		t.Error("SVG lacks the sans-serif font fallback")
	}
}

func TestColorOption(t *testing.T) {
	xs := []float64{0, 1, 2}
	svg, err := New("").Line("a", xs, xs, Color(6)).Line("b", xs, xs).Line("c", xs, xs, Color(-1)).SVG()
	if err != nil {
		t.Fatal(err)
	}
	elems := parseSVG(t, svg)
	for hex, want := range map[string]int{"#000000": 2, "#0072B2": 2, "#F0E442": 2} {
		if n := strokedPaths(elems, hex); n != want {
			t.Errorf("%d paths stroked %s, want %d", n, hex, want)
		}
	}
}

func TestNoLegendForEmptyLabel(t *testing.T) {
	xs := []float64{0, 1, 2}
	svg, err := New("t").Line("", xs, xs).SVG()
	if err != nil {
		t.Fatal(err)
	}
	if n := strokedPaths(parseSVG(t, svg), "#0072B2"); n != 1 {
		t.Errorf("%d paths for an unlabelled line, want 1 (no legend thumbnail)", n)
	}
}

func TestLogYRejectsNonPositive(t *testing.T) {
	xs := []float64{0, 1, 2, 3}
	fig := New("loss").LogY().
		Line("train loss", xs, []float64{1, 0.1, 0.01, 0.001}).
		Line("gradient norm", xs, []float64{1, 1e-3, 0, 1e-9})
	if err := fig.Err(); err != nil {
		t.Fatalf("Err() before rendering = %v, want nil (the check needs the whole figure)", err)
	}
	_, err := fig.SVG()
	if err == nil {
		t.Fatal("LogY with a zero value: SVG() returned no error")
	}
	for _, want := range []string{`"gradient norm"`, "LogY", "y[2] = 0"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if err := fig.Display(); err == nil {
		t.Error("Display() of invalid LogY figure returned nil")
	}
	path := filepath.Join(t.TempDir(), "bad.svg")
	if err := fig.Save(path); err == nil {
		t.Error("Save() of invalid figure returned nil")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Save() of invalid figure created %s", path)
	}
	// Negative value in one curve of Lines.
	_, err = New("").LogY().Lines("models", [][]float64{xs}, [][]float64{{1, 2, 3, 4}, {1, -2, 3, 4}}).SVG()
	if err == nil || !strings.Contains(err.Error(), `"models"`) || !strings.Contains(err.Error(), "curve 1") {
		t.Errorf("negative value in Lines: error %v, want one naming the series and curve 1", err)
	}
}

func TestLogYTicks(t *testing.T) {
	xs := linspace(0, 50, 51)
	ys := apply(xs, func(x float64) float64 { return math.Pow(10, -x/5) }) // 1 .. 1e-10
	svg, err := New("vanishing gradients").LogY().Line("layer 1", xs, ys).SVG()
	if err != nil {
		t.Fatal(err)
	}
	txt := texts(parseSVG(t, svg))
	for _, want := range []string{"1e-10", "1e0"} {
		if !contains(txt, want) {
			t.Errorf("no tick label %q on log axis; texts: %q", want, txt)
		}
	}
}

func TestLogTicksLabels(t *testing.T) {
	labels := func(ticks []plot.Tick) []string {
		var out []string
		for _, tk := range ticks {
			if tk.Label != "" {
				out = append(out, tk.Label)
			}
		}
		return out
	}
	cases := []struct {
		lo, hi float64
		want   string
	}{
		{1e-3, 10, "0.001 0.01 0.1 1 10"},
		{1e-10, 1, "1e-10 1e-8 1e-6 1e-4 1e-2 1e0"},
		{0.2, 0.9, "0.2 0.5"},
		{1e-6, 5e-6, "1e-6 2e-6 5e-6"},
	}
	for _, c := range cases {
		got := strings.Join(labels(logTicks{n: 5}.Ticks(c.lo, c.hi)), " ")
		if got != c.want {
			t.Errorf("logTicks(%g, %g) labels %q, want %q", c.lo, c.hi, got, c.want)
		}
	}
	lin := []struct {
		lo, hi float64
		want   string
	}{
		{-1.04, 1.04, "−1.0 −0.5 0.0 0.5 1.0"},
		{0, 100, "0 20 40 60 80 100"},
		{0, 2e6, "0 5e5 1e6 1.5e6 2e6"},
		{-0.3, 2.9, "0.0 0.5 1.0 1.5 2.0 2.5"},
		{0, 250, "0 50 100 150 200 250"},
	}
	for _, c := range lin {
		got := strings.Join(labels(linearTicks{n: 5}.Ticks(c.lo, c.hi)), " ")
		if got != c.want {
			t.Errorf("linearTicks(%g, %g) labels %q, want %q", c.lo, c.hi, got, c.want)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	xs := []float64{0, 1, 2}
	cases := []struct {
		name string
		fig  *Figure
		want []string
	}{
		{"mismatched lengths", New("").Line("true function", xs, []float64{1, 2}),
			[]string{`Line "true function"`, "len(xs)=3", "len(ys)=2"}},
		{"empty series", New("").Points("training set", nil, nil),
			[]string{`Points "training set"`, "no data points"}},
		{"NaN", New("").Line("loss", xs, []float64{1, math.NaN(), 2}),
			[]string{`"loss"`, "y[1] is NaN"}},
		{"Inf x", New("").Points("pts", []float64{0, math.Inf(1)}, []float64{1, 2}),
			[]string{`"pts"`, "x[1] is +Inf"}},
		{"Lines curve mismatch", New("").Lines("models", [][]float64{xs, xs}, [][]float64{{1, 2, 3}, {1, 2}}),
			[]string{`Lines "models"`, "curve 1", "len(ys)=2"}},
		{"Lines count mismatch", New("").Lines("models", [][]float64{xs, xs}, [][]float64{{1, 2, 3}}),
			[]string{`Lines "models"`, "len(xss)=2"}},
		{"bad range", New("").YRange(1, 0), []string{"YRange(1, 0)"}},
		{"first error wins", New("").Line("first", xs, nil).Line("second", nil, xs),
			[]string{`"first"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.fig.Err() == nil {
				t.Fatal("Err() = nil")
			}
			_, err := c.fig.SVG()
			if err == nil {
				t.Fatal("SVG() returned no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if err := c.fig.Display(); err == nil {
				t.Error("Display() returned nil for an invalid figure")
			}
		})
	}
}

func TestDisplayOutsideNotebook(t *testing.T) {
	saved := gonbui.IsNotebook
	gonbui.IsNotebook = false
	defer func() { gonbui.IsNotebook = saved }()
	if err := lectureFigure(3).Display(); err != nil {
		t.Errorf("Display() outside a notebook = %v, want nil", err)
	}
}

func TestHTMLSVG(t *testing.T) {
	svg, err := lectureFigure(1).SVG()
	if err != nil {
		t.Fatal(err)
	}
	h := htmlSVG(svg)
	if !strings.HasPrefix(h, "<svg ") || !strings.HasSuffix(strings.TrimSpace(h), "</svg>") {
		t.Errorf("HTML version should be a bare <svg> element: %.60q ... %q", h, h[len(h)-20:])
	}
	if !strings.Contains(h, `style="max-width:100%;height:auto"`) {
		t.Error("<svg> does not scale down to narrow output areas")
	}
}

func TestSave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fig.svg")
	fig := lectureFigure(2)
	if err := fig.Save(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	svg, _ := fig.SVG()
	if string(data) != svg {
		t.Error("saved file differs from SVG()")
	}
}

func TestSizeOfManyCurves(t *testing.T) {
	xs := linspace(0, 10, 401)
	fig := New("10 curves of 401 points").XLabel("epoch").YLabel("loss")
	for k := 0; k < 10; k++ {
		fig.Line("curve "+string(rune('A'+k)), xs, apply(xs, func(x float64) float64 {
			return math.Exp(-x/float64(k+1)) + 0.05*math.Sin(7*x+float64(k))
		}))
	}
	svg, err := fig.SVG()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("SVG size for 10 curves x 401 points: %d bytes", len(svg))
	if len(svg) > 150_000 {
		t.Errorf("SVG for 10x401 points is %d bytes, want < 150000", len(svg))
	}
	parseSVG(t, svg)
}

// TestWriteExamples writes example figures to $PLOTS_EXAMPLE_DIR, for
// looking at them (e.g. after rsvg-convert to PNG). Skipped otherwise.
func TestWriteExamples(t *testing.T) {
	dir := os.Getenv("PLOTS_EXAMPLE_DIR")
	if dir == "" {
		t.Skip("PLOTS_EXAMPLE_DIR not set")
	}
	if err := lectureFigure(10).Save(filepath.Join(dir, "ensemble.svg")); err != nil {
		t.Fatal(err)
	}
	epochs := linspace(1, 200, 200)
	rng := rand.New(rand.NewSource(2))
	train := apply(epochs, func(e float64) float64 { return 2*math.Exp(-e/30) + 0.02 + 0.01*rng.Float64() })
	val := apply(epochs, func(e float64) float64 { return 2*math.Exp(-e/30) + 0.15 + 0.0008*e + 0.02*rng.Float64() })
	err := New("Overfitting: loss per epoch").XLabel("epoch").YLabel("loss").LogY().
		Line("training loss", epochs, train).
		Line("validation loss", epochs, val, Dashed).
		Save(filepath.Join(dir, "loss.svg"))
	if err != nil {
		t.Fatal(err)
	}
	fig := New("Gradient norm per layer (sigmoid)").XLabel("layer").YLabel("‖∂L/∂W‖").LogY()
	layers := linspace(1, 10, 10)
	for _, a := range []float64{0.25, 0.5, 1} {
		fig.Line(fmt.Sprintf("weight scale %g", a), layers, apply(layers, func(l float64) float64 { return math.Pow(a, 10-l) }))
	}
	if err := fig.Save(filepath.Join(dir, "gradients.svg")); err != nil {
		t.Fatal(err)
	}
	// All palette colours, fixed (clipping) ranges, option combinations.
	xs := linspace(0, 10, 401)
	fig = New("Palette and options").XLabel("t").YLabel("f(t)").XRange(1, 9).YRange(-1.5, 9)
	for k := 0; k < 8; k++ {
		fig.Line(fmt.Sprintf("Color(%d)", k), xs, apply(xs, func(x float64) float64 { return float64(k) + math.Sin(x+float64(k)) }))
	}
	fig.Line("Bold, Dashed", xs, apply(xs, func(x float64) float64 { return x - 2 }), Bold, Dashed)
	fig.Points("Faint, Color(1)", linspace(0, 10, 80), apply(linspace(0, 10, 80), func(x float64) float64 { return 9 - x + rng.NormFloat64() }), Faint, Color(1))
	if err := fig.Save(filepath.Join(dir, "palette.svg")); err != nil {
		t.Fatal(err)
	}
}

// A long y label on a log axis must not push the plot down: gonum's LogScale placed the label's box at the
// arithmetic middle of the data range (near the top of a log axis) and padded the plot to fit it.
func TestLogYLabelDoesNotShiftThePlot(t *testing.T) {
	xs := []float64{1, 2, 3, 4}
	ys := []float64{1e-12, 1e-8, 1e-4, 1e-1}
	tickY := func(label string) string {
		svg, err := New("t").YLabel(label).LogY().Line("g", xs, ys).SVG()
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`y="([-0-9.]+)"[^>]*>\s*1e-2<`).FindStringSubmatch(svg)
		if m == nil {
			t.Fatalf("no 1e-2 tick label in the SVG")
		}
		return m[1]
	}
	if short, long := tickY("y"), tickY("largest gradient in the layer (log scale)"); short != long {
		t.Errorf("the 1e-2 tick sits at y=%s with a short label but y=%s with a long one", short, long)
	}
}

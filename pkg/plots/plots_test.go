package plots

import (
	"bytes"
	"encoding/xml"
	"image/color"
	"image/png"
	"io"
	"math"
	"math/rand"
	"regexp"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
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

// The figure's structure, checked on what render draws rather than on SVG style strings: colours in call
// order, faint series beneath the rest, widths and opacity by option, legend entries for labelled series.
func TestStructure(t *testing.T) {
	f := lectureFigure(7)
	if err := f.validate(); err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, s := range f.drawOrder() {
		order = append(order, s.label)
	}
	want := "individual models,validation set,true function,ensemble,training set"
	if got := strings.Join(order, ","); got != want {
		t.Errorf("draw order %q, want %q (faint first)", got, want)
	}
	byLabel := map[string]*series{}
	for _, s := range f.series {
		byLabel[s.label] = s
	}
	for label, c := range map[string]color.NRGBA{"true function": palette[0], "ensemble": palette[1],
		"training set": palette[2], "individual models": grey, "validation set": grey} {
		if byLabel[label].color != c {
			t.Errorf("%s: colour %v, want %v", label, byLabel[label].color, c)
		}
	}
	if n := len(byLabel["individual models"].curves); n != 7 {
		t.Errorf("individual models: %d curves, want 7", n)
	}
	ens, _ := byLabel["ensemble"].lineStyle()
	plain, _ := byLabel["true function"].lineStyle()
	faint, thumb := byLabel["individual models"].lineStyle()
	if !(ens.Width > plain.Width && plain.Width > faint.Width) {
		t.Errorf("widths bold %v, plain %v, faint %v: want decreasing", ens.Width, plain.Width, faint.Width)
	}
	if a := faint.Color.(color.NRGBA).A; a == 255 || a >= thumb.Color.(color.NRGBA).A {
		t.Errorf("faint curves: alpha %d, legend %v: want translucent, legend more visible", a, thumb.Color)
	}
	leg := newLegend(append(f.series, &series{kind: lineKind}), 9*72)
	if len(leg.entries) != 5 || leg.entries[0].label != "true function" || leg.entries[3].glyph == nil {
		t.Errorf("legend entries %+v", leg.entries)
	}
	if leg.rows*leg.cols < 5 || leg.height() <= 0 {
		t.Errorf("legend %d x %d, height %v", leg.rows, leg.cols, leg.height())
	}
	// Colour(i) picks palette colours without advancing the automatic sequence; indices wrap.
	g := New("").Line("a", []float64{0, 1}, []float64{0, 1}, Color(6)).Line("b", []float64{0, 1}, []float64{0, 1}).
		Line("c", []float64{0, 1}, []float64{0, 1}, Color(-1))
	if g.series[0].color != palette[6] || g.series[1].color != palette[0] || g.series[2].color != palette[7] {
		t.Errorf("colours %v %v %v", g.series[0].color, g.series[1].color, g.series[2].color)
	}
}

func TestLegendColumns(t *testing.T) {
	for _, c := range []struct {
		colW, avail vg.Length
		n, want     int
	}{{100, 600, 5, 5}, {250, 600, 5, 2}, {700, 600, 3, 1}, {100, 600, 2, 2}, {0, 600, 3, 1}} {
		if got := columns(c.colW, c.avail, c.n); got != c.want {
			t.Errorf("columns(%v, %v, %d) = %d, want %d", c.colW, c.avail, c.n, got, c.want)
		}
	}
}

// The SVG is well-formed and carries the figure's text: title, axis labels, legend labels; no font data.
func TestSVGText(t *testing.T) {
	svg, err := lectureFigure(3).SVG()
	if err != nil {
		t.Fatal(err)
	}
	txt := texts(parseSVG(t, svg))
	for _, want := range []string{"Ensemble of polynomial fits", "x", "y",
		"true function", "individual models", "ensemble", "training set", "validation set"} {
		if !contains(txt, want) {
			t.Errorf("no <text> %q in SVG; texts: %q", want, txt)
		}
	}
	if strings.Contains(svg, "@font-face") {
		t.Error("SVG embeds fonts")
	}
}

func TestLogYRejectsNonPositive(t *testing.T) {
	xs := []float64{0, 1, 2, 3}
	fig := New("loss").LogY().
		Line("train loss", xs, []float64{1, 0.1, 0.01, 0.001}).
		Line("gradient norm", xs, []float64{1, 1e-3, 0, 1e-9})
	if fig.err != nil {
		t.Fatalf("error before rendering = %v, want nil (the check needs the whole figure)", fig.err)
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
	if _, err := fig.PNG(); err == nil {
		t.Error("PNG() of an invalid LogY figure returned no error")
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
			[]string{`Points "training set"`, plotter.ErrNoData.Error()}},
		{"NaN", New("").Line("loss", xs, []float64{1, math.NaN(), 2}),
			[]string{`"loss"`, plotter.ErrNaN.Error()}},
		{"Inf x", New("").Points("pts", []float64{0, math.Inf(1)}, []float64{1, 2}),
			[]string{`"pts"`, plotter.ErrInfinity.Error()}},
		{"Lines curve mismatch", New("").Lines("models", [][]float64{xs, xs}, [][]float64{{1, 2, 3}, {1, 2}}),
			[]string{`Lines "models"`, "curve 1", "len(ys)=2"}},
		{"Lines count mismatch", New("").Lines("models", [][]float64{xs, xs}, [][]float64{{1, 2, 3}}),
			[]string{`Lines "models"`, "len(xss)=2"}},
		{"first error wins", New("").Line("first", xs, nil).Line("second", nil, xs),
			[]string{`"first"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.fig.err == nil {
				t.Fatal("no error recorded")
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
			if _, err := c.fig.PNG(); err == nil {
				t.Error("PNG() returned no error for an invalid figure")
			}
		})
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

// The PNG rendition decodes, at the figure's size, for exports that keep PNG images but drop SVG.
func TestPNG(t *testing.T) {
	raw, err := lectureFigure(2).PNG()
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if w := img.Bounds().Dx(); w != 9*pngDPI {
		t.Errorf("width %d px, want %d (9 in at %d dpi)", w, 9*pngDPI, pngDPI)
	}
	if _, err := New("").Line("x", []float64{1}, []float64{math.NaN()}).PNG(); err == nil {
		t.Error("PNG of an invalid figure gave no error")
	}
}

package plots

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"os"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"
	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Default canvas size of a new figure, see [Figure.Size].
const (
	DefaultWidth  = 9.0 // inches
	DefaultHeight = 5.5 // inches
)

// Figure is a line/scatter plot under construction. Create it with [New],
// add series and settings with the chaining methods, render it with
// [Figure.SVG], [Figure.Display] or [Figure.Save]. A Figure can be rendered
// several times; it is not safe for concurrent use.
type Figure struct {
	title, xLabel, yLabel string
	width, height         vg.Length

	logY           bool
	xRange, yRange *[2]float64
	legend         legendPlace

	series    []*series
	nextColor int
	err       error
}

// New returns an empty figure with the given title ("" for none) and the
// default size of [DefaultWidth] x [DefaultHeight] inches.
func New(title string) *Figure {
	return &Figure{
		title:  title,
		width:  DefaultWidth * vg.Inch,
		height: DefaultHeight * vg.Inch,
	}
}

// XLabel sets the label of the horizontal axis.
func (f *Figure) XLabel(label string) *Figure {
	f.xLabel = label
	return f
}

// YLabel sets the label of the vertical axis.
func (f *Figure) YLabel(label string) *Figure {
	f.yLabel = label
	return f
}

// Size sets the canvas size in inches (text sizes do not change, so a smaller
// figure has relatively larger text).
func (f *Figure) Size(widthInches, heightInches float64) *Figure {
	if !(widthInches >= 2 && heightInches >= 1.5) || math.IsInf(widthInches, 0) || math.IsInf(heightInches, 0) {
		f.fail(fmt.Errorf("plots: Size(%g, %g): need a finite size of at least 2in x 1.5in", widthInches, heightInches))
		return f
	}
	f.width = vg.Length(widthInches) * vg.Inch
	f.height = vg.Length(heightInches) * vg.Inch
	return f
}

// LogY makes the vertical axis logarithmic (base 10). Every y value of every
// series must then be > 0; otherwise rendering returns an error naming the
// series and the value.
func (f *Figure) LogY() *Figure {
	f.logY = true
	return f
}

// XRange fixes the horizontal axis to [lo, hi]. Data outside is clipped.
func (f *Figure) XRange(lo, hi float64) *Figure {
	if err := checkRange("XRange", lo, hi); err != nil {
		f.fail(err)
		return f
	}
	f.xRange = &[2]float64{lo, hi}
	return f
}

// YRange fixes the vertical axis to [lo, hi]. Data outside is clipped.
// With [Figure.LogY], lo must be > 0.
func (f *Figure) YRange(lo, hi float64) *Figure {
	if err := checkRange("YRange", lo, hi); err != nil {
		f.fail(err)
		return f
	}
	f.yRange = &[2]float64{lo, hi}
	return f
}

func checkRange(name string, lo, hi float64) error {
	if !isFinite(lo) || !isFinite(hi) || !(lo < hi) {
		return fmt.Errorf("plots: %s(%g, %g): need finite lo < hi", name, lo, hi)
	}
	return nil
}

type legendPlace int

const (
	legendAuto legendPlace = iota
	legendLeft
	legendRight
	legendBottomLeft  // only chosen automatically
	legendBottomRight // only chosen automatically
)

// LegendLeft puts the legend in the top-left corner of the plot area.
// By default the legend goes to the corner where it covers the least data,
// trying top-right, top-left, bottom-right and bottom-left in this order of
// preference.
func (f *Figure) LegendLeft() *Figure {
	f.legend = legendLeft
	return f
}

// LegendRight puts the legend in the top-right corner of the plot area.
func (f *Figure) LegendRight() *Figure {
	f.legend = legendRight
	return f
}

// Err returns the first error recorded while building the figure, or nil.
// Errors that depend on the whole figure (non-positive values with
// [Figure.LogY]) are only detected by [Figure.SVG], [Figure.Display] and
// [Figure.Save].
func (f *Figure) Err() error { return f.err }

func (f *Figure) fail(err error) {
	if f.err == nil {
		f.err = err
	}
}

// Option changes how one series is drawn. Options can be combined, e.g.
// fig.Line("ensemble", xs, ys, plots.Bold, plots.Dashed).
type Option func(*style)

type style struct {
	faint, bold, dashed bool
	color               int // index into palette, -1: automatic
}

var (
	// Faint draws thin translucent grey lines, or small light grey dots,
	// meant as background: faint series are drawn beneath all other series
	// and do not take a colour from the palette. Combined with [Color] the
	// series keeps that colour, translucent.
	Faint Option = func(s *style) { s.faint = true }

	// Bold draws thicker lines, or bigger dots.
	Bold Option = func(s *style) { s.bold = true }

	// Dashed draws dashed lines. It has no effect on [Figure.Points].
	Dashed Option = func(s *style) { s.dashed = true }
)

// Color uses colour i of the palette (see the package documentation;
// indices wrap around) instead of the next automatic colour. It does not
// advance the automatic colour sequence.
func Color(i int) Option {
	i %= len(palette)
	if i < 0 {
		i += len(palette)
	}
	return func(s *style) { s.color = i }
}

// palette is the Okabe-Ito colour-blind-safe palette, reordered so that the
// first colours are the most distinct on white background.
var palette = []color.NRGBA{
	{0x00, 0x72, 0xB2, 0xFF}, // blue
	{0xD5, 0x5E, 0x00, 0xFF}, // vermillion
	{0x00, 0x9E, 0x73, 0xFF}, // bluish green
	{0xE6, 0x9F, 0x00, 0xFF}, // orange
	{0xCC, 0x79, 0xA7, 0xFF}, // reddish purple
	{0x56, 0xB4, 0xE9, 0xFF}, // sky blue
	{0x00, 0x00, 0x00, 0xFF}, // black
	{0xF0, 0xE4, 0x42, 0xFF}, // yellow
}

var (
	grey      = color.NRGBA{0x70, 0x70, 0x70, 0xFF}
	gridColor = color.NRGBA{0xDD, 0xDD, 0xDD, 0xFF}
	axisColor = color.NRGBA{0x33, 0x33, 0x33, 0xFF}
)

type seriesKind int

const (
	lineKind seriesKind = iota
	pointsKind
)

type series struct {
	kind   seriesKind
	method string // name of the builder method, for error messages
	label  string
	curves []plotter.XYs
	style  style
	color  color.NRGBA // resolved base colour (opaque)
}

// Line adds one curve through the points (xs[i], ys[i]), drawn with a solid
// line in the next palette colour. label is the legend text ("" for no
// legend entry).
func (f *Figure) Line(label string, xs, ys []float64, opts ...Option) *Figure {
	return f.add(lineKind, "Line", label, [][]float64{xs}, [][]float64{ys}, opts)
}

// Lines adds many curves that share one legend entry and one style, e.g. the
// predictions of the individual models of an ensemble (typically with
// [Faint]). Curve i goes through (xss[i][j], yss[i][j]). If xss has exactly
// one element, it is used as the x values of every curve.
func (f *Figure) Lines(label string, xss, yss [][]float64, opts ...Option) *Figure {
	return f.add(lineKind, "Lines", label, xss, yss, opts)
}

// Points adds a scatter plot of filled circles at (xs[i], ys[i]).
func (f *Figure) Points(label string, xs, ys []float64, opts ...Option) *Figure {
	return f.add(pointsKind, "Points", label, [][]float64{xs}, [][]float64{ys}, opts)
}

func (f *Figure) add(kind seriesKind, method, label string, xss, yss [][]float64, opts []Option) *Figure {
	s := &series{kind: kind, method: method, label: label, style: style{color: -1}}
	for _, o := range opts {
		if o != nil {
			o(&s.style)
		}
	}
	curves, err := makeCurves(xss, yss, method == "Lines")
	if err != nil {
		f.fail(fmt.Errorf("plots: %s %q: %w", method, label, err))
		return f
	}
	s.curves = curves
	switch {
	case s.style.color >= 0:
		s.color = palette[s.style.color]
	case s.style.faint:
		s.color = grey
	default:
		s.color = palette[f.nextColor%len(palette)]
		f.nextColor++
	}
	f.series = append(f.series, s)
	return f
}

// makeCurves validates and copies the data of one series.
func makeCurves(xss, yss [][]float64, many bool) ([]plotter.XYs, error) {
	if len(yss) == 0 {
		return nil, fmt.Errorf("no curves (yss is empty)")
	}
	if len(xss) != 1 && len(xss) != len(yss) {
		return nil, fmt.Errorf("len(xss)=%d but len(yss)=%d (xss must have one element or one per curve)", len(xss), len(yss))
	}
	curves := make([]plotter.XYs, len(yss))
	for i, ys := range yss {
		xs := xss[0]
		if len(xss) > 1 {
			xs = xss[i]
		}
		where := ""
		if many {
			where = fmt.Sprintf("curve %d: ", i)
		}
		if len(xs) != len(ys) {
			return nil, fmt.Errorf("%slen(xs)=%d but len(ys)=%d", where, len(xs), len(ys))
		}
		if len(ys) == 0 {
			return nil, fmt.Errorf("%sno data points", where)
		}
		xy := make(plotter.XYs, len(ys))
		for j := range ys {
			if !isFinite(xs[j]) {
				return nil, fmt.Errorf("%sx[%d] is %g", where, j, xs[j])
			}
			if !isFinite(ys[j]) {
				return nil, fmt.Errorf("%sy[%d] is %g", where, j, ys[j])
			}
			xy[j].X, xy[j].Y = xs[j], ys[j]
		}
		curves[i] = xy
	}
	return curves, nil
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// validate reports the first building error, or the first problem that
// depends on the whole figure.
func (f *Figure) validate() error {
	if f.err != nil {
		return f.err
	}
	if !f.logY {
		return nil
	}
	if f.yRange != nil && f.yRange[0] <= 0 {
		return fmt.Errorf("plots: YRange(%g, %g) with LogY: lo must be > 0", f.yRange[0], f.yRange[1])
	}
	for _, s := range f.series {
		for i, c := range s.curves {
			for j, p := range c {
				if p.Y <= 0 {
					where := ""
					if len(s.curves) > 1 {
						where = fmt.Sprintf("curve %d: ", i)
					}
					return fmt.Errorf("plots: %s %q: %sLogY needs y > 0, but y[%d] = %g", s.method, s.label, where, j, p.Y)
				}
			}
		}
	}
	return nil
}

// SVG renders the figure as a complete, standalone SVG document (fonts are
// referenced by name, not embedded).
func (f *Figure) SVG() (string, error) {
	if err := f.validate(); err != nil {
		return "", err
	}
	return f.render()
}

// Display shows the figure inline in a GoNB notebook cell, as SVG embedded in
// the cell's HTML output. Outside a notebook (gonbui.IsNotebook is false) it
// displays nothing and returns nil, unless the figure is invalid: errors are
// always returned, so scripts and tests catch them too.
func (f *Figure) Display() error {
	if err := f.validate(); err != nil {
		return err
	}
	if !gonbui.IsNotebook {
		return nil
	}
	svg, err := f.render()
	if err != nil {
		return err
	}
	gonbui.DisplaySvg(htmlSVG(svg))
	return gonbui.Error()
}

// Save writes the SVG document to path. Nothing is written if the figure is
// invalid.
func (f *Figure) Save(path string) error {
	svg, err := f.SVG()
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(svg), 0o644)
}

// htmlSVG strips the XML prolog and comment, which are not needed (and not
// allowed as such) when the SVG is inlined in HTML.
func htmlSVG(svg string) string {
	if i := strings.Index(svg, "<svg"); i > 0 {
		return svg[i:]
	}
	return svg
}

// Text sizes, in points.
const (
	titleSize  = 18
	labelSize  = 16
	tickSize   = 14
	legendSize = 14
)

func sans(size vg.Length, bold bool) font.Font {
	fnt := font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
	if bold {
		fnt.Weight = xfont.WeightBold
	}
	return fnt
}

// Line widths and glyph sizes, in points.
const (
	lineWidth      = 2.25
	boldLineWidth  = 4
	faintLineWidth = 1
	pointRadius    = 3.5
	boldRadius     = 5
	faintRadius    = 2.25
	faintLineAlpha = 0.35
	faintDotAlpha  = 0.5
)

func withAlpha(c color.NRGBA, a float64) color.NRGBA {
	c.A = uint8(math.Round(a * 255))
	return c
}

// lineStyle returns the style used to draw the series, and the one used for
// its legend thumbnail (more visible for faint series).
func (s *series) lineStyle() (draw.LineStyle, draw.LineStyle) {
	w := vg.Length(lineWidth)
	switch {
	case s.style.faint:
		w = faintLineWidth
	case s.style.bold:
		w = boldLineWidth
	}
	ls := draw.LineStyle{Color: s.color, Width: w}
	if s.style.dashed {
		d := 2.5 * math.Max(float64(w), 2)
		ls.Dashes = []vg.Length{vg.Length(d * 1.4), vg.Length(d)}
	}
	thumb := ls
	if s.style.faint {
		ls.Color = withAlpha(s.color, faintLineAlpha)
		thumb.Color = withAlpha(s.color, 0.7)
		thumb.Width = 1.5
	}
	return ls, thumb
}

func (s *series) glyphStyle() (draw.GlyphStyle, draw.GlyphStyle) {
	g := draw.GlyphStyle{Color: s.color, Radius: pointRadius, Shape: draw.CircleGlyph{}}
	switch {
	case s.style.faint:
		g.Radius = faintRadius
	case s.style.bold:
		g.Radius = boldRadius
	}
	thumb := g
	if s.style.faint {
		g.Color = withAlpha(s.color, faintDotAlpha)
		thumb.Color = withAlpha(s.color, 0.8)
		thumb.Radius = 3
	}
	return g, thumb
}

// render draws the (validated) figure.
func (f *Figure) render() (string, error) {
	p := plot.New()
	p.BackgroundColor = nil // the whole canvas is filled below
	p.Title.Text = f.title
	p.Title.TextStyle.Font = sans(titleSize, true)
	p.Title.Padding = 12

	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = sans(labelSize, false)
		ax.Label.TextStyle.Color = color.Black
		ax.Label.Padding = 6
		ax.Tick.Label.Font = sans(tickSize, false)
		ax.Tick.Label.Color = axisColor
		ax.Tick.Color = axisColor
		ax.Tick.Width = 1
		ax.Tick.Length = 5
		ax.Color = axisColor
		ax.Width = 1
		ax.Padding = 0
	}
	p.X.Label.Text = f.xLabel
	p.Y.Label.Text = f.yLabel
	nx := max(3, int(math.Round(float64(f.width/vg.Inch)*0.8)))
	ny := max(3, int(math.Round(float64(f.height/vg.Inch)*0.9)))
	p.X.Tick.Marker = linearTicks{n: nx}
	p.Y.Tick.Marker = linearTicks{n: ny}
	if f.logY {
		// The y axis stays linear over log10(y): gonum's LogScale places a rotated axis label at the
		// arithmetic middle of the data range, which on a log axis is near the top, and then pads the
		// whole plot down to make room for it.
		p.Y.Tick.Marker = exponentTicks{logTicks{n: ny}}
	}

	grid := plotter.NewGrid()
	grid.Vertical = draw.LineStyle{Color: gridColor, Width: 0.75}
	grid.Horizontal = grid.Vertical
	p.Add(grid)

	// Faint series first so they stay in the background.
	var ordered []*series
	for _, s := range f.series {
		if s.style.faint {
			ordered = append(ordered, s)
		}
	}
	for _, s := range f.series {
		if !s.style.faint {
			ordered = append(ordered, s)
		}
	}
	for _, s := range ordered {
		for _, c := range s.curves {
			c = f.transformed(c)
			switch s.kind {
			case lineKind:
				l, err := plotter.NewLine(c)
				if err != nil {
					return "", fmt.Errorf("plots: %s %q: %w", s.method, s.label, err)
				}
				l.LineStyle, _ = s.lineStyle()
				p.Add(l)
			case pointsKind:
				sc, err := plotter.NewScatter(c)
				if err != nil {
					return "", fmt.Errorf("plots: %s %q: %w", s.method, s.label, err)
				}
				sc.GlyphStyle, _ = s.glyphStyle()
				p.Add(sc)
			}
		}
	}
	f.setRanges(p)

	leg := &legend{fig: f}
	for _, s := range f.series {
		if s.label == "" {
			continue
		}
		var t thumbnail
		if s.kind == lineKind {
			_, ls := s.lineStyle()
			t.line = &ls
		} else {
			_, gs := s.glyphStyle()
			t.glyph = &gs
		}
		leg.entries = append(leg.entries, legendEntry{label: s.label, thumb: t})
	}
	if len(leg.entries) > 0 {
		p.Add(leg)
	}

	c := vgsvg.New(f.width, f.height)
	dc := draw.New(c)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	const margin = 12
	p.Draw(draw.Crop(dc, margin, -margin-4, margin, -margin))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", fmt.Errorf("plots: writing SVG: %w", err)
	}
	return postProcess(buf.String()), nil
}

// postProcess makes the SVG from vgsvg friendlier: font fallbacks for
// machines without Liberation fonts, and scaling down to narrow containers.
func postProcess(svg string) string {
	svg = strings.ReplaceAll(svg, "font-family:Liberation Sans;",
		"font-family:'Liberation Sans',Arial,Helvetica,sans-serif;")
	svg = strings.Replace(svg, "<svg width=", `<svg style="max-width:100%;height:auto" width=`, 1)
	return svg
}

// dataRange returns the extent of all data.
func (f *Figure) dataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, s := range f.series {
		for _, c := range s.curves {
			for _, p := range c {
				xmin, xmax = math.Min(xmin, p.X), math.Max(xmax, p.X)
				ymin, ymax = math.Min(ymin, p.Y), math.Max(ymax, p.Y)
			}
		}
	}
	if math.IsInf(xmin, 1) { // no series at all
		xmin, xmax, ymin, ymax = 0, 1, 0, 1
		if f.logY {
			ymin, ymax = 1, 10
		}
	}
	return
}

func (f *Figure) setRanges(p *plot.Plot) {
	xmin, xmax, ymin, ymax := f.dataRange()
	if f.xRange != nil {
		xmin, xmax = f.xRange[0], f.xRange[1]
	} else if xmin == xmax {
		xmin, xmax = widen(xmin)
	}
	switch {
	case f.yRange != nil:
		ymin, ymax = f.y(f.yRange[0]), f.y(f.yRange[1])
	case f.logY:
		lo, hi := math.Log10(ymin), math.Log10(ymax)
		m := 0.04 * (hi - lo)
		if m == 0 {
			m = 0.5
		}
		ymin, ymax = lo-m, hi+m
	case ymin == ymax:
		ymin, ymax = widen(ymin)
	default:
		m := 0.04 * (ymax - ymin)
		ymin, ymax = ymin-m, ymax+m
	}
	p.X.Min, p.X.Max = xmin, xmax
	p.Y.Min, p.Y.Max = ymin, ymax
}

// y maps a data value to the plot's y coordinate: log10 of it on a LogY figure.
func (f *Figure) y(v float64) float64 {
	if f.logY {
		return math.Log10(v)
	}
	return v
}

// transformed returns c with its y values mapped by f.y.
func (f *Figure) transformed(c plotter.XYs) plotter.XYs {
	if !f.logY {
		return c
	}
	out := make(plotter.XYs, len(c))
	for i, p := range c {
		out[i] = plotter.XY{X: p.X, Y: f.y(p.Y)}
	}
	return out
}

func widen(v float64) (float64, float64) {
	d := 0.1 * math.Abs(v)
	if d == 0 {
		d = 1
	}
	return v - d, v + d
}

// thumbnail is a legend icon: a line segment or a single glyph.
type thumbnail struct {
	line  *draw.LineStyle
	glyph *draw.GlyphStyle
}

func (t thumbnail) Thumbnail(c *draw.Canvas) {
	if t.line != nil {
		y := c.Center().Y
		c.StrokeLine2(*t.line, c.Min.X, y, c.Max.X, y)
	}
	if t.glyph != nil {
		c.DrawGlyphNoClip(*t.glyph, c.Center())
	}
}

type legendEntry struct {
	label string
	thumb thumbnail
}

// legend is a plot.Plotter drawn last: it draws a semi-opaque box and a
// plot.Legend inside it, in a top corner of the data area.
type legend struct {
	fig     *Figure
	entries []legendEntry
}

const (
	legendInset   = 10 // between data area border and legend box
	legendPadding = 8  // between legend box border and its content
	legendThumb   = 32 // width of a thumbnail
)

func (l *legend) Plot(c draw.Canvas, p *plot.Plot) {
	leg := plot.NewLegend()
	leg.TextStyle.Font = sans(legendSize, false)
	leg.TextStyle.Color = color.Black
	leg.ThumbnailWidth = legendThumb
	leg.Padding = 3
	leg.Top = true
	for _, e := range l.entries {
		leg.Add(e.label, e.thumb)
	}

	// Size of the legend content, following plot.Legend.Draw.
	var w, entryH vg.Length
	for _, e := range l.entries {
		w = max(w, legendThumb+leg.TextStyle.Rectangle(" "+e.label).Max.X)
		entryH = max(entryH, leg.TextStyle.Rectangle(e.label).Max.Y)
	}
	descent := leg.TextStyle.FontExtents().Descent
	n := vg.Length(len(l.entries))
	h := n*entryH + (n-1)*leg.Padding

	box := func(corner legendPlace) vg.Rectangle {
		var r vg.Rectangle
		if corner == legendLeft || corner == legendRight {
			r.Max.Y = c.Max.Y - legendInset
			r.Min.Y = r.Max.Y - h - 2*legendPadding
		} else {
			r.Min.Y = c.Min.Y + legendInset
			r.Max.Y = r.Min.Y + h + 2*legendPadding
		}
		if corner == legendLeft || corner == legendBottomLeft {
			r.Min.X = c.Min.X + legendInset
			r.Max.X = r.Min.X + w + 2*legendPadding
		} else {
			r.Max.X = c.Max.X - legendInset
			r.Min.X = r.Max.X - w - 2*legendPadding
		}
		return r
	}

	corner := l.fig.legend
	if corner == legendAuto {
		// The first corner, in order of preference, covering the least data.
		best := math.Inf(1)
		for _, k := range []legendPlace{legendRight, legendLeft, legendBottomRight, legendBottomLeft} {
			if cov := l.covered(c, p, box(k)); cov < best {
				corner, best = k, cov
			}
		}
	}
	r := box(corner)

	bg := draw.Canvas{Canvas: c.Canvas, Rectangle: r}
	bg.SetColor(color.NRGBA{0xFF, 0xFF, 0xFF, 0xD9})
	bg.Fill(r.Path())
	bg.SetLineStyle(draw.LineStyle{Color: color.NRGBA{0xBB, 0xBB, 0xBB, 0xFF}, Width: 0.75})
	bg.Stroke(r.Path())

	leg.Left = true // icons left of the text, also in the top-right corner
	inner := draw.Crop(bg, legendPadding, -legendPadding, legendPadding, -legendPadding+descent)
	leg.Draw(inner)
}

// covered estimates how much data lies under the legend box r: the number of
// data points inside it plus a few samples along every line segment, with
// faint series counting less.
func (l *legend) covered(c draw.Canvas, p *plot.Plot, r vg.Rectangle) float64 {
	trX, trY := p.Transforms(&c)
	in := func(pt vg.Point) bool {
		return pt.X >= r.Min.X && pt.X <= r.Max.X && pt.Y >= r.Min.Y && pt.Y <= r.Max.Y
	}
	total := 0.0
	for _, s := range l.fig.series {
		weight := 1.0
		if s.style.faint {
			weight = 0.3
		}
		for _, cv := range s.curves {
			var prev vg.Point
			for i, d := range cv {
				pt := vg.Point{X: trX(d.X), Y: trY(l.fig.y(d.Y))}
				if in(pt) {
					total += weight
				}
				if s.kind == lineKind && i > 0 {
					for k := 1; k < 4; k++ {
						a := vg.Length(k) / 4
						if in(vg.Point{X: prev.X + a*(pt.X-prev.X), Y: prev.Y + a*(pt.Y-prev.Y)}) {
							total += weight
						}
					}
				}
				prev = pt
			}
		}
	}
	return total
}

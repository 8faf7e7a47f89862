package plots

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"
	"strings"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Size of the plot area's canvas; the legend is added below it.
const (
	width  = 9 * vg.Inch
	height = 5.5 * vg.Inch
)

// Figure is a line/scatter plot under construction. Create it with [New], add series with the chaining
// methods, render it with [Figure.SVG] or [Figure.PNG]. A Figure can be rendered several
// times; it is not safe for concurrent use.
type Figure struct {
	title, xLabel, yLabel string
	logX, logY            bool
	yRange                *[2]float64 // Fixed vertical range, when set.
	series                []*series
	nextColor             int
	err                   error
}

// New returns an empty figure with the given title ("" for none).
func New(title string) *Figure { return &Figure{title: title} }

// XLabel sets the label of the horizontal axis.
func (f *Figure) XLabel(label string) *Figure { f.xLabel = label; return f }

// YLabel sets the label of the vertical axis.
func (f *Figure) YLabel(label string) *Figure { f.yLabel = label; return f }

// Title returns the figure's title.
func (f *Figure) Title() string { return f.title }

// LogX makes the horizontal axis logarithmic (base 10); every x value must then be > 0.
func (f *Figure) LogX() *Figure { f.logX = true; return f }

// YRange fixes the vertical axis to [lo, hi] instead of fitting it to the data (on a linear axis), so that,
// say, a share starts at 0.
func (f *Figure) YRange(lo, hi float64) *Figure { f.yRange = &[2]float64{lo, hi}; return f }

// LogY makes the vertical axis logarithmic (base 10). Every y value of every series must then be > 0;
// otherwise rendering returns an error naming the series and the value.
func (f *Figure) LogY() *Figure { f.logY = true; return f }

// Option changes how one series is drawn.
type Option func(*style)

type style struct {
	faint, bold bool
	color       int // Index into palette, -1: automatic.
}

var (
	// Faint draws thin translucent grey lines, or small light grey dots, meant as background: faint series
	// are drawn beneath all other series and take no colour from the palette. With [Color] the series keeps
	// that colour, translucent.
	Faint Option = func(s *style) { s.faint = true }

	// Bold draws thicker lines, or bigger dots.
	Bold Option = func(s *style) { s.bold = true }
)

// Color uses colour i of the palette (indices wrap around) instead of the next automatic colour. It does
// not advance the automatic colour sequence.
func Color(i int) Option {
	i %= len(palette)
	if i < 0 {
		i += len(palette)
	}
	return func(s *style) { s.color = i }
}

// palette is the Okabe-Ito colour-blind-safe palette, reordered so that the first colours are the most
// distinct on a white background.
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
	method string // Name of the builder method, for error messages.
	label  string
	curves []plotter.XYs
	style  style
	color  color.NRGBA // Resolved base colour (opaque).
}

// Line adds one curve through the points (xs[i], ys[i]), drawn with a solid line in the next palette colour.
// label is the legend text ("" for no legend entry).
func (f *Figure) Line(label string, xs, ys []float64, opts ...Option) *Figure {
	return f.add(lineKind, "Line", label, [][]float64{xs}, [][]float64{ys}, opts)
}

// Lines adds many curves that share one legend entry and one style, e.g. the predictions of the members of
// an ensemble (typically with [Faint]). Curve i goes through (xss[i][j], yss[i][j]); if xss has exactly one
// element, it is the x values of every curve.
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
		if f.err == nil {
			f.err = fmt.Errorf("plots: %s %q: %w", method, label, err)
		}
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

// makeCurves pairs up the data of one series. Values are checked by gonum's own plotters (no points, NaN,
// infinities), whose errors are wrapped with the curve's place.
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
		xy := make(plotter.XYs, len(ys))
		for j := range ys {
			xy[j].X, xy[j].Y = xs[j], ys[j]
		}
		if len(xy) == 0 {
			return nil, fmt.Errorf("%s%w", where, plotter.ErrNoData) // CopyXYs accepts an empty curve.
		}
		c, err := plotter.CopyXYs(xy) // Copies and checks the points as every gonum plotter does.
		if err != nil {
			return nil, fmt.Errorf("%s%w", where, err)
		}
		curves[i] = c
	}
	return curves, nil
}

// validate reports the first building error, or the first problem that depends on the whole figure.
func (f *Figure) validate() error {
	if f.err != nil || (!f.logX && !f.logY) {
		return f.err
	}
	for _, s := range f.series {
		for i, c := range s.curves {
			for j, p := range c {
				where := ""
				if len(s.curves) > 1 {
					where = fmt.Sprintf("curve %d: ", i)
				}
				if f.logY && p.Y <= 0 {
					return fmt.Errorf("plots: %s %q: %sLogY needs y > 0, but y[%d] = %g", s.method, s.label, where, j, p.Y)
				}
				if f.logX && p.X <= 0 {
					return fmt.Errorf("plots: %s %q: %sLogX needs x > 0, but x[%d] = %g", s.method, s.label, where, j, p.X)
				}
			}
		}
	}
	return nil
}

// SVG renders the figure as a complete, standalone SVG document (fonts are referenced by name, not
// embedded).
func (f *Figure) SVG() (string, error) {
	if err := f.validate(); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := f.render(func(w, h vg.Length) vg.CanvasWriterTo { return vgsvg.New(w, h) }, &buf); err != nil {
		return "", err
	}
	return postProcess(buf.String()), nil
}

// pngDPI is the resolution of PNG renderings: sharp on a projector, about 60 KB a figure.
const pngDPI = 110

// PNG renders the figure as a PNG image, for places that refuse SVG (a sanitizing HTML export keeps PNG
// images but drops SVG).
func (f *Figure) PNG() ([]byte, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	err := f.render(func(w, h vg.Length) vg.CanvasWriterTo {
		return vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(pngDPI))}
	}, &buf)
	return buf.Bytes(), err
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

// Line widths, glyph sizes (points) and the opacity of faint series.
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

// lineStyle returns the style used to draw the series, and the one used for its legend thumbnail (more
// visible for faint series).
func (s *series) lineStyle() (draw.LineStyle, draw.LineStyle) {
	w := vg.Length(lineWidth)
	switch {
	case s.style.faint:
		w = faintLineWidth
	case s.style.bold:
		w = boldLineWidth
	}
	ls := draw.LineStyle{Color: s.color, Width: w}
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

// drawOrder is the order series are drawn in: faint ones first, so they stay in the background.
func (f *Figure) drawOrder() []*series {
	var faint, rest []*series
	for _, s := range f.series {
		if s.style.faint {
			faint = append(faint, s)
		} else {
			rest = append(rest, s)
		}
	}
	return append(faint, rest...)
}

// render draws the (validated) figure on the canvas newCanvas makes for the figure's size, and writes it to
// out: the plot on a fixed-size area, and the legend in rows below it, so it never covers data.
func (f *Figure) render(newCanvas func(w, h vg.Length) vg.CanvasWriterTo, out io.Writer) error {
	p := plot.New()
	p.BackgroundColor = nil // The whole canvas is filled below.
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
	nx := max(3, int(math.Round(float64(width/vg.Inch)*0.8)))
	ny := max(3, int(math.Round(float64(height/vg.Inch)*0.9)))
	p.X.Tick.Marker = linearTicks{n: nx}
	p.Y.Tick.Marker = linearTicks{n: ny}
	if f.logY {
		// The y axis stays linear over log10(y): gonum's LogScale places a rotated axis label at the
		// arithmetic middle of the data range, which on a log axis is near the top, and then pads the
		// whole plot down to make room for it.
		p.Y.Tick.Marker = exponentTicks{logTicks{n: ny}}
	}
	if f.logX {
		p.X.Tick.Marker = exponentTicks{logTicks{n: nx}}
	}
	grid := plotter.NewGrid()
	grid.Vertical = draw.LineStyle{Color: gridColor, Width: 0.75}
	grid.Horizontal = grid.Vertical
	p.Add(grid)

	for _, s := range f.drawOrder() {
		for _, c := range s.curves {
			c = f.transformed(c)
			switch s.kind {
			case lineKind:
				l, err := plotter.NewLine(c)
				if err != nil {
					return fmt.Errorf("plots: %s %q: %w", s.method, s.label, err)
				}
				l.LineStyle, _ = s.lineStyle()
				p.Add(l)
			case pointsKind:
				sc, err := plotter.NewScatter(c)
				if err != nil {
					return fmt.Errorf("plots: %s %q: %w", s.method, s.label, err)
				}
				sc.GlyphStyle, _ = s.glyphStyle()
				p.Add(sc)
			}
		}
	}
	f.setRanges(p)

	leg := newLegend(f.series, width-2*margin)
	total := height + leg.height()
	c := newCanvas(width, total)
	dc := draw.New(c)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	p.Draw(draw.Crop(dc, margin, -margin-4, leg.height()+margin, -margin))
	leg.draw(draw.Crop(dc, margin, -margin, margin, -(height - margin)))
	if _, err := c.WriteTo(out); err != nil {
		return fmt.Errorf("plots: writing the figure: %w", err)
	}
	return nil
}

// margin surrounds the plot and the legend, in points.
const margin = 12

// postProcess makes the SVG from vgsvg friendlier: font fallbacks for machines without Liberation fonts,
// and scaling down to narrow containers.
func postProcess(svg string) string {
	svg = strings.ReplaceAll(svg, "font-family:Liberation Sans;",
		"font-family:'Liberation Sans',Arial,Helvetica,sans-serif;")
	return strings.Replace(svg, "<svg width=", `<svg style="max-width:100%;height:auto" width=`, 1)
}

// setRanges fits the axes to the data, with a small margin (log10 of y on a LogY figure).
func (f *Figure) setRanges(p *plot.Plot) {
	xmin, ymin := math.Inf(1), math.Inf(1)
	xmax, ymax := math.Inf(-1), math.Inf(-1)
	for _, s := range f.series {
		for _, c := range s.curves {
			for _, pt := range c {
				xmin, xmax = math.Min(xmin, f.x(pt.X)), math.Max(xmax, f.x(pt.X))
				ymin, ymax = math.Min(ymin, f.y(pt.Y)), math.Max(ymax, f.y(pt.Y))
			}
		}
	}
	if math.IsInf(xmin, 1) { // No series at all.
		xmin, xmax, ymin, ymax = 0, 1, 0, 1
	}
	if xmin == xmax {
		xmin, xmax = widen(xmin)
	}
	if ymin == ymax {
		ymin, ymax = widen(ymin)
	} else {
		m := 0.04 * (ymax - ymin)
		ymin, ymax = ymin-m, ymax+m
	}
	if f.yRange != nil && !f.logY {
		ymin, ymax = f.yRange[0], f.yRange[1]
	}
	p.X.Min, p.X.Max = xmin, xmax
	p.Y.Min, p.Y.Max = ymin, ymax
}

// x maps a data value to the plot's x coordinate: log10 of it on a LogX figure.
func (f *Figure) x(v float64) float64 {
	if f.logX {
		return math.Log10(v)
	}
	return v
}

// y maps a data value to the plot's y coordinate: log10 of it on a LogY figure.
func (f *Figure) y(v float64) float64 {
	if f.logY {
		return math.Log10(v)
	}
	return v
}

// transformed returns c with its values mapped by f.x and f.y.
func (f *Figure) transformed(c plotter.XYs) plotter.XYs {
	if !f.logX && !f.logY {
		return c
	}
	out := make(plotter.XYs, len(c))
	for i, p := range c {
		out[i] = plotter.XY{X: f.x(p.X), Y: f.y(p.Y)}
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

// legendEntry is one labelled series in the legend: its label and its thumbnail (a line segment or a
// glyph).
type legendEntry struct {
	label string
	line  *draw.LineStyle
	glyph *draw.GlyphStyle
}

// legend lays the labelled series out in a grid below the plot: as many columns as fit the width, filled
// row by row in call order.
type legend struct {
	entries       []legendEntry
	style         text.Style
	cols, rows    int
	colW, entryH  vg.Length
	thumb, spaceW vg.Length
}

const legendThumb = 32 // Width of a thumbnail, in points.

func newLegend(series []*series, avail vg.Length) *legend {
	l := &legend{style: plot.NewLegend().TextStyle, thumb: legendThumb}
	l.style.Font = sans(legendSize, false)
	l.style.Color = color.Black
	for _, s := range series {
		if s.label == "" {
			continue
		}
		e := legendEntry{label: s.label}
		if s.kind == lineKind {
			_, ls := s.lineStyle()
			e.line = &ls
		} else {
			_, gs := s.glyphStyle()
			e.glyph = &gs
		}
		l.entries = append(l.entries, e)
	}
	if len(l.entries) == 0 {
		return l
	}
	l.spaceW = l.style.Rectangle("  ").Max.X
	for _, e := range l.entries {
		r := l.style.Rectangle(e.label)
		l.colW = max(l.colW, l.thumb+l.spaceW+r.Max.X+2*l.spaceW)
		l.entryH = max(l.entryH, r.Max.Y-r.Min.Y)
	}
	l.entryH *= 1.35
	l.cols = columns(l.colW, avail, len(l.entries))
	l.rows = (len(l.entries) + l.cols - 1) / l.cols
	return l
}

// columns is how many legend columns of width colW fit in avail, at least 1 and at most n.
func columns(colW, avail vg.Length, n int) int {
	if colW <= 0 {
		return 1
	}
	return min(max(int(avail/colW), 1), n)
}

// height is the canvas height the legend adds below the plot.
func (l *legend) height() vg.Length {
	if l.rows == 0 {
		return 0
	}
	return vg.Length(l.rows)*l.entryH + 8
}

func (l *legend) draw(c draw.Canvas) {
	for i, e := range l.entries {
		col, row := i%l.cols, i/l.cols
		x := c.Min.X + vg.Length(col)*l.colW
		yMid := c.Max.Y - (vg.Length(row)+0.5)*l.entryH
		if e.line != nil {
			c.StrokeLine2(*e.line, x, yMid, x+l.thumb, yMid)
		}
		if e.glyph != nil {
			c.DrawGlyphNoClip(*e.glyph, vg.Point{X: x + l.thumb/2, Y: yMid})
		}
		sty := l.style
		sty.YAlign = draw.YCenter
		c.FillText(sty, vg.Point{X: x + l.thumb + l.spaceW, Y: yMid}, e.label)
	}
}

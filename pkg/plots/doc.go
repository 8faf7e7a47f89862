// Package plots is a small figure builder for the lecture notebooks.
//
// It draws line plots and scatter plots with gonum.org/v1/plot and
// renders them as static SVG, so figures show inline in JupyterLab (GoNB
// kernel), stay in saved notebooks, work in exported HTML handouts without
// network access and on code-host notebook viewers. Defaults are chosen for
// a lecture projector: a 9in x 5.5in canvas, 14-18pt sans-serif text, thick
// lines, light grey grid lines and a colour-blind-safe palette.
//
// A figure is built by chaining methods on *Figure and then rendered with
// [Figure.SVG], [Figure.Display] or [Figure.Save]:
//
//	fig := plots.New("Polynomial fit").XLabel("x").YLabel("y")
//	fig.Line("true function", xs, ys)
//	fig.Lines("individual models", xss, yss, plots.Faint)
//	fig.Line("ensemble", xs, mean, plots.Bold)
//	fig.Points("training set", xTrain, yTrain)
//	fig.Points("validation set", xVal, yVal, plots.Faint)
//	if err := fig.Display(); err != nil {
//		panic(err)
//	}
//
// Series are drawn in call order, except that [Faint] series are drawn
// beneath all others. The legend lists all labelled series in call order,
// inside the plot area, in the corner where it covers the least data (see
// [Figure.LegendLeft]).
//
// # Colours
//
// Series that are neither [Faint] nor given an explicit [Color] receive the
// next colour of a fixed Okabe-Ito palette, in call order: blue, vermillion,
// bluish green, orange, reddish purple, sky blue, black, yellow. Two figures
// built with the same sequence of calls therefore use the same colours.
// [Faint] series are grey unless [Color] is also given.
//
// # Errors
//
// Builder methods never panic and always return the figure, so calls can be
// chained. The first problem found (series of different lengths, empty
// series, NaN or infinite values, non-positive values on a [Figure.LogY]
// axis, an invalid range) is remembered, and returned by [Figure.Err],
// [Figure.SVG], [Figure.Display] and [Figure.Save]. The error message names
// the series and the offending value.
//
// # Output
//
// The SVG does not embed font data: a simple figure is 10-20 KB, ten curves
// of 401 points about 65 KB (embedding the two Liberation Sans faces would add
// about 1.1 MB per figure). Text is measured with the Liberation Sans metrics
// bundled with gonum/plot and the SVG asks for "Liberation Sans", Arial,
// Helvetica, sans-serif: Arial is metric-compatible with Liberation Sans, so
// labels keep their size and placement on machines without Liberation fonts.
package plots

// Package plots is the small figure builder the lecture notebooks draw with.
//
// It draws line plots and scatter plots with gonum.org/v1/plot and renders them as static SVG, so figures
// show inline in JupyterLab (GoNB kernel), stay in saved notebooks and work in exported HTML handouts
// without network access. Defaults suit a lecture projector: a 9in x 5.5in plot, 14-18pt sans-serif text,
// thick lines, light grey grid lines and a colour-blind-safe palette.
//
// A figure is built by chaining methods on *Figure and rendered with [Figure.SVG] or [Figure.PNG] (package
// lecture sends both to the notebook):
//
//	fig := plots.New("Ensemble").XLabel("x").YLabel("y")
//	fig.Lines("individual models", [][]float64{xs}, yss, plots.Faint)
//	fig.Line("true function", xs, ys)
//	fig.Line("ensemble", xs, mean, plots.Bold)
//	fig.Points("training set", xTrain, yTrain)
//	svg, err := fig.SVG()
//
// Series are drawn in call order, except that [Faint] series are drawn beneath all others. The legend
// lists the labelled series in call order, in rows below the plot, so it never covers data.
//
// # Colours
//
// Series that are neither [Faint] nor given an explicit [Color] receive the next colour of a fixed
// Okabe-Ito palette, in call order: blue, vermillion, bluish green, orange, reddish purple, sky blue,
// black, yellow. [Faint] series are grey unless [Color] is also given.
//
// # Errors
//
// Builder methods never panic and always return the figure, so calls can be chained. The first problem
// (series of different lengths, and whatever gonum's plotters reject: no points, NaN or infinite
// values, wrapped with the series' name) is remembered and returned by [Figure.SVG] and [Figure.PNG], as
// is a non-positive value on a [Figure.LogY] axis.
//
// # Output
//
// The SVG does not embed font data: a simple figure is 10-20 KB, ten curves of 401 points about 65 KB.
// Text is measured with the Liberation Sans metrics bundled with gonum/plot and the SVG asks for
// "Liberation Sans", Arial, Helvetica, sans-serif: Arial is metric-compatible with Liberation Sans, so
// labels keep their size and placement on machines without Liberation fonts.
package plots

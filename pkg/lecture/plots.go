package lecture

import (
	"encoding/base64"
	"fmt"
	"math"
	"sort"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"

	"github.com/golecture/regularization/pkg/data"
	"github.com/golecture/regularization/pkg/mlp"
	"github.com/golecture/regularization/pkg/plots"
)

// valPointsShown is how many validation points a data plot draws: enough to see the noise, few enough to
// keep the SVG small.
const valPointsShown = 600

// show displays fig in the cell as SVG, with a PNG rendition beside it (JupyterLab shows the SVG; its
// sanitizing HTML export drops SVG but keeps PNG) and, when given, results for the notebook tests (see
// display). Outside a notebook it only checks the figure.
func show(fig *plots.Figure, results any) {
	svg, err := fig.SVG()
	if err != nil {
		report("plot", err)
		return
	}
	if !gonbui.IsNotebook {
		return
	}
	png, err := fig.PNG()
	if err != nil {
		report("plot", err)
		return
	}
	bundle := map[protocol.MIMEType]any{protocol.MIMEImageSVG: svg, protocol.MIMEImagePNG: base64.StdEncoding.EncodeToString(png)}
	if err := attach(bundle, results); err != nil {
		report("plot", err)
		return
	}
	send(bundle)
}

// PlotData draws the true function, the training points and a sample of the validation points.
func PlotData() {
	ds := Data()
	if ds == nil {
		return
	}
	n := min(valPointsShown, len(ds.ValX))
	fig := plots.New("The lecture's data: 50 training points, 10,000 validation points").XLabel("x").YLabel("y")
	fig.Points(fmt.Sprintf("validation set (%d of %d shown)", n, len(ds.ValX)),
		data.Float64s(ds.ValX[:n]), data.Float64s(ds.ValY[:n]), plots.Faint)
	fig.Line("true function", ds.GridX, ds.GridY)
	fig.Points("training set", data.Float64s(ds.TrainX), data.Float64s(ds.TrainY))
	show(fig, nil)
}

// PlotFit draws a model's predictions over the true function and the training points, as the lecture's
// plot_layers did. With hiddenUnits set it also draws, in grey, what each unit of the last hidden layer
// contributes to the output (its activation times its output weight): the pieces the model adds up.
func PlotFit(m *mlp.Model, title string, hiddenUnits bool) {
	ds := Data()
	if ds == nil {
		return
	}
	if m == nil {
		report("plot", errNoModel)
		return
	}
	pred32, err := predict(m, ds.GridX32())
	if err != nil {
		report("plot", err)
		return
	}
	pred := data.Float64s(pred32)
	fig := plots.New(title).XLabel("x").YLabel("y")
	fig.Line("true function", ds.GridX, ds.GridY)
	fig.Points("training set", data.Float64s(ds.TrainX), data.Float64s(ds.TrainY))
	fig.Line("model", ds.GridX, pred, plots.Bold)
	show(fig, nil)
	if hiddenUnits {
		plotUnits(m, title)
	}
}

// plotUnits draws, on their own scale (they are small next to the data), what each unit of the last hidden
// layer adds to the output: its activation times its output weight. Each is made of straight pieces joined
// at kinks, where the unit switches on or off.
func plotUnits(m *mlp.Model, title string) {
	ds := Data()
	last := len(m.Weights) - 2
	acts, err := remember("hidden activations", func() ([][]float32, error) {
		return m.HiddenActivations(ds.GridX32(), last)
	}, fingerprint(m), digest(ds.GridX32()), last)
	if err != nil {
		report("plot", err)
		return
	}
	xs, curves, active := unitContributions(ds.GridX, acts, m.Weights[last+1].Kernel)
	if len(curves) == 0 {
		report("plot", fmt.Errorf("no unit of the last hidden layer is active on the grid"))
		return
	}
	const strong = 6
	fig := plots.New(title + ": the pieces it adds up").XLabel("x").YLabel("unit activation × output weight")
	if len(curves) > strong {
		fig.Lines(fmt.Sprintf("the next %d units", len(curves)-strong), [][]float64{xs}, curves[strong:], plots.Faint)
	}
	fig.Lines(fmt.Sprintf("the %d largest of %d active units", min(strong, len(curves)), active),
		[][]float64{xs}, curves[:min(strong, len(curves))])
	show(fig, map[string]any{"plot": title + ": the pieces it adds up", "active_units": active})
}

// PlotHistory draws the training and validation loss by epoch of a model fitted WithHistory.
func PlotHistory(m *mlp.Model, title string) {
	if m == nil {
		report("plot history", errNoModel)
		return
	}
	if m.History == nil {
		report("plot history", fmt.Errorf("this model was fitted without history: add .WithHistory() to its configuration"))
		return
	}
	epochs := make([]float64, len(m.History.Loss))
	for i := range epochs {
		epochs[i] = float64(i + 1)
	}
	fig := plots.New(title).XLabel("epoch").YLabel("mean squared error (log scale)").LogY()
	fig.Line("training loss", epochs, m.History.Loss)
	fig.Line("validation loss", epochs, m.History.ValLoss)
	if ds := Data(); ds != nil {
		floor := noiseFloor(ds)
		fig.Line(fmt.Sprintf("noise floor: the true function's validation MSE (%.4f)", floor),
			[]float64{1, float64(len(epochs))}, []float64{floor, floor}, plots.Faint, plots.Color(6))
	}
	best := argmin(m.History.ValLoss)
	fig.Points(fmt.Sprintf("lowest validation loss: epoch %d", best+1),
		[]float64{epochs[best]}, []float64{m.History.ValLoss[best]})
	if stop := EarlyStop - 1; stop < len(epochs) {
		fig.Points(fmt.Sprintf("early stop (section 0.3.2): epoch %d", EarlyStop),
			[]float64{epochs[stop]}, []float64{m.History.ValLoss[stop]}, plots.Bold)
	}
	show(fig, map[string]any{"plot": title, "best_epoch": best + 1, "early_stop": EarlyStop})
}

// EarlyStop is the epoch at which the lecture stops its early-stopped model.
const EarlyStop = 100

func argmin(xs []float64) int {
	best := -1
	for i, x := range xs {
		if best < 0 || x < xs[best] {
			best = i
		}
	}
	return best
}

// PlotEnsemble draws every member's predictions in grey, their average in bold, the true function and the
// training points.
func PlotEnsemble(members []*mlp.Model, title string) {
	ds := Data()
	if ds == nil {
		return
	}
	each, mean, err := averagePredictions(members, ds.GridX32())
	if err != nil {
		report("plot", err)
		return
	}
	curves := make([][]float64, len(each))
	for i, p := range each {
		curves[i] = data.Float64s(p)
	}
	fig := plots.New(title).XLabel("x").YLabel("y")
	fig.Lines(fmt.Sprintf("individual models (%d)", len(members)), [][]float64{ds.GridX}, curves, plots.Faint)
	fig.Line("true function", ds.GridX, ds.GridY)
	fig.Points("training set", data.Float64s(ds.TrainX), data.Float64s(ds.TrainY))
	fig.Line("ensemble (average)", ds.GridX, data.Float64s(mean), plots.Bold)
	show(fig, nil)
}

// PlotGradients draws, on a log scale, the largest |gradient| of each layer's kernel from input to output,
// one line per model, so vanishing gradients show at a glance.
func PlotGradients(title string, labels []string, grads ...*mlp.Gradients) {
	if len(labels) != len(grads) {
		report("plot gradients", fmt.Errorf("%d labels for %d gradient sets: give one label per set", len(labels), len(grads)))
		return
	}
	for i, g := range grads {
		if g == nil || len(g.Kernels) == 0 {
			report("plot gradients", fmt.Errorf("%q: %w", labels[i], errNoGradients))
			return
		}
	}
	if len(grads) == 0 {
		report("plot gradients", fmt.Errorf("no gradient sets: pass at least one lecture.Gradients(model)"))
		return
	}
	fig := plots.New(title).XLabel("layer (1 = first hidden layer, last = output)").YLabel("max |∂J/∂w| (log scale)").LogY()
	maxima := map[string][]float64{}
	for i, g := range grads {
		mx := g.MaxAbsByLayer()
		maxima[labels[i]] = mx
		xs, ys := make([]float64, 0, len(mx)), make([]float64, 0, len(mx))
		for l, v := range mx {
			if v > 0 && !math.IsInf(v, 0) { // A layer of exactly-zero gradients has no place on a log axis.
				xs, ys = append(xs, float64(l+1)), append(ys, v)
			}
		}
		fig.Line(labels[i], xs, ys)
		fig.Points("", xs, ys, plots.Color(i))
	}
	show(fig, map[string]any{"plot": title, "max_abs_grad_by_layer": maxima})
}

// maxUnitCurves and unitGridStep keep a hidden-unit plot readable and its SVG small: ReLU pieces are straight
// lines, so every fourth grid point draws them as well as all of them.
const (
	maxUnitCurves = 40
	unitGridStep  = 4
)

// unitContributions returns, for the units that are not zero everywhere, each unit's activation times its
// output weight on every unitGridStep-th grid point: the largest maxUnitCurves of them, by peak size, and
// the number of active units.
func unitContributions(grid []float64, acts [][]float32, outWeights []float32) (xs []float64, curves [][]float64, active int) {
	for i := 0; i < len(grid); i += unitGridStep {
		xs = append(xs, grid[i])
	}
	type unit struct {
		curve []float64
		peak  float64
	}
	var units []unit
	for j, w := range outWeights {
		u := unit{curve: make([]float64, 0, len(xs))}
		for i := 0; i < len(grid); i += unitGridStep {
			v := float64(acts[i][j] * w)
			u.curve = append(u.curve, v)
			u.peak = math.Max(u.peak, math.Abs(v))
		}
		if u.peak > 0 { // Units that are zero everywhere add nothing to see.
			units = append(units, u)
		}
	}
	sort.Slice(units, func(a, b int) bool { return units[a].peak > units[b].peak })
	for _, u := range units[:min(len(units), maxUnitCurves)] {
		curves = append(curves, u.curve)
	}
	return xs, curves, len(units)
}

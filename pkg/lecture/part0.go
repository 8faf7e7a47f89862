package lecture

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/golecture/regularization/pkg/data"
	"github.com/golecture/regularization/pkg/mlp"
	"github.com/golecture/regularization/pkg/plots"
)

// Part 0 of the lecture: regularization. The data, a big network that overfits, three remedies (a smaller
// model, early stopping, an ensemble) and dropout.

// DescribeData prints the sizes of the data set, its noise level, and the two reference scores: the noise
// floor (the true function's own validation MSE) and a constant prediction's (the targets' variance).
func DescribeData() {
	ds := Data()
	say("%d training points, %d validation points, inputs uniform on [%g, %g], noise sd %g\n"+
		"MSE of the true function itself on the validation set (the noise floor): %.4f\n"+
		"MSE of predicting a constant (the validation targets' variance): %.4f\n",
		len(ds.TrainX), len(ds.ValX), ds.Spec.Lo, ds.Spec.Hi, ds.Spec.NoiseSD, noiseFloor(ds.ValX, ds.ValY),
		data.Variance(ds.ValY))
}

// valPointsShown is how many validation points a data plot draws: enough to see the noise, few enough to
// keep the SVG small.
const valPointsShown = 600

// PlotData draws the true function, the training points and a sample of the validation points.
func PlotData() {
	ds := Data()
	n := min(valPointsShown, len(ds.ValX))
	fig := plots.New("The data: 50 training points, 10,000 validation points").XLabel("x").YLabel("y")
	fig.Points(fmt.Sprintf("validation set (%d of %d shown)", n, len(ds.ValX)),
		data.Float64s(ds.ValX[:n]), data.Float64s(ds.ValY[:n]), plots.Faint)
	fig.Line("true function", ds.GridX, ds.GridY)
	fig.Points("training set", data.Float64s(ds.TrainX), data.Float64s(ds.TrainY))
	check("plot", 0, figure{id: "data", fig: fig, alt: "Scatter plot of the noisy training and validation " +
		"points around the true function, a smooth curve with a bump at x = 0."}.show())
}

// PlotFit draws a model's predictions over the true function and the training points, as the lecture's
// plot_layers did.
func PlotFit(m *mlp.Model) { check("plot", 0, plotFit(m)) }

func plotFit(m *mlp.Model) error {
	f, err := fitFigure(m)
	if err != nil {
		return err
	}
	return f.show()
}

// fitFigure is PlotFit's figure.
func fitFigure(m *mlp.Model) (figure, error) {
	if err := usable(m); err != nil {
		return figure{}, err
	}
	ds := Data()
	pred, err := predict(m, ds.GridX32())
	if err != nil {
		return figure{}, err
	}
	title := describe(m)
	fig := plots.New(title).XLabel("x").YLabel("y")
	fig.Line("true function", ds.GridX, ds.GridY)
	fig.Points("training set", data.Float64s(ds.TrainX), data.Float64s(ds.TrainY))
	fig.Line("model", ds.GridX, data.Float64s(pred), plots.Bold)
	return figure{id: "fit " + Label(m), fig: fig, alt: "The predictions of the model " + title +
		" drawn over the true function and the 50 training points."}, nil
}

// Evaluate scores m on the lecture's training and validation sets and prints both, as Keras' evaluate does.
func Evaluate(m *mlp.Model) Scores {
	s, err := scores(m)
	if err != nil {
		report("evaluate", err)
		return Scores{}
	}
	say("training MSE %.5f   validation MSE %.5f\n", s.Train, s.Val)
	return s
}

// PlotUnits draws, on their own scale (they are small next to the data), what each unit of the last hidden
// layer adds to the output: its activation times its output weight. The model's curve is their sum plus the
// output bias.
func PlotUnits(m *mlp.Model) { check("plot units", 0, plotUnits(m)) }

func plotUnits(m *mlp.Model) error {
	if err := usable(m); err != nil {
		return err
	}
	ds := Data()
	last := len(m.Weights) - 2
	acts, err := remember("hidden activations", func() ([][]float32, error) {
		return m.HiddenActivations(ds.GridX32(), last)
	}, fingerprint(m), digest(ds.GridX32()), last)
	if err != nil {
		return err
	}
	if len(acts) != len(ds.GridX) {
		return errors.New("a remembered result has the wrong size: run lecture.ClearCache() and this cell again")
	}
	xs, curves, active := unitContributions(ds.GridX, acts, m.Weights[last+1].Kernel)
	if len(curves) == 0 {
		return errors.New("no unit of the last hidden layer is active on the grid")
	}
	const strong = 6
	title := "What each unit of the last hidden layer adds: " + Label(m)
	fig := plots.New(title).XLabel("x").YLabel("unit activation × output weight")
	if len(curves) > strong {
		fig.Lines(fmt.Sprintf("the next %d units", len(curves)-strong), [][]float64{xs}, curves[strong:], plots.Faint)
	}
	fig.Lines(fmt.Sprintf("the %d largest of %d active units", min(strong, len(curves)), active),
		[][]float64{xs}, curves[:min(strong, len(curves))])
	return figure{id: "units", fig: fig, data: map[string]any{"active_units": active},
		alt: fmt.Sprintf("Piecewise-linear contributions of the %d active units of the last hidden layer of %s.",
			active, Label(m))}.show()
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

// PlotHistory draws the training and validation loss by epoch of a model fitted WithHistory, on log axes
// (so the first hundred epochs get room), with the lowest validation loss, the lecture's stopping epoch and
// the noise floor marked.
func PlotHistory(m *mlp.Model) { check("plot history", 0, plotHistory(m)) }

func plotHistory(m *mlp.Model) error {
	if err := usable(m); err != nil {
		return err
	}
	h := m.History
	if h == nil || len(h.Loss) == 0 {
		return errors.New("this model was fitted without history: add .WithHistory() to its spec")
	}
	epochs := make([]float64, len(h.Loss))
	for i := range epochs {
		epochs[i] = float64(i + 1)
	}
	ds := Data()
	title := "Training and validation loss: " + Label(m)
	fig := plots.New(title).XLabel("epoch (log scale)").YLabel("mean squared error (log scale)").LogX().LogY()
	fig.Line("training loss", epochs, h.Loss)
	fig.Line("validation loss", epochs, h.ValLoss)
	floor := noiseFloor(ds.ValX, ds.ValY)
	fig.Line(fmt.Sprintf("noise floor: the true function's validation MSE (%.4f)", floor),
		[]float64{1, float64(len(epochs))}, []float64{floor, floor}, plots.Faint, plots.Color(6))
	best := argmin(h.ValLoss)
	fig.Points(fmt.Sprintf("lowest validation loss: epoch %d", best+1), []float64{epochs[best]}, []float64{h.ValLoss[best]})
	if stop := EarlyStop - 1; stop < len(epochs) {
		fig.Points(fmt.Sprintf("the lecture's early stop: epoch %d", EarlyStop),
			[]float64{epochs[stop]}, []float64{h.ValLoss[stop]}, plots.Bold)
	}
	return figure{id: "history", fig: fig, data: map[string]any{"best_epoch": best + 1, "early_stop": EarlyStop},
		alt: fmt.Sprintf("Training loss falling steadily over %d epochs; validation loss lowest at epoch %d.",
			len(epochs), best+1)}.show()
}

// Approaches are the models of the lecture's comparison of its three remedies.
type Approaches struct {
	Big      *mlp.Model   // The big model, trained to the end.
	Smaller  *mlp.Model   // The smaller model, trained to the end.
	Ensemble []*mlp.Model // Members trained briefly: their mean score is the early-stopping row.
}

// ApproachTable scores the four approaches of the lecture's comparison: the big model, the smaller model,
// early stopping (the mean score of the ensemble's members, each trained briefly, as the lecture computed
// that row) and the ensemble; beside the lecture's figures.
func ApproachTable(a Approaches) []Row {
	v, err := approachTable(a)
	return check("approach table", v, err)
}

func approachTable(a Approaches) ([]Row, error) {
	rows, err := modelRows([]*mlp.Model{a.Big, a.Smaller})
	if err != nil {
		return nil, err
	}
	ens, err := ensembleOf(a.Ensemble)
	if err != nil {
		return nil, err
	}
	member := Label(a.Ensemble[0])
	rows[0].Lecture, rows[1].Lecture = "model_somany", "model_256"
	rows = append(rows,
		Row{fmt.Sprintf("%s (mean of %d)", member, len(a.Ensemble)), ens.membersMean, "model_256_less_train"},
		Row{fmt.Sprintf("ensemble: average of %d x %s", len(a.Ensemble), member), ens.average, "ensemble"})
	scoreTable("approaches", "Training and validation MSE of the four approaches", rows).show()
	return rows, nil
}

// PlotEnsemble draws every member's predictions in grey, their average in bold, the true function and the
// training points.
func PlotEnsemble(members []*mlp.Model) { check("plot ensemble", 0, plotEnsemble(members)) }

func plotEnsemble(members []*mlp.Model) error {
	if err := usableAll(members); err != nil {
		return err
	}
	ds := Data()
	each, mean, err := mlp.AveragePredictionsWith(members, ds.GridX32(), predict)
	if err != nil {
		return err
	}
	curves := make([][]float64, len(each))
	for i, p := range each {
		curves[i] = data.Float64s(p)
	}
	title := fmt.Sprintf("%d models of %s and their average", len(members), Label(members[0]))
	fig := plots.New(title).XLabel("x").YLabel("y")
	fig.Lines(fmt.Sprintf("individual models (%d)", len(members)), [][]float64{ds.GridX}, curves, plots.Faint)
	fig.Line("true function", ds.GridX, ds.GridY)
	fig.Points("training set", data.Float64s(ds.TrainX), data.Float64s(ds.TrainY))
	fig.Line("ensemble (average)", ds.GridX, data.Float64s(mean), plots.Bold)
	return figure{id: "ensemble", fig: fig, alt: "The " + title + ", over the true function and the training points."}.show()
}

// Summary prints m's Keras-style summary.
func Summary(m *mlp.Model) {
	if err := usable(m); err != nil {
		report("summary", err)
		return
	}
	say("%s", m.Summary())
}

// DropoutMasks prints three Bernoulli samples like the lecture's: a 4x1 column and two 4x4 matrices, each
// entry 1 with probability rate (a dropped unit), drawn from seed.
func DropoutMasks(rate float64, seed uint64) {
	var sb strings.Builder
	for i, shape := range [][2]int{{4, 1}, {4, 4}, {4, 4}} {
		mask, err := mlp.BernoulliMask(seed+uint64(i), rate, shape[0], shape[1])
		if err != nil {
			report("dropout mask", err)
			return
		}
		fmt.Fprintf(&sb, "sample %d: %v\n", i+1, mask)
	}
	say("%s", sb.String())
}

// expectationDraws is how many training passes DropoutExpectation averages: enough for a standard error
// near 0.0003 at the inputs it shows.
const expectationDraws = 20000

// DropoutExpectation shows that both dropout conventions keep a unit's expected contribution the same in
// training and prediction: for a one-hidden-layer network, it averages many training passes (fresh masks
// each) and compares them with the prediction, at a few inputs.
func DropoutExpectation(rate float64) { check("dropout", 0, dropoutExpectation(rate)) }

func dropoutExpectation(rate float64) error {
	xs := []float32{-1.5, -0.5, 0.5, 1.5}
	t := &Table{ID: "dropout expectation", Title: fmt.Sprintf("One hidden layer of 512 units, dropout rate %.2f "+
		"(keep probability %.2f)", rate, 1-rate), Columns: []string{"convention", "x", fmt.Sprintf("mean of %d "+
		"training passes", expectationDraws), "standard error", "prediction", "difference (standard errors)"}}
	var data []ScalingCheck
	for i, mode := range []mlp.DropoutMode{mlp.Inverted, mlp.ScaleAtPredict} {
		spec := mlp.Sequential(mlp.Dense(512, mlp.ReLU), mlp.Dropout(rate), mlp.Dense(1, mlp.Linear)).Masks(mode, 1)
		m, err := mlp.Initial(spec)
		if err != nil {
			return err
		}
		pred, err := predict(m, xs)
		if err != nil {
			return err
		}
		mean, se, err := meanTrainingOutput(m, xs, expectationDraws, int64(7+i)) // Each convention its own masks.
		if err != nil {
			return err
		}
		for j, x := range xs {
			c := ScalingCheck{X: float64(x), Prediction: float64(pred[j]), Mean: mean[j], StdErr: se[j]}
			data = append(data, c)
			t.Rows = append(t.Rows, []string{mode.String(), fmt.Sprintf("%+.1f", x), fmt.Sprintf("%+.5f", c.Mean),
				fmt.Sprintf("%.5f", c.StdErr), fmt.Sprintf("%+.5f", c.Prediction), fmt.Sprintf("%+.1f", c.z())})
		}
	}
	t.Data = data
	t.show()
	return nil
}

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

// Scores are a model's mean squared errors on the training and validation sets.
type Scores struct {
	Train, Val float64
}

func (s Scores) valid() bool {
	return s.Train >= 0 && s.Val >= 0 && !math.IsInf(s.Train, 0) && !math.IsInf(s.Val, 0)
}

// lectureModel is one of the lecture's models, with the scores it reported for its own data. Our data are a
// reconstruction, so only the pattern should match, not the digits.
type lectureModel struct {
	Name   string
	Scores Scores
	spec   func() *mlp.Spec // The same kind of model, seeds aside; nil when a row is not one model.
}

var lectureModels = []lectureModel{
	{"model_somany", Scores{0.00626838, 0.0313612}, func() *mlp.Spec { return mlp.Stack(512, 512, 512, 512, 512) }},
	{"model_256", Scores{0.00697594, 0.0302323}, func() *mlp.Spec { return mlp.Stack(256, 256, 256, 256, 256) }},
	{"model_256_less_train", Scores{0.0113222, 0.0279638}, nil},
	{"ensemble", Scores{0.0105538, 0.0270576}, nil},
	{"dropout_model (rate 0.2)", Scores{0.0103586, 0.0354970}, func() *mlp.Spec { return lectureDropout(0.2) }},
	{"dropout_model (rate 0.05)", Scores{0.0082772, 0.0327324}, func() *mlp.Spec { return lectureDropout(0.05) }},
}

// lectureDropout is the shape of the lecture's dropout network: 5 x 1024 with dropout after the first four.
func lectureDropout(rate float64) *mlp.Spec {
	var layers []mlp.Layer
	for i := range 5 {
		layers = append(layers, mlp.Dense(1024, mlp.ReLU))
		if i < 4 {
			layers = append(layers, mlp.Dropout(rate))
		}
	}
	return mlp.Sequential(append(layers, mlp.Dense(1, mlp.Linear))...)
}

// lectureMatch returns the lecture's model of the same kind as spec (same layers and training length,
// whatever the seeds), if there is one.
func lectureMatch(spec *mlp.Spec) (lectureModel, bool) {
	shape := func(s *mlp.Spec) string {
		c := s.Clone()
		for i, l := range c.Layers {
			c.Layers[i] = l.Seeded(0, 0)
		}
		c.SeedFrom, c.DropoutSeed = 0, 0
		return c.Key()
	}
	for _, lm := range lectureModels {
		if lm.spec != nil && shape(lm.spec()) == shape(spec) {
			return lm, true
		}
	}
	return lectureModel{}, false
}

func lectureScores(name string) (Scores, bool) {
	for _, lm := range lectureModels {
		if lm.Name == name {
			return lm.Scores, true
		}
	}
	return Scores{}, false
}

// Label names a model in tables: its architecture, what differs from the lecture's defaults (activation,
// initial scale), and its training.
func Label(m *mlp.Model) string {
	if m == nil || m.Spec == nil || len(m.Spec.DenseLayers()) == 0 {
		return "(missing model)"
	}
	parts := []string{m.Spec.Architecture()}
	if a := m.Spec.DenseLayers()[0].Activation; a != mlp.ReLU {
		parts = append(parts, string(a))
	}
	if m.Spec.InitSD != 0.05 {
		parts = append(parts, fmt.Sprintf("initial sd %g", m.Spec.InitSD))
	}
	if m.Trained == 0 {
		parts = append(parts, "untrained")
	} else {
		parts = append(parts, fmt.Sprintf("%d epochs", m.Trained))
	}
	return strings.Join(parts, ", ")
}

// describe titles a figure of a model: "5 hidden layers of 256 units, 1000 epochs" and the like.
func describe(m *mlp.Model) string {
	hidden := m.Spec.Hidden()
	arch := m.Spec.Architecture()
	if len(hidden) > 0 && arch == fmt.Sprintf("%dx%d", len(hidden), hidden[0]) {
		arch = fmt.Sprintf("%d hidden layers of %d units", len(hidden), hidden[0])
		if len(hidden) == 1 {
			arch = fmt.Sprintf("1 hidden layer of %d units", hidden[0])
		}
	}
	var extra []string
	if a := m.Spec.DenseLayers()[0].Activation; a != mlp.ReLU {
		extra = append(extra, string(a))
	}
	if m.Spec.InitSD != 0.05 {
		extra = append(extra, fmt.Sprintf("initial sd %g", m.Spec.InitSD))
	}
	if m.Trained == 0 {
		extra = append(extra, "untrained")
	} else {
		extra = append(extra, fmt.Sprintf("%d epochs", m.Trained))
	}
	return arch + ", " + strings.Join(extra, ", ")
}

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

// noiseFloor is the MSE of the true function itself on (xs, ys): what no model beats on average.
func noiseFloor(xs, ys []float32) float64 {
	var s float64
	for i, x := range xs {
		d := float64(ys[i]) - data.TrueFunction(float64(x))
		s += d * d
	}
	return s / float64(len(xs))
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
	if err := usable(m); err != nil {
		return err
	}
	ds := Data()
	pred, err := predict(m, ds.GridX32())
	if err != nil {
		return err
	}
	title := describe(m)
	fig := plots.New(title).XLabel("x").YLabel("y")
	fig.Line("true function", ds.GridX, ds.GridY)
	fig.Points("training set", data.Float64s(ds.TrainX), data.Float64s(ds.TrainY))
	fig.Line("model", ds.GridX, data.Float64s(pred), plots.Bold)
	return figure{id: "fit " + Label(m), fig: fig, alt: "The predictions of the model " + title +
		" drawn over the true function and the 50 training points."}.show()
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

func scores(m *mlp.Model) (Scores, error) {
	if err := usable(m); err != nil {
		return Scores{}, err
	}
	ds := Data()
	compute := func() (Scores, error) {
		tr, err := m.Evaluate(ds.TrainX, ds.TrainY)
		if err != nil {
			return Scores{}, err
		}
		va, err := m.Evaluate(ds.ValX, ds.ValY)
		return Scores{Train: tr, Val: va}, err
	}
	s, err := remember("scores", compute, fingerprint(m), dataDigest())
	if err == nil && !s.valid() { // A damaged entry: compute, and trust only that.
		return compute()
	}
	return s, err
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

// EarlyStop is the epoch at which the lecture stops its early-stopped model.
const EarlyStop = 100

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

func argmin(xs []float64) int {
	best := 0
	for i, x := range xs {
		if x < xs[best] {
			best = i
		}
	}
	return best
}

// Row is one line of a score table: our scores next to those the lecture reported for its model of the
// same kind (Lecture is empty when there is none).
type Row struct {
	Name    string
	Ours    Scores
	Lecture string
}

// scoreTable builds the table of rows, with the lecture's columns, the lowest of our columns in bold.
func scoreTable(id, title string, rows []Row) *Table {
	t := &Table{ID: id, Title: title, Data: rows,
		Columns: []string{"", "train MSE", "validation MSE", "the lecture's model", "its train MSE", "its validation MSE"},
		Note:    "Bold: the lowest of each column here. The lecture's figures are for its own data; compare the pattern, not the digits."}
	var values [][]float64
	for _, r := range rows {
		rep, ok := lectureScores(r.Lecture)
		lt, lv := "—", "—"
		if ok {
			lt, lv = f5(rep.Train), f5(rep.Val)
		}
		t.Rows = append(t.Rows, []string{r.Name, f5(r.Ours.Train), f5(r.Ours.Val), r.Lecture, lt, lv})
		values = append(values, []float64{0, r.Ours.Train, r.Ours.Val})
	}
	t.boldLowest(values, 1, 2)
	return t
}

// ScoreTable scores each model and shows a table, one row per model, labelled with its architecture and
// training, beside the lecture's figures for its model of the same kind where there is one.
func ScoreTable(title string, models ...*mlp.Model) []Row {
	rows, err := modelRows(models)
	if err != nil {
		report("score table", err)
		return nil
	}
	scoreTable("scores: "+title, title, rows).show()
	return rows
}

func modelRows(models []*mlp.Model) ([]Row, error) {
	if err := usableAll(models); err != nil {
		return nil, err
	}
	var rows []Row
	for _, m := range models {
		s, err := scores(m)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", Label(m), err)
		}
		lm, _ := lectureMatch(m.Spec)
		if m.Trained != 1000 {
			lm.Name = ""
		}
		rows = append(rows, Row{Name: Label(m), Ours: s, Lecture: lm.Name})
	}
	return rows, nil
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

// ensemble is what the ensemble cells compute of a list of members.
type ensemble struct {
	each        [][]float32 // Each member's predictions on the validation set.
	mean        []float32   // Their average.
	average     Scores      // The average's scores.
	membersMean Scores      // The members' mean scores.
	membersVal  []float64   // Each member's validation MSE.
}

func ensembleOf(members []*mlp.Model) (*ensemble, error) {
	if err := usableAll(members); err != nil {
		return nil, err
	}
	ds := Data()
	e := &ensemble{}
	for _, m := range members {
		s, err := scores(m)
		if err != nil {
			return nil, err
		}
		e.membersMean.Train += s.Train / float64(len(members))
		e.membersMean.Val += s.Val / float64(len(members))
		e.membersVal = append(e.membersVal, s.Val)
	}
	_, train, err := mlp.AveragePredictionsWith(members, ds.TrainX, predict)
	if err != nil {
		return nil, err
	}
	if e.each, e.mean, err = mlp.AveragePredictionsWith(members, ds.ValX, predict); err != nil {
		return nil, err
	}
	e.average = Scores{Train: mlp.MSE(train, ds.TrainY), Val: mlp.MSE(e.mean, ds.ValY)}
	return e, nil
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

// ScalingCheck compares, at one input, a network's prediction with the mean of many training passes.
type ScalingCheck struct {
	X, Prediction, Mean, StdErr float64
}

func (c ScalingCheck) z() float64 { return (c.Mean - c.Prediction) / c.StdErr }

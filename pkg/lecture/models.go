package lecture

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/golecture/regularization/pkg/data"
	"github.com/golecture/regularization/pkg/mlp"
)

// What every part of the lecture computes from models: scores and their labels, score tables beside the
// lecture's figures, ensembles, gradients.

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
		set := s.Settings()
		for i, l := range set.Layers {
			set.Layers[i] = l.Seeded(0, 0)
		}
		set.SeedFrom, set.DropoutSeed, set.RecordHistory = 0, 0, false
		return fmt.Sprintf("%#v", set)
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
	return strings.Join(append([]string{m.Spec.Architecture()}, qualities(m)...), ", ")
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
	return strings.Join(append([]string{arch}, qualities(m)...), ", ")
}

// qualities are what a model's name adds to its architecture: an activation other than ReLU, an initial
// scale other than the lecture's, and its training.
func qualities(m *mlp.Model) []string {
	var out []string
	if a := m.Spec.DenseLayers()[0].Activation; a != mlp.ReLU {
		out = append(out, string(a))
	}
	if sd := m.Spec.Settings().InitSD; sd != 0.05 {
		out = append(out, fmt.Sprintf("initial sd %g", sd))
	}
	if m.Trained == 0 {
		return append(out, "untrained")
	}
	return append(out, fmt.Sprintf("%d epochs", m.Trained))
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

// ScalingCheck compares, at one input, a network's prediction with the mean of many training passes.
type ScalingCheck struct {
	X, Prediction, Mean, StdErr float64
}

func (c ScalingCheck) z() float64 { return (c.Mean - c.Prediction) / c.StdErr }

func gradients(m *mlp.Model) (*mlp.LayerGradients, error) {
	if err := usable(m); err != nil {
		return nil, err
	}
	ds := Data()
	g, err := remember("gradients", func() (*mlp.LayerGradients, error) {
		return m.Gradients(ds.TrainX, ds.TrainY)
	}, fingerprint(m), dataDigest())
	if err != nil {
		return nil, err
	}
	if len(g.Kernels) != len(m.Weights) {
		return nil, errors.New("a remembered result has the wrong size: run lecture.ClearCache() and this cell again")
	}
	for _, k := range g.Kernels {
		if !(k.MaxAbs() < math.Inf(1)) {
			return nil, fmt.Errorf("the gradient of %s is not finite: the model's loss overflows at these weights", k.Name)
		}
	}
	return g, nil
}

// stuck is the rule for a fit that did not train: a validation MSE above half a constant prediction's.
func stuck(s Scores) bool { return s.Val > 0.5*data.Variance(Data().ValY) }

// EarlyStop is the epoch at which the lecture stops its early-stopped model.
const EarlyStop = 100

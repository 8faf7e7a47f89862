package lecture

import (
	"fmt"
	"html"
	"slices"
	"strings"

	"github.com/golecture/regularization/pkg/data"
	"github.com/golecture/regularization/pkg/mlp"
)

// Scores are a model's mean squared errors on the training and validation sets.
type Scores struct {
	Train, Val float64
}

// Reported are the training and validation MSEs the lecture printed for its own models and data, by the
// lecture's names. Our data are a reconstruction, so only the pattern should match, not the digits.
var Reported = map[string]Scores{
	"model_somany":              {Train: 0.00626838, Val: 0.0313612},
	"model_256":                 {Train: 0.00697594, Val: 0.0302323},
	"model_256_less_train":      {Train: 0.0113222, Val: 0.0279638},
	"ensemble":                  {Train: 0.0105538, Val: 0.0270576},
	"dropout_model (rate 0.2)":  {Train: 0.0103586, Val: 0.0354970},
	"dropout_model (rate 0.05)": {Train: 0.0082772, Val: 0.0327324},
}

// lectureName names the lecture's model with spec's architecture and training length, if there is one.
func lectureName(spec *mlp.Spec) string {
	switch arch := spec.Architecture(); {
	case arch == "5x512" && spec.NumEpochs == 1000:
		return "model_somany"
	case arch == "5x256" && spec.NumEpochs == 1000:
		return "model_256"
	case arch == "5x1024, dropout 0.2 x4" && spec.NumEpochs == 1000:
		return "dropout_model (rate 0.2)"
	case arch == "5x1024, dropout 0.05 x4" && spec.NumEpochs == 1000:
		return "dropout_model (rate 0.05)"
	}
	return ""
}

// Label names a model in tables: its architecture and training length.
func Label(m *mlp.Model) string {
	if m == nil || m.Spec == nil {
		return "(missing model)"
	}
	return fmt.Sprintf("%s, %d epochs", m.Spec.Architecture(), m.Spec.NumEpochs)
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

var errNoModel = fmt.Errorf("the model is missing (nil): run the cell that fits it first, and fix the error it printed")

func scores(m *mlp.Model) (Scores, error) {
	ds := Data()
	if ds == nil {
		return Scores{}, fmt.Errorf("no data")
	}
	if m == nil {
		return Scores{}, errNoModel
	}
	return remember("scores", func() (Scores, error) {
		tr, err := m.Evaluate(ds.TrainX, ds.TrainY)
		if err != nil {
			return Scores{}, err
		}
		va, err := m.Evaluate(ds.ValX, ds.ValY)
		if err != nil {
			return Scores{}, err
		}
		return Scores{Train: tr, Val: va}, nil
	}, fingerprint(m), dataDigest())
}

// ensembleScores scores the average prediction of members, and returns the members' mean scores too.
func ensembleScores(members []*mlp.Model) (ensemble, meanOfMembers Scores, err error) {
	ds := Data()
	if ds == nil {
		return Scores{}, Scores{}, fmt.Errorf("no data")
	}
	if len(members) == 0 {
		return Scores{}, Scores{}, fmt.Errorf("no members: run the cell that fits the ensemble first")
	}
	for i, m := range members {
		s, err := scores(m)
		if err != nil {
			return Scores{}, Scores{}, fmt.Errorf("member %d of %d: %w", i+1, len(members), err)
		}
		meanOfMembers.Train += s.Train / float64(len(members))
		meanOfMembers.Val += s.Val / float64(len(members))
	}
	_, avgTrain, err := averagePredictions(members, ds.TrainX)
	if err != nil {
		return Scores{}, Scores{}, err
	}
	_, avgVal, err := averagePredictions(members, ds.ValX)
	if err != nil {
		return Scores{}, Scores{}, err
	}
	return Scores{Train: mlp.MSE(avgTrain, ds.TrainY), Val: mlp.MSE(avgVal, ds.ValY)}, meanOfMembers, nil
}

// EnsembleScores scores the average prediction of members, and returns the members' mean scores too. A
// missing member is reported, and both scores are zero.
func EnsembleScores(members []*mlp.Model) (ensemble, meanOfMembers Scores) {
	e, m, err := ensembleScores(members)
	if err != nil {
		report("ensemble scores", err)
	}
	return e, m
}

// Row is one line of a comparison table: our scores next to the ones the lecture reported for its model of
// the same kind (Lecture is empty when there is none).
type Row struct {
	Name    string
	Ours    Scores
	Lecture string // Key of Reported, or "".
}

// table shows rows as an HTML table in a notebook and as text elsewhere.
func table(title string, rows []Row) {
	var text strings.Builder
	fmt.Fprintf(&text, "%s\n%-36s %10s %10s %14s %14s\n", title, "", "train MSE", "val MSE", "lecture train", "lecture val")
	for _, r := range rows {
		rep, ok := Reported[r.Lecture]
		fmt.Fprintf(&text, "%-36s %10.5f %10.5f %14s %14s\n", r.Name, r.Ours.Train, r.Ours.Val,
			reported(rep.Train, ok), reported(rep.Val, ok))
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, `<table style="font-size:1.05em"><caption style="font-weight:bold">%s</caption>`, html.EscapeString(title))
	sb.WriteString(`<tr><th></th><th>train MSE</th><th>validation MSE</th><th>the lecture's model</th>` +
		`<th>its train MSE</th><th>its validation MSE</th></tr>`)
	bestTrain, bestVal := 0, 0
	for i, r := range rows {
		if r.Ours.Train < rows[bestTrain].Ours.Train {
			bestTrain = i
		}
		if r.Ours.Val < rows[bestVal].Ours.Val {
			bestVal = i
		}
	}
	cell := func(v float64, best bool) string {
		if best && len(rows) > 1 {
			return fmt.Sprintf("<td><b>%.5f</b></td>", v)
		}
		return fmt.Sprintf("<td>%.5f</td>", v)
	}
	for i, r := range rows {
		rep, ok := Reported[r.Lecture]
		fmt.Fprintf(&sb, "<tr><td style=\"text-align:left\">%s</td>%s%s<td>%s</td><td>%s</td><td>%s</td></tr>",
			html.EscapeString(r.Name), cell(r.Ours.Train, i == bestTrain), cell(r.Ours.Val, i == bestVal),
			html.EscapeString(r.Lecture), reported(rep.Train, ok), reported(rep.Val, ok))
	}
	sb.WriteString(`</table><p style="font-size:0.9em">Bold: the lowest of each column in this run. The lecture's ` +
		`figures are for its own data; compare the pattern, not the digits.</p>`)
	display(sb.String(), text.String(), map[string]any{"table": title, "rows": rows})
}

func reported(v float64, ok bool) string {
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%.5f", v)
}

// ApproachTable scores the four approaches of the lecture's comparison: the big model, the smaller model
// trained to the end, the early-stopped smaller model (the mean score of the ensemble's members, each trained
// briefly, as the lecture computed that row) and the ensemble; and shows them beside the lecture's figures.
func ApproachTable(big, small *mlp.Model, members []*mlp.Model) []Row {
	bigS, err1 := scores(big)
	smallS, err2 := scores(small)
	ens, membersMean, err3 := ensembleScores(members)
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			report("approach table", err)
			return nil
		}
	}
	memberLabel := Label(members[0])
	rows := []Row{
		{Label(big), bigS, "model_somany"},
		{Label(small), smallS, "model_256"},
		{fmt.Sprintf("%s (mean of %d)", memberLabel, len(members)), membersMean, "model_256_less_train"},
		{fmt.Sprintf("ensemble: average of %d x %s", len(members), memberLabel), ens, "ensemble"},
	}
	table("Training and validation MSE of the four approaches", rows)
	return rows
}

// ScoreTable scores each model and shows a table, one row per model, labelled with its architecture and
// training length, beside the lecture's figures for its model of the same kind where there is one. A missing
// model is reported and no table is shown.
func ScoreTable(title string, models ...*mlp.Model) []Row {
	if len(models) == 0 {
		report("score table", fmt.Errorf("no models given: pass the models to compare"))
		return nil
	}
	if i := slices.Index(models, nil); i >= 0 {
		report("score table", fmt.Errorf("model %d of %d: %w", i+1, len(models), errNoModel))
		return nil
	}
	rows := make([]Row, 0, len(models))
	for _, m := range models {
		s, err := scores(m)
		if err != nil {
			report("score table", fmt.Errorf("%s: %w", Label(m), err))
			return nil
		}
		rows = append(rows, Row{Name: Label(m), Ours: s, Lecture: lectureName(m.Spec)})
	}
	table(title, rows)
	return rows
}

// DescribeData prints the sizes of the data set, its noise level and the variance of its targets.
func DescribeData() {
	ds := Data()
	if ds == nil {
		return
	}
	say("%d training points, %d validation points, inputs uniform on [%g, %g], noise sd %g\n"+
		"MSE of the true function itself on the validation set (the noise floor): %.4f\n"+
		"MSE of predicting a constant (the validation targets' variance): %.4f\n",
		len(ds.TrainX), len(ds.ValX), ds.Spec.Lo, ds.Spec.Hi, ds.Spec.NoiseSD, noiseFloor(ds), data.Variance(ds.ValY))
}

func noiseFloor(ds *data.Dataset) float64 {
	var s float64
	for i, x := range ds.ValX {
		d := float64(ds.ValY[i]) - data.TrueFunction(float64(x))
		s += d * d
	}
	return s / float64(len(ds.ValX))
}

package lecture

import (
	"encoding/json"
	"fmt"
	"html"
	"os"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"

	"github.com/golecture/regularization/pkg/data"
	"github.com/golecture/regularization/pkg/fitcache"
	"github.com/golecture/regularization/pkg/mlp"
)

// ResultsEnv names an environment variable holding a file path: when set, the scoring functions append
// their figures to it as JSON lines, so the notebook tests can check what the lecture teaches.
const ResultsEnv = "LECTURE_RESULTS"

func record(key string, value any) {
	path := os.Getenv(ResultsEnv)
	if path == "" {
		return
	}
	line, err := json.Marshal(map[string]any{"key": key, "value": value})
	if err != nil {
		report("recording results", err)
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		report("recording results", err)
		return
	}
	defer f.Close()
	if _, err := f.Write(append(line, '\n')); err != nil {
		report("recording results", err)
	}
}

// Row is one line of a comparison table: our scores next to the ones the lecture reported (zero when it
// reported none).
type Row struct {
	Name            string
	Ours            Scores
	LectureReported Scores
}

// table shows rows as an HTML table in a notebook and as text elsewhere; it also records them.
func table(title string, rows []Row) {
	for _, r := range rows {
		record(r.Name, r.Ours)
	}
	if !gonbui.IsNotebook {
		fmt.Println(title)
		fmt.Printf("%-28s %10s %10s %14s %14s\n", "", "train MSE", "val MSE", "lecture train", "lecture val")
		for _, r := range rows {
			fmt.Printf("%-28s %10.5f %10.5f %14s %14s\n", r.Name, r.Ours.Train, r.Ours.Val,
				reported(r.LectureReported.Train), reported(r.LectureReported.Val))
		}
		return
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, `<table style="font-size:1.05em"><caption style="font-weight:bold">%s</caption>`, html.EscapeString(title))
	sb.WriteString(`<tr><th></th><th>train MSE</th><th>validation MSE</th><th>lecture's train MSE</th><th>lecture's validation MSE</th></tr>`)
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
		if best {
			return fmt.Sprintf("<td><b>%.5f</b></td>", v)
		}
		return fmt.Sprintf("<td>%.5f</td>", v)
	}
	for i, r := range rows {
		fmt.Fprintf(&sb, "<tr><td style=\"text-align:left\"><code>%s</code></td>%s%s<td>%s</td><td>%s</td></tr>",
			html.EscapeString(r.Name), cell(r.Ours.Train, i == bestTrain), cell(r.Ours.Val, i == bestVal),
			reported(r.LectureReported.Train), reported(r.LectureReported.Val))
	}
	sb.WriteString(`</table><p style="font-size:0.9em">Bold: the lowest of each column in this run.</p>`)
	gonbui.DisplayHTML(sb.String())
}

func reported(v float64) string {
	if v == 0 {
		return "—"
	}
	return fmt.Sprintf("%.5f", v)
}

// ApproachTable scores the four approaches of the lecture's comparison: the big model, the smaller model
// trained to the end, the early-stopped smaller model (the mean score of the ensemble's members, each trained
// briefly, as the lecture computed that row) and the ensemble; and shows them beside the lecture's figures.
func ApproachTable(big, small *mlp.Model, members []*mlp.Model) []Row {
	bigS, ok1 := scores(big)
	smallS, ok2 := scores(small)
	ens, membersMean := EnsembleScores(members)
	if !ok1 || !ok2 || len(members) == 0 {
		report("approach table", fmt.Errorf("a model is missing: run the cells that fit it first"))
		return nil
	}
	rows := []Row{
		{"model_somany (5x512)", bigS, Scores{0.00626838, 0.0313612}},
		{"model_256 (5x256)", smallS, Scores{0.00697594, 0.0302323}},
		{"model_256_less_train (mean)", membersMean, Scores{0.0113222, 0.0279638}},
		{"ensemble (average of 10)", ens, Scores{0.0105538, 0.0270576}},
	}
	table("Training and validation MSE of the four approaches", rows)
	return rows
}

// ScoreTable scores each named model and shows the table, with the lecture's figures where given.
func ScoreTable(title string, names []string, models []*mlp.Model, lectureReported []Scores) []Row {
	if len(names) != len(models) || (lectureReported != nil && len(lectureReported) != len(models)) {
		report("score table", fmt.Errorf("%d names, %d models, %d reported scores: give one of each per row",
			len(names), len(models), len(lectureReported)))
		return nil
	}
	var rows []Row
	for i, m := range models {
		s, ok := scores(m)
		if !ok {
			continue
		}
		r := Row{Name: names[i], Ours: s}
		if lectureReported != nil {
			r.LectureReported = lectureReported[i]
		}
		rows = append(rows, r)
	}
	table(title, rows)
	return rows
}

// Record stores a named figure for the notebook tests (see ResultsEnv); in a lecture it does nothing visible.
func Record(key string, value any) { record(key, value) }

// DropoutExpectation shows that both dropout conventions keep a unit's expected contribution the same in
// training and prediction: for a one-hidden-layer network, it averages many training passes (fresh masks
// each) and compares them with the prediction, at a few inputs.
func DropoutExpectation(rate float64) {
	xs := []float32{-1.5, -0.5, 0.5, 1.5}
	for _, mode := range []mlp.DropoutMode{mlp.Inverted, mlp.ScaleAtPredict} {
		m, err := mlp.New(512).Dropout(rate, mode, 1).Initial()
		if err != nil {
			report("dropout", err)
			return
		}
		pred, err := m.Predict(xs)
		if err != nil {
			report("dropout", err)
			return
		}
		mean, se, err := m.MeanTrainingOutput(xs, 2000, 7)
		if err != nil {
			report("dropout", err)
			return
		}
		fmt.Printf("%s dropout, rate %.2f (keep probability %.2f):\n", mode, rate, 1-rate)
		for i, x := range xs {
			fmt.Printf("  x = %+.1f   mean of 2000 training passes %+.5f ± %.5f   prediction %+.5f\n",
				x, mean[i], se[i], pred[i])
		}
	}
}

// SeedSweep fits a depth x width network with each seed (quietly, through the fit cache) and prints, per seed,
// the scores and the first layer's largest gradient, to show how much the outcome of a deep fit depends on
// its initialization.
func SeedSweep(depth, width int, seeds []uint64) {
	ds := Data()
	if ds == nil {
		return
	}
	fmt.Printf("%d hidden layers of %d units, %d epochs each; validation MSE of a constant prediction: %.4f\n",
		depth, width, mlp.DefaultEpochs, data.Variance(ds.ValY))
	fmt.Printf("%6s %10s %10s %22s  %s\n", "seed", "train MSE", "val MSE", "first layer max|grad|", "outcome")
	stuck := 0
	for _, s := range seeds {
		m, err := mlp.New(Widths(depth, width)...).Seeds(mlp.DrawSeeds(s, depth)).Quiet().Fit(ds)
		if err != nil {
			report("seed sweep", err)
			return
		}
		sc, ok := scores(m)
		g := Gradients(m)
		if !ok || g == nil {
			return
		}
		outcome := "trained"
		if sc.Val > 0.5*data.Variance(ds.ValY) {
			outcome = "stuck near a constant"
			stuck++
		}
		fmt.Printf("%6d %10.5f %10.5f %22.3e  %s\n", s, sc.Train, sc.Val, g.MaxAbsByLayer()[0], outcome)
	}
	fmt.Printf("%d of %d seeds stuck.\n", stuck, len(seeds))
	record(fmt.Sprintf("seed_sweep_%dx%d_stuck", depth, width), stuck)
}

// Widths returns n copies of width: the hidden layers of a uniform network.
func Widths(n, width int) []int {
	out := make([]int, max(n, 0))
	for i := range out {
		out[i] = width
	}
	return out
}

// CacheInfo prints where fits are cached and how many there are; ClearCache empties it.
func CacheInfo() {
	c := fitcache.Default()
	fmt.Printf("%s (%d fits)\n", c, c.Len())
}

// ClearCache deletes every cached fit, so the next cells train from scratch.
func ClearCache() {
	n, err := fitcache.Default().Clear()
	if err != nil {
		report("clearing the fit cache", err)
		return
	}
	fmt.Printf("removed %d cached fits\n", n)
}

package lecture

import (
	"errors"
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/golecture/regularization/pkg/data"
	"github.com/golecture/regularization/pkg/mlp"
	"github.com/golecture/regularization/pkg/plots"
	"github.com/golecture/regularization/pkg/progress"
)

// Beyond the lecture: measurements that answer the questions its cells raise (how much do ensemble members
// disagree and what does that buy, where would a stopping rule stop, which remedy wins, is the dropout
// scaling to blame, which rate is best, what initialization and activation do to the gradients, how often
// does a deep network train) and the training loop written out.

// Spread is what EnsembleSpread measures.
type Spread struct {
	MeanSD, MaxSD, MaxSDAt float64 // Members' standard deviation on the grid: average, largest, and where.
}

// EnsembleSpread shows how much the members disagree: each member minus the ensemble average, on the
// plotting grid, with the standard deviation across members.
func EnsembleSpread(members []*mlp.Model) *Spread {
	v, err := ensembleSpread(members)
	return check("ensemble spread", v, err)
}

func ensembleSpread(members []*mlp.Model) (*Spread, error) {
	if err := usableAll(members); err != nil {
		return nil, err
	}
	ds := Data()
	each, mean, err := mlp.AveragePredictionsWith(members, ds.GridX32(), predict)
	if err != nil {
		return nil, err
	}
	sp := &Spread{}
	diffs := make([][]float64, len(each))
	sd := make([]float64, len(mean))
	n1 := float64(max(len(each)-1, 1)) // Sample standard deviation.
	for i, p := range each {
		diffs[i] = make([]float64, len(p))
		for j, v := range p {
			d := float64(v) - float64(mean[j])
			diffs[i][j] = d
			sd[j] += d * d / n1
		}
	}
	minus := make([]float64, len(sd))
	for j := range sd {
		sd[j] = math.Sqrt(sd[j])
		minus[j] = -sd[j]
		sp.MeanSD += sd[j] / float64(len(sd))
		if sd[j] > sp.MaxSD {
			sp.MaxSD, sp.MaxSDAt = sd[j], ds.GridX[j]
		}
	}
	title := fmt.Sprintf("How the %d members differ from their average", len(members))
	fig := plots.New(title).XLabel("x").YLabel("member − average")
	fig.Lines(fmt.Sprintf("each of the %d members minus their average", len(members)), [][]float64{ds.GridX}, diffs, plots.Faint)
	fig.Line("± one standard deviation across members", ds.GridX, sd, plots.Bold, plots.Color(1))
	fig.Line("", ds.GridX, minus, plots.Bold, plots.Color(1))
	fig.Points("training inputs", data.Float64s(ds.TrainX), make([]float64, len(ds.TrainX)))
	return sp, figure{id: "spread", fig: fig, data: sp, alt: fmt.Sprintf("Each member's difference from the "+
		"ensemble average: standard deviation %.3f on average, largest (%.3f) at x = %.2f.", sp.MeanSD, sp.MaxSD,
		sp.MaxSDAt)}.show()
}

// Gain is what averaging buys on the validation set. For squared error the identity
// MembersMean = Average + Disagreement holds exactly, where Disagreement is the mean over members and
// points of (member − average)²: the average is never worse than the members' mean, and the gain is the
// members' disagreement.
type Gain struct {
	MembersMean, Average, Disagreement, BestMember float64
}

// EnsembleGain shows the members' mean validation MSE, the average's, their mean disagreement and the
// best single member: the identity behind averaging, with our numbers.
func EnsembleGain(members []*mlp.Model) *Gain {
	v, err := ensembleGain(members)
	return check("ensemble gain", v, err)
}

func ensembleGain(members []*mlp.Model) (*Gain, error) {
	e, err := ensembleOf(members)
	if err != nil {
		return nil, err
	}
	g := &Gain{MembersMean: e.membersMean.Val, Average: e.average.Val, BestMember: math.Inf(1)}
	for i, p := range e.each {
		for j, v := range p {
			d := float64(v) - float64(e.mean[j])
			g.Disagreement += d * d / float64(len(p)*len(e.each))
		}
		g.BestMember = math.Min(g.BestMember, e.membersVal[i])
	}
	t := &Table{ID: "ensemble gain", Title: fmt.Sprintf("Validation MSE of %d members and of their average",
		len(members)), Columns: []string{"", "validation MSE"}, Data: g, Rows: [][]string{
		{"the members' mean (a)", f5(g.MembersMean)},
		{"the average's (b)", f5(g.Average)},
		{"mean disagreement: (member − average)², averaged (c)", f5(g.Disagreement)},
		{"b + c", f5(g.Average + g.Disagreement)},
		{"the best single member", f5(g.BestMember)},
	}}
	t.show()
	return g, nil
}

// Patience is an early-stopping rule: stop when the validation loss has not improved for this many
// epochs, and keep the weights of the best epoch.
type Patience int

// StopRow is one line of EarlyStopping's table.
type StopRow struct {
	Rule      string
	Epochs    int
	Val, Test float64
	StoppedAt int // The epoch at which the rule stopped training (the rule's, or the fit's end).
}

// EarlyStopping applies the patience rule to the validation curve of m (fitted WithHistory): where it
// stops, which epoch's weights it keeps, and that model's validation MSE (on which the choice was made) and
// test MSE (on a fresh sample), beside the lecture's fixed 100 epochs and training to the end.
func EarlyStopping(m *mlp.Model, patience Patience) []StopRow {
	v, err := earlyStopping(m, patience)
	return check("early stopping", v, err)
}

func earlyStopping(m *mlp.Model, patience Patience) ([]StopRow, error) {
	if err := usable(m); err != nil {
		return nil, err
	}
	if m.History == nil || len(m.History.ValLoss) == 0 {
		return nil, errors.New("the rule reads the validation curve: fit the model with .WithHistory()")
	}
	if patience < 1 {
		return nil, fmt.Errorf("patience %d: need at least 1 epoch", patience)
	}
	vals := m.History.ValLoss
	best, stop := 0, len(vals)
	for i, v := range vals {
		if v < vals[best] {
			best = i
		}
		if i-best >= int(patience) {
			stop = i + 1
			break
		}
	}
	var rows []StopRow
	for _, r := range []struct {
		rule          string
		epochs, where int
	}{
		{"none: train to the end", m.Trained, m.Trained},
		{fmt.Sprintf("the lecture's: stop at epoch %d", EarlyStop), EarlyStop, EarlyStop},
		{fmt.Sprintf("patience %d, keep the best epoch's weights", patience), best + 1, stop},
	} {
		spec := m.Spec.Clone().Epochs(r.epochs).WithoutHistory()
		fit, err := fitQuietly(spec, fmt.Sprintf("fit %s, %d epochs", spec.Architecture(), r.epochs))
		if err != nil {
			return nil, err
		}
		s, err := scores(fit)
		if err != nil {
			return nil, err
		}
		test, err := testScore(fit)
		if err != nil {
			return nil, err
		}
		rows = append(rows, StopRow{Rule: r.rule, Epochs: r.epochs, Val: s.Val, Test: test, StoppedAt: r.where})
	}
	t := &Table{ID: "early stopping", Title: "Early stopping rules on " + Label(m), Data: rows,
		Columns: []string{"rule", "stops at epoch", "keeps the weights of epoch", "validation MSE", "test MSE (fresh sample)"}}
	var values [][]float64
	for _, r := range rows {
		t.Rows = append(t.Rows, []string{r.Rule, fmt.Sprint(r.StoppedAt), fmt.Sprint(r.Epochs), f5(r.Val), f5(r.Test)})
		values = append(values, []float64{0, 0, 0, r.Val, r.Test})
	}
	t.boldLowest(values, 3, 4)
	t.show()
	return rows, nil
}

// testScore is m's MSE on the fresh test sample, remembered.
func testScore(m *mlp.Model) (float64, error) {
	ts := TestSet()
	v, err := remember("test score", func() (float64, error) { return m.Evaluate(ts.ValX, ts.ValY) },
		fingerprint(m), digest(ts.ValX), digest(ts.ValY))
	if err == nil && !(v >= 0 && v < math.Inf(1)) {
		return m.Evaluate(ts.ValX, ts.ValY)
	}
	return v, err
}

// Remedies are the models of the lecture's remedies, to be compared side by side with dropout.
type Remedies struct {
	Big, Smaller, Stopped *mlp.Model                   // No remedy; a smaller model; the lecture's early stop.
	Ensemble              []*mlp.Model                 // The ensemble's members.
	Dropout               func(rate float64) *mlp.Spec // The dropout network, by rate...
	Rates                 []float64                    // ...at these rates; the one best on validation is kept.
}

// RemedyRow is one line of RemediesTable.
type RemedyRow struct {
	Remedy    string
	Val, Test float64
}

// RemediesTable puts every remedy side by side: validation MSE (on which the dropout rate was chosen) and
// test MSE (a fresh sample, on which nothing was chosen), with the noise floor under them.
func RemediesTable(r Remedies) []RemedyRow {
	v, err := remediesTable(r)
	return check("remedies", v, err)
}

func remediesTable(r Remedies) ([]RemedyRow, error) {
	if err := usableAll([]*mlp.Model{r.Big, r.Smaller, r.Stopped}); err != nil {
		return nil, err
	}
	if r.Dropout == nil || len(r.Rates) == 0 {
		return nil, errors.New("need the dropout network's builder and at least one rate")
	}
	var rows []RemedyRow
	add := func(name string, m *mlp.Model) error {
		s, err := scores(m)
		if err != nil {
			return err
		}
		test, err := testScore(m)
		rows = append(rows, RemedyRow{name, s.Val, test})
		return err
	}
	for _, x := range []struct {
		name string
		m    *mlp.Model
	}{{"none: " + Label(r.Big), r.Big}, {"a smaller model: " + Label(r.Smaller), r.Smaller},
		{"early stopping: " + Label(r.Stopped), r.Stopped}} {
		if err := add(x.name, x.m); err != nil {
			return nil, err
		}
	}
	e, err := ensembleOf(r.Ensemble)
	if err != nil {
		return nil, err
	}
	ts := TestSet()
	_, testMean, err := mlp.AveragePredictionsWith(r.Ensemble, ts.ValX, predict)
	if err != nil {
		return nil, err
	}
	rows = append(rows, RemedyRow{fmt.Sprintf("an ensemble of %d x %s", len(r.Ensemble), Label(r.Ensemble[0])),
		e.average.Val, mlp.MSE(testMean, ts.ValY)})
	var best *mlp.Model
	bestVal := math.Inf(1)
	for i, rate := range r.Rates {
		spec := r.Dropout(rate)
		if spec == nil {
			return nil, fmt.Errorf("the builder returned no spec for rate %g", rate)
		}
		m, err := fitQuietly(spec, fmt.Sprintf("rate %g (%d of %d): fit %s", rate, i+1, len(r.Rates), spec.Architecture()))
		if err != nil {
			return nil, err
		}
		if s, err := scores(m); err != nil {
			return nil, err
		} else if s.Val < bestVal {
			best, bestVal = m, s.Val
		}
	}
	if err := add("dropout, the rate best on validation: "+Label(best), best); err != nil {
		return nil, err
	}
	ds := Data()
	t := &Table{ID: "remedies", Title: "The remedies side by side", Data: rows,
		Columns: []string{"remedy", "validation MSE", "test MSE (fresh sample)"},
		Note: fmt.Sprintf("Noise floor (the true function's own MSE): validation %.5f, test %.5f. Bold: the lowest.",
			noiseFloor(ds.ValX, ds.ValY), noiseFloor(ts.ValX, ts.ValY))}
	var values [][]float64
	for _, row := range rows {
		t.Rows = append(t.Rows, []string{row.Remedy, f5(row.Val), f5(row.Test)})
		values = append(values, []float64{0, row.Val, row.Test})
	}
	t.boldLowest(values, 1, 2)
	t.show()
	return rows, nil
}

// checkPasses and checkPoints size DropoutCheck: the training passes averaged, and the validation points on
// which the average of the thinned networks is scored against the scaled prediction.
const (
	checkPasses = 1000
	checkPoints = 200
	checkSeed   = 99
)

// DropoutCheck answers, on a trained dropout model, whether prediction with scaled activations equals the
// average of many training passes (fresh dropout masks each): both at a few inputs, with the difference in
// standard errors, and the validation MSE of each on the first validation points.
func DropoutCheck(m *mlp.Model) []ScalingCheck {
	v, err := dropoutCheck(m)
	return check("dropout check", v, err)
}

func dropoutCheck(m *mlp.Model) ([]ScalingCheck, error) {
	if err := usable(m); err != nil {
		return nil, err
	}
	ds := Data()
	xs := []float32{-1.5, -1, -0.5, 0, 0.5, 1, 1.5}
	pred, err := predict(m, xs)
	if err != nil {
		return nil, err
	}
	mean, se, err := meanTrainingOutput(m, xs, checkPasses, checkSeed)
	if err != nil {
		return nil, err
	}
	var out []ScalingCheck
	t := &Table{ID: "dropout check", Title: fmt.Sprintf("Scaled prediction against the mean of %d training passes: %s",
		checkPasses, Label(m)), Columns: []string{"x", "prediction", "mean of passes", "standard error", "difference (standard errors)"}}
	for i, x := range xs {
		c := ScalingCheck{X: float64(x), Prediction: float64(pred[i]), Mean: mean[i], StdErr: se[i]}
		out = append(out, c)
		t.Rows = append(t.Rows, []string{fmt.Sprintf("%+.1f", x), f5(c.Prediction), f5(c.Mean), f5(c.StdErr), fmt.Sprintf("%+.1f", c.z())})
	}
	vx, vy := ds.ValX[:checkPoints], ds.ValY[:checkPoints]
	vp, err := predict(m, vx)
	if err != nil {
		return nil, err
	}
	vmean, vse, err := meanTrainingOutput(m, vx, checkPasses, checkSeed+1)
	if err != nil {
		return nil, err
	}
	avg, noise := 0.0, 0.0
	for i := range vx {
		d := vmean[i] - float64(vy[i])
		avg += d * d / float64(len(vx))
		noise += vse[i] * vse[i] / float64(len(vx)) // The finite average's own variance, removed below.
	}
	scaled := mlp.MSE(vp, vy)
	thinned := avg - noise
	t.Note = fmt.Sprintf("On the first %d validation points: scaled prediction MSE %.5f; average of the thinned "+
		"networks MSE %.5f (corrected for the %d-pass average's own noise, %.2g).", checkPoints, scaled, thinned,
		checkPasses, noise)
	t.Data = map[string]any{"rows": out, "val_mse_scaled": scaled, "val_mse_thinned": thinned, "points": checkPoints}
	t.show()
	return out, nil
}

// SweepRow is one rate of DropoutSweep.
type SweepRow struct {
	Rate float64
	Ours Scores
}

// DropoutSweep fits build(rate) for each rate (through the fit cache) and plots training and validation MSE
// against the rate.
func DropoutSweep(build func(rate float64) *mlp.Spec, rates []float64) []SweepRow {
	v, err := dropoutSweep(build, rates)
	return check("dropout sweep", v, err)
}

func dropoutSweep(build func(rate float64) *mlp.Spec, rates []float64) ([]SweepRow, error) {
	if build == nil || len(rates) == 0 {
		return nil, errors.New("need a network builder and at least one rate")
	}
	var rows []SweepRow
	var xs, tr, va []float64
	bar := progress.Counter("dropout sweep", "rate", len(rates))
	for i, r := range rates {
		spec := build(r)
		if spec == nil {
			return nil, fmt.Errorf("the builder returned no spec for rate %g", r)
		}
		s, err := fitScores(spec, fmt.Sprintf("rate %g (%d of %d): fit %s", r, i+1, len(rates), spec.Architecture()))
		if err != nil {
			return nil, err
		}
		rows = append(rows, SweepRow{Rate: r, Ours: s})
		xs, tr, va = append(xs, r), append(tr, s.Train), append(va, s.Val)
		bar.Update(i+1, 0)
	}
	bar.Done()
	fig := plots.New("Training and validation MSE against the dropout rate").XLabel("dropout rate").YLabel("mean squared error")
	fig.Line("training MSE", xs, tr).Points("", xs, tr, plots.Color(0))
	fig.Line("validation MSE", xs, va).Points("", xs, va, plots.Color(1))
	if err := (figure{id: "dropout sweep", fig: fig, data: rows, alt: "Training and validation MSE of the dropout " +
		"network at each dropout rate."}).show(); err != nil {
		return nil, err
	}
	t := &Table{ID: "dropout sweep table", Title: "The dropout network by rate", Data: rows,
		Columns: []string{"rate", "train MSE", "validation MSE"}, Note: "Bold: the lowest."}
	var values [][]float64
	for _, r := range rows {
		t.Rows = append(t.Rows, []string{fmt.Sprintf("%.2f", r.Rate), f5(r.Ours.Train), f5(r.Ours.Val)})
		values = append(values, []float64{0, r.Ours.Train, r.Ours.Val})
	}
	t.boldLowest(values, 1, 2)
	t.show()
	return rows, nil
}

// DepthCurve says which networks DepthShare fits: Seeds networks of Width units per layer at each depth.
type DepthCurve struct {
	Depths       []int
	Width, Seeds int
}

// DepthRow is one depth of DepthShare, with a 95% (Wilson) interval for the share that trained.
type DepthRow struct {
	Depth, Seeds, Trained int
	Low, High             float64
}

// DepthShare fits the networks of c with seeds 1..c.Seeds (through the fit cache) and plots the share that
// trained (validation MSE below half the targets' variance) against depth, with 95% intervals.
func DepthShare(c DepthCurve) []DepthRow {
	v, err := depthShare(c)
	return check("depth share", v, err)
}

func depthShare(c DepthCurve) ([]DepthRow, error) {
	if len(c.Depths) == 0 || c.Seeds < 1 || c.Seeds > 1000 {
		return nil, fmt.Errorf("%d depths, %d seeds: need at least one depth and 1 to 1000 seeds", len(c.Depths), c.Seeds)
	}
	var rows []DepthRow
	var xs, share []float64
	var bars [][]float64
	bar := progress.Counter("depth curve", "fit", len(c.Depths)*c.Seeds)
	for di, d := range c.Depths {
		if d < 1 || d > mlp.MaxDepth {
			return nil, fmt.Errorf("depth %d: need between 1 and %d", d, mlp.MaxDepth)
		}
		row := DepthRow{Depth: d, Seeds: c.Seeds}
		for s := 1; s <= c.Seeds; s++ {
			spec := mlp.Stack(Widths(d, c.Width)...).Seed(uint64(s))
			sc, err := fitScores(spec, fmt.Sprintf("depth %d, seed %d of %d: fit %s", d, s, c.Seeds, spec.Architecture()))
			if err != nil {
				return nil, err
			}
			if !stuck(sc) {
				row.Trained++
			}
			bar.Update(di*c.Seeds+s, 0)
		}
		row.Low, row.High = wilson(row.Trained, row.Seeds)
		rows = append(rows, row)
		xs, share = append(xs, float64(d)), append(share, float64(row.Trained)/float64(c.Seeds))
		bars = append(bars, []float64{row.Low, row.High})
	}
	bar.Done()
	title := fmt.Sprintf("Share of %d seeds that train, by depth (%d units per layer)", c.Seeds, c.Width)
	fig := plots.New(title).XLabel("hidden layers").YLabel("share that trained").YRange(0, 1.05)
	var bx [][]float64
	for _, x := range xs {
		bx = append(bx, []float64{x, x})
	}
	fig.Lines("95% interval (Wilson)", bx, bars, plots.Color(0), plots.Faint)
	fig.Line("share of seeds", xs, share).Points("", xs, share, plots.Color(0))
	if err := (figure{id: "depth share", fig: fig, data: rows, alt: "Share of seeds whose network trained, " +
		"falling with depth, with 95% intervals."}).show(); err != nil {
		return nil, err
	}
	t := &Table{ID: "depth share table", Title: title, Data: rows,
		Columns: []string{"hidden layers", "seeds that trained", "95% interval"}}
	for _, r := range rows {
		t.Rows = append(t.Rows, []string{fmt.Sprint(r.Depth), fmt.Sprintf("%d of %d", r.Trained, r.Seeds),
			fmt.Sprintf("%.2f to %.2f", r.Low, r.High)})
	}
	t.show()
	return rows, nil
}

// wilson is the 95% Wilson score interval for k successes in n trials.
func wilson(k, n int) (lo, hi float64) {
	const z = 1.959964
	p, fn := float64(k)/float64(n), float64(n)
	centre := (p + z*z/(2*fn)) / (1 + z*z/fn)
	half := z / (1 + z*z/fn) * math.Sqrt(p*(1-p)/fn+z*z/(4*fn*fn))
	return math.Max(0, centre-half), math.Min(1, centre+half)
}

// DeadUnits counts, for each model and each hidden layer, the units that are off (exactly zero) for every
// training input: they pass nothing forwards and get no gradient, which is where the walls of zeros in the
// gradient printout come from.
func DeadUnits(models ...*mlp.Model) { check("dead units", 0, deadUnits(models)) }

func deadUnits(models []*mlp.Model) error {
	if err := usableAll(models); err != nil {
		return err
	}
	ds := Data()
	counts := map[string][]int{}
	t := &Table{ID: "dead units", Title: "Units switched off at every training input, by hidden layer",
		Columns: []string{"hidden layer"}}
	var all [][]int
	for _, m := range models {
		dead, err := m.DeadUnits(ds.TrainX)
		if err != nil {
			return err
		}
		counts[describe(m)] = dead
		t.Columns = append(t.Columns, describe(m))
		all = append(all, dead)
	}
	for l := range all[0] {
		row := []string{fmt.Sprint(l + 1)}
		for i, dead := range all {
			if l < len(dead) {
				row = append(row, fmt.Sprintf("%d of %d", dead[l], models[i].Weights[l].Out))
			} else {
				row = append(row, "")
			}
		}
		t.Rows = append(t.Rows, row)
	}
	t.Data = counts
	t.show()
	return nil
}

// TrainingTensors returns the lecture's training inputs and targets as [50, 1] tensors, for graphs written
// by hand.
func TrainingTensors() (x, y *tensors.Tensor) {
	ds := Data()
	return tensors.FromFlatDataAndDimensions(ds.TrainX, len(ds.TrainX), 1),
		tensors.FromFlatDataAndDimensions(ds.TrainY, len(ds.TrainY), 1)
}

// StartTensors returns m's weights as tensors (kernel and bias of each dense layer in turn) and as many
// zero tensors of the same shapes, the starting moments of Adam.
func StartTensors(m *mlp.Model) (weights, zeros []*tensors.Tensor) {
	if err := usable(m); err != nil {
		report("start tensors", err)
		return nil, nil
	}
	for _, w := range m.Weights {
		weights = append(weights, tensors.FromFlatDataAndDimensions(w.Kernel, w.In, w.Out),
			tensors.FromFlatDataAndDimensions(w.Bias, w.Out))
		zeros = append(zeros, tensors.FromShape(shapes.Make(dtypes.Float32, w.In, w.Out)),
			tensors.FromShape(shapes.Make(dtypes.Float32, w.Out)))
	}
	return weights, zeros
}

// CompareLosses shows how far the per-epoch training losses of a hand-written training loop are from those
// the package recorded for the same fit (m, fitted WithHistory), as the largest relative difference.
func CompareLosses(ours []float64, m *mlp.Model) float64 {
	v, err := compareLosses(ours, m)
	return check("compare losses", v, err)
}

func compareLosses(ours []float64, m *mlp.Model) (float64, error) {
	if err := usable(m); err != nil {
		return math.NaN(), err
	}
	if m.History == nil {
		return math.NaN(), errors.New("need the package's fit with its history: lecture.Fit(spec.WithHistory())")
	}
	theirs := m.History.Loss
	if len(ours) != len(theirs) || len(ours) == 0 {
		return math.NaN(), fmt.Errorf("%d losses against the package's %d: train for as many epochs (at least one)",
			len(ours), len(theirs))
	}
	worst := 0.0
	for i := range ours {
		worst = math.Max(worst, math.Abs(ours[i]-theirs[i])/math.Abs(theirs[i]))
	}
	n := len(ours)
	t := &Table{ID: "losses written out", Title: "Training loss by epoch, written out and from the package",
		Columns: []string{"epoch", "written out", "package"},
		Note:    fmt.Sprintf("Largest relative difference over %d epochs: %.2g.", n, worst),
		Data:    map[string]any{"max_rel_diff": worst, "epochs": n}}
	seen := map[int]bool{}
	for _, i := range []int{0, 1, 2, n/2 - 1, n - 1} {
		if i < 0 || i >= n || seen[i] {
			continue
		}
		seen[i] = true
		t.Rows = append(t.Rows, []string{fmt.Sprint(i + 1), fmt.Sprintf("%.8f", ours[i]), fmt.Sprintf("%.8f", theirs[i])})
	}
	t.show()
	return worst, nil
}

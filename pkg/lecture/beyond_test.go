package lecture

import (
	"math"
	"strings"
	"testing"

	"github.com/golecture/regularization/pkg/mlp"
)

func TestEnsembleSpreadAndGain(t *testing.T) {
	members := Ensemble(mlp.Stack(8, 8).Seed(4).Epochs(30), 3)
	var sp *Spread
	out := capture(t, func() { sp = EnsembleSpread(members) })
	if sp == nil || !(sp.MeanSD > 0) || sp.MaxSD < sp.MeanSD {
		t.Fatalf("spread %+v; output %q", sp, out)
	}
	var g *Gain
	out = capture(t, func() { g = EnsembleGain(members) })
	if g == nil || math.Abs(g.MembersMean-(g.Average+g.Disagreement)) > 1e-9*g.MembersMean || g.BestMember > g.MembersMean {
		t.Fatalf("gain %+v breaks the identity; output %q", g, out)
	}
	oneError(t, "a nil member", capture(t, func() { EnsembleSpread([]*mlp.Model{members[0], nil}) }), "missing")
}

func TestEarlyStopping(t *testing.T) {
	m := Fit(mlp.Stack(8, 8).Seed(2).Epochs(60).WithHistory())
	var rows []StopRow
	out := capture(t, func() { rows = EarlyStopping(m, 5) })
	if len(rows) != 3 || rows[2].Epochs > rows[2].StoppedAt || !(rows[2].Test > 0) {
		t.Fatalf("rows %+v, output %q", rows, out)
	}
	best := argmin(m.History.ValLoss) + 1
	if rows[2].Epochs > best {
		t.Errorf("the rule kept epoch %d, after the best epoch %d", rows[2].Epochs, best)
	}
}

func TestDropoutCheckAndSweep(t *testing.T) {
	build := func(rate float64) *mlp.Spec {
		return mlp.Sequential(mlp.Dense(16, mlp.ReLU), mlp.Dropout(rate), mlp.Dense(16, mlp.ReLU), mlp.Dense(1, mlp.Linear)).Epochs(20)
	}
	var rows []SweepRow
	out := capture(t, func() { rows = DropoutSweep(build, []float64{0, 0.2, 0.5}) })
	if len(rows) != 3 || rows[1].Rate != 0.2 || !(rows[2].Ours.Val > 0) || !strings.Contains(out, "The dropout network by rate") {
		t.Fatalf("rows %+v, output %q", rows, out)
	}
	var checks []ScalingCheck
	out = capture(t, func() { checks = DropoutCheck(Fit(build(0.2))) })
	if len(checks) != 7 || !(checks[0].StdErr > 0) || !strings.Contains(out, "average of the thinned networks MSE") {
		t.Fatalf("checks %+v, output %q", checks, out)
	}
	oneError(t, "DropoutCheck(nil)", capture(t, func() { DropoutCheck(nil) }), "missing")
}

func TestDepthShare(t *testing.T) {
	var rows []DepthRow
	capture(t, func() { rows = DepthShare(DepthCurve{Depths: []int{1, 2}, Width: 4, Seeds: 2}) })
	if len(rows) != 2 || rows[1].Depth != 2 || rows[0].Seeds != 2 || rows[0].Trained > 2 || rows[0].Low > rows[0].High {
		t.Fatalf("rows %+v", rows)
	}
	oneError(t, "no depths", capture(t, func() { DepthShare(DepthCurve{Width: 4, Seeds: 2}) }), "need at least one depth")
	if lo, hi := wilson(16, 16); hi != 1 || lo < 0.79 || lo > 0.83 {
		t.Errorf("wilson(16, 16) = %v, %v; want about 0.81 to 1", lo, hi)
	}
}

func TestDeadUnitsOfAnInitialNetwork(t *testing.T) {
	out := capture(t, func() { DeadUnits(Initial(mlp.Stack(32, 32).Seed(5))) })
	if !strings.Contains(out, "of 32") {
		t.Errorf("output %q", out)
	}
}

package lecture

import (
	"strings"
	"testing"

	"github.com/golecture/regularization/pkg/mlp"
)

func TestEnsembleSpread(t *testing.T) {
	members := Ensemble(mlp.New(8, 8).Epochs(30), 3, 4)
	var sp *Spread
	out := capture(t, func() { sp = EnsembleSpread(members, "t") })
	if sp == nil || !(sp.MeanSD > 0) || sp.MaxSD < sp.MeanSD || len(sp.MembersVal) != 3 || !(sp.EnsembleVal > 0) {
		t.Fatalf("spread %+v; output %q", sp, out)
	}
	if !strings.Contains(out, "below the members' mean") {
		t.Errorf("output %q", out)
	}
	oneError(t, "a nil member", capture(t, func() { EnsembleSpread([]*mlp.Model{members[0], nil}, "t") }), "missing")
}

func TestDropoutCheckAndSweep(t *testing.T) {
	build := func(rate float64) *mlp.Spec {
		return mlp.Sequential(mlp.Dense(16, mlp.ReLU), mlp.Dropout(rate), mlp.Dense(16, mlp.ReLU), mlp.Dense(1, mlp.Linear)).Epochs(20)
	}
	var rows []SweepRow
	out := capture(t, func() { rows = DropoutSweep(build, []float64{0, 0.2, 0.5}) })
	if len(rows) != 3 || rows[1].Rate != 0.2 || !(rows[2].Ours.Val > 0) || !strings.Contains(out, "Lowest validation MSE at rate") {
		t.Fatalf("rows %+v, output %q", rows, out)
	}
	var checks []ScalingCheck
	out = capture(t, func() { checks = DropoutCheck(Fit(build(0.2)), 200) })
	if len(checks) != 7 || !(checks[0].StdErr > 0) || !strings.Contains(out, "standard errors") {
		t.Fatalf("checks %+v, output %q", checks, out)
	}
	oneError(t, "DropoutCheck(nil)", capture(t, func() { DropoutCheck(nil, 10) }), "missing")
}

func TestDepthShare(t *testing.T) {
	var rows []DepthRow
	capture(t, func() { rows = DepthShare([]int{1, 2}, 4, 2) })
	if len(rows) != 2 || rows[1].Depth != 2 || rows[0].Seeds != 2 || rows[0].Trained > 2 {
		t.Fatalf("rows %+v", rows)
	}
	oneError(t, "no depths", capture(t, func() { DepthShare(nil, 4, 2) }), "need at least one depth")
}

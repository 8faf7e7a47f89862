package data

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestLectureStatistics(t *testing.T) {
	ds, err := Generate(Lecture())
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.TrainX) != 50 || len(ds.ValX) != 10000 || len(ds.GridX) != 401 {
		t.Fatalf("sizes: train %d, val %d, grid %d; want 50, 10000, 401", len(ds.TrainX), len(ds.ValX), len(ds.GridX))
	}
	for _, x := range append(slices.Clone(ds.TrainX), ds.ValX...) {
		if x < -2 || x > 2 {
			t.Fatalf("input %v outside [-2, 2]", x)
		}
	}
	// Uniform on [-2, 2]: mean 0, variance 4/3.
	var sum, sum2, res, res2 float64
	for i, x := range ds.ValX {
		sum += float64(x)
		sum2 += float64(x) * float64(x)
		r := float64(ds.ValY[i]) - TrueFunction(float64(x))
		res += r
		res2 += r * r
	}
	n := float64(len(ds.ValX))
	if mean := sum / n; math.Abs(mean) > 0.05 {
		t.Errorf("mean input %.4f, want about 0", mean)
	}
	if v := sum2/n - (sum/n)*(sum/n); math.Abs(v-4.0/3) > 0.05 {
		t.Errorf("input variance %.4f, want about 4/3", v)
	}
	if sd := math.Sqrt(res2/n - (res/n)*(res/n)); math.Abs(sd-0.15) > 0.005 {
		t.Errorf("noise sd %.4f, want about 0.15", sd)
	}
	if math.Abs(res/n) > 0.005 {
		t.Errorf("noise mean %.4f, want about 0", res/n)
	}
	lo, hi := slices.Min(ds.GridY), slices.Max(ds.GridY)
	if lo < -1 || hi > 1.5 || hi-lo < 1.2 {
		t.Errorf("true function spans [%.3f, %.3f]; want within [-1, 1.5] and a range of at least 1.2", lo, hi)
	}
	if ds.GridX[0] != -2 || ds.GridX[400] != 2 {
		t.Errorf("grid ends %v, %v; want -2, 2", ds.GridX[0], ds.GridX[400])
	}
}

func TestSeeded(t *testing.T) {
	a, _ := Generate(Lecture())
	b, _ := Generate(Lecture())
	if !slices.Equal(a.TrainY, b.TrainY) || !slices.Equal(a.ValX, b.ValX) {
		t.Error("same spec gave different data")
	}
	s := Lecture()
	s.Seed++
	c, _ := Generate(s)
	if slices.Equal(a.TrainX, c.TrainX) {
		t.Error("different seeds gave the same training inputs")
	}
	s = Lecture()
	s.NumVal = 10
	d, _ := Generate(s)
	if !slices.Equal(a.TrainX, d.TrainX) {
		t.Error("changing NumVal changed the training set")
	}
}

func TestBadSpec(t *testing.T) {
	for name, mutate := range map[string]func(*Spec){
		"NumTrain":   func(s *Spec) { s.NumTrain = 0 },
		"NumVal":     func(s *Spec) { s.NumVal = -1 },
		"NoiseSD":    func(s *Spec) { s.NoiseSD = math.NaN() },
		"range":      func(s *Spec) { s.Lo, s.Hi = 1, 1 },
		"GridPoints": func(s *Spec) { s.GridPoints = 1 },
	} {
		s := Lecture()
		mutate(&s)
		_, err := Generate(s)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %q does not name the field", name, err)
		}
	}
}

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
	for _, c := range []struct {
		field  string // What the error must name.
		mutate func(*Spec)
	}{
		{"NumTrain", func(s *Spec) { s.NumTrain = 0 }},
		{"NumVal", func(s *Spec) { s.NumVal = -1 }},
		{"NoiseSD", func(s *Spec) { s.NoiseSD = math.NaN() }},
		{"range", func(s *Spec) { s.Lo, s.Hi = 1, 1 }},
		{"GridPoints", func(s *Spec) { s.GridPoints = 1 }},
		// These used to pass Validate, then crash in Generate or make non-finite data.
		{"NumTrain + NumVal", func(s *Spec) { s.NumTrain = 1 << 50 }},
		{"NumTrain + NumVal", func(s *Spec) { s.NumVal = math.MaxInt }},
		{"NumTrain + NumVal", func(s *Spec) { s.NumTrain, s.NumVal = MaxPoints, 1 }},
		{"GridPoints", func(s *Spec) { s.GridPoints = 1 << 40 }},
		{"range", func(s *Spec) { s.Lo, s.Hi = -math.MaxFloat64, math.MaxFloat64 }}, // Hi - Lo = +Inf.
		{"range", func(s *Spec) { s.Lo, s.Hi = 1e30, 2e30 }},                        // Inputs overflow float32.
		{"range", func(s *Spec) { s.Lo = math.NaN() }},
		{"range", func(s *Spec) { s.Hi = math.NaN() }},
		{"range", func(s *Spec) { s.Lo, s.Hi = 2, -2 }},
		{"NoiseSD", func(s *Spec) { s.NoiseSD = math.Inf(1) }},
		{"NoiseSD", func(s *Spec) { s.NoiseSD = 1e300 }}, // Finite, but the noise would overflow float32.
	} {
		s := Lecture()
		c.mutate(&s)
		_, err := Generate(s)
		if err == nil {
			t.Errorf("%+v: no error", s)
			continue
		}
		if !strings.Contains(err.Error(), c.field) {
			t.Errorf("%+v: error %q does not name %s", s, err, c.field)
		}
	}
}

func TestSizeCapErrorSaysHowMuch(t *testing.T) {
	s := Lecture()
	s.NumTrain = 1 << 50
	err := s.Validate()
	if err == nil || !strings.Contains(err.Error(), "8.0 PiB") || !strings.Contains(err.Error(), "MaxPoints") {
		t.Errorf("NumTrain = 2^50: error %v; want the memory needed (8.0 PiB) and the cap", err)
	}
	s = Lecture()
	s.GridPoints = MaxGridPoints + 1
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "15.3 MiB") {
		t.Errorf("GridPoints over the cap: error %v; want the memory needed", err)
	}
	s = Lecture()
	s.NumTrain, s.NumVal, s.GridPoints = MaxPoints/2, MaxPoints/2, MaxGridPoints
	if err := s.Validate(); err != nil {
		t.Errorf("specs at the caps must pass: %v", err)
	}
}

func TestHuman(t *testing.T) {
	for n, want := range map[float64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 4 << 50: "4.0 PiB", 1e30: "867361737988.4 EiB"} {
		if got := human(n); got != want {
			t.Errorf("human(%g) = %q, want %q", n, got, want)
		}
	}
}

// FuzzSpecValidate: Validate never panics, and every spec it accepts generates without panicking into
// finite data of the requested sizes, with inputs in [Lo, Hi].
func FuzzSpecValidate(f *testing.F) {
	add := func(s Spec) { f.Add(s.Seed, s.NumTrain, s.NumVal, s.NoiseSD, s.Lo, s.Hi, s.GridPoints) }
	add(Lecture())
	add(Spec{})
	add(Spec{Seed: math.MaxUint64, NumTrain: 1 << 50, NumVal: math.MaxInt, NoiseSD: 1e300, Lo: -1e308, Hi: 1e308, GridPoints: math.MaxInt})
	add(Spec{NumTrain: 1, NumVal: 1, NoiseSD: math.NaN(), Lo: math.NaN(), Hi: math.NaN(), GridPoints: 2})
	add(Spec{Seed: 1, NumTrain: 5, NumVal: 5, NoiseSD: 0.1, Lo: 2, Hi: -2, GridPoints: 3})
	add(Spec{Seed: 2, NumTrain: 3, NumVal: 4, NoiseSD: MaxMagnitude, Lo: -MaxMagnitude, Hi: MaxMagnitude, GridPoints: 2})
	f.Fuzz(func(t *testing.T, seed uint64, numTrain, numVal int, noiseSD, lo, hi float64, gridPoints int) {
		s := Spec{Seed: seed, NumTrain: numTrain, NumVal: numVal, NoiseSD: noiseSD, Lo: lo, Hi: hi, GridPoints: gridPoints}
		if s.Validate() != nil {
			return
		}
		if s.NumTrain+s.NumVal+s.GridPoints > 100_000 {
			return // Accepted; too big to generate at fuzzing speed.
		}
		ds, err := Generate(s)
		if err != nil {
			t.Fatalf("Validate accepted %+v, Generate failed: %v", s, err)
		}
		if len(ds.TrainX) != s.NumTrain || len(ds.TrainY) != s.NumTrain || len(ds.ValX) != s.NumVal ||
			len(ds.ValY) != s.NumVal || len(ds.GridX) != s.GridPoints || len(ds.GridY) != s.GridPoints {
			t.Fatalf("%+v: wrong lengths", s)
		}
		lo32, hi32 := float32(s.Lo), float32(s.Hi) // Rounding to float32 keeps order, never crosses these.
		for _, xs := range [][]float32{ds.TrainX, ds.ValX} {
			for _, x := range xs {
				if x < lo32 || x > hi32 {
					t.Fatalf("%+v: input %v outside the range", s, x)
				}
			}
		}
		for _, ys := range [][]float32{ds.TrainX, ds.TrainY, ds.ValX, ds.ValY, ds.GridX32()} {
			for _, y := range ys {
				if math.IsNaN(float64(y)) || math.IsInf(float64(y), 0) {
					t.Fatalf("%+v: non-finite value %v", s, y)
				}
			}
		}
		for _, y := range append(slices.Clone(ds.GridX), ds.GridY...) {
			if math.IsNaN(y) || math.IsInf(y, 0) {
				t.Fatalf("%+v: non-finite grid value %v", s, y)
			}
		}
	})
}

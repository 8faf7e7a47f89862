// Package data generates the lecture's one-dimensional regression problem.
//
// The lecture fits networks to 50 noisy samples of a smooth function on [-2, 2] and scores them on 10,000
// fresh samples. Its own generator is not part of the notebook we rebuild, so this package reconstructs one
// with the properties the lecture relies on:
//
//   - inputs drawn uniformly on [-2, 2];
//   - a true function with a bump at 0 and a few gentle bends, taking values within about [-1, 1.5]
//     (see [TrueFunction]);
//   - Gaussian noise with standard deviation 0.15, so the noise alone accounts for a validation MSE of 0.0225
//     and a good fit lands near the lecture's 0.027;
//   - a plotting grid of 401 evenly spaced points with the true function on it.
//
// Generation is seeded and uses only math/rand/v2's PCG source, so the same [Spec] gives the same data on
// every machine.
//
// See the package example for the lecture's data set in three lines.
package data

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Spec says how to generate a data set. Its zero value is not valid: start from [Lecture] and change fields.
type Spec struct {
	Seed       uint64  // Seed of the random generator: any value.
	NumTrain   int     // Number of training points (the lecture: 50).
	NumVal     int     // Number of validation points (the lecture: 10,000).
	NoiseSD    float64 // Standard deviation of the Gaussian noise added to the true function.
	Lo, Hi     float64 // Inputs are drawn uniformly on [Lo, Hi].
	GridPoints int     // Number of evenly spaced points of the plotting grid on [Lo, Hi].
}

// Lecture returns the specification used throughout the notebooks.
func Lecture() Spec {
	return Spec{Seed: 20200218, NumTrain: 50, NumVal: 10000, NoiseSD: 0.15, Lo: -2, Hi: 2, GridPoints: 401}
}

// Caps on a Spec's sizes, so that a typo cannot ask for petabytes: Generate allocates two float32 slices per
// training or validation point and two float64 slices per grid point.
const (
	MaxPoints     = 10_000_000 // NumTrain + NumVal: 76 MiB.
	MaxGridPoints = 1_000_000  // GridPoints: 15 MiB.
	// MaxMagnitude bounds |Lo|, |Hi| and NoiseSD, far beyond any sensible spec but small enough that every
	// input, target and grid value stays finite (in float32 too).
	MaxMagnitude = 1e6
)

// Validate reports the first field that is out of range.
func (s Spec) Validate() error {
	switch {
	case s.NumTrain < 1:
		return fmt.Errorf("data.Spec.NumTrain = %d: need at least 1 training point", s.NumTrain)
	case s.NumVal < 1:
		return fmt.Errorf("data.Spec.NumVal = %d: need at least 1 validation point", s.NumVal)
	case s.NumTrain > MaxPoints || s.NumVal > MaxPoints || s.NumTrain+s.NumVal > MaxPoints: // The sum cannot overflow.
		return fmt.Errorf("data.Spec NumTrain + NumVal = %d + %d points would need %s of float32 inputs and "+
			"targets; the cap is MaxPoints = %d (%s)", s.NumTrain, s.NumVal,
			human((float64(s.NumTrain)+float64(s.NumVal))*8), MaxPoints, human(MaxPoints*8))
	case s.GridPoints < 2:
		return fmt.Errorf("data.Spec.GridPoints = %d: need at least 2 points", s.GridPoints)
	case s.GridPoints > MaxGridPoints:
		return fmt.Errorf("data.Spec.GridPoints = %d would need %s of float64 grid values; the cap is "+
			"MaxGridPoints = %d (%s)", s.GridPoints, human(float64(s.GridPoints)*16), MaxGridPoints, human(MaxGridPoints*16))
	case !(s.NoiseSD >= 0 && s.NoiseSD <= MaxMagnitude): // Also false for NaN.
		return fmt.Errorf("data.Spec.NoiseSD = %g: need 0 <= NoiseSD <= %g", s.NoiseSD, MaxMagnitude)
	case !(s.Lo < s.Hi && s.Lo >= -MaxMagnitude && s.Hi <= MaxMagnitude): // Also false for NaN.
		return fmt.Errorf("data.Spec range [%g, %g]: need %g <= Lo < Hi <= %g", s.Lo, s.Hi, -MaxMagnitude, MaxMagnitude)
	}
	return nil
}

// human formats a byte count in binary units, e.g. "4.0 PiB".
func human(n float64) string {
	const units = "KMGTPE"
	if n < 1024 {
		return fmt.Sprintf("%.0f B", n)
	}
	i := -1
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %ciB", n, units[i])
}

// TrueFunction is the noiseless regression target: a bump of height 1 at 0 on top of a slow wave and a slight
// downward trend. On [-2, 2] it stays within about [-0.45, 1.1].
func TrueFunction(x float64) float64 {
	return math.Exp(-4*x*x) + 0.3*math.Sin(2*x) - 0.1*x
}

// Dataset holds one generated problem. Inputs and targets are float32, the dtype the models train in.
type Dataset struct {
	Spec           Spec
	TrainX, TrainY []float32
	ValX, ValY     []float32
	GridX, GridY   []float64 // Plotting grid and the true function on it.
}

// Generate draws a data set from spec. The training points come first from the random stream, then the
// validation points, so changing NumVal leaves the training set unchanged.
func Generate(spec Spec) (*Dataset, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(spec.Seed, 0x9e3779b97f4a7c15))
	ds := &Dataset{Spec: spec}
	ds.TrainX, ds.TrainY = sample(rng, spec, spec.NumTrain)
	ds.ValX, ds.ValY = sample(rng, spec, spec.NumVal)
	ds.GridX = make([]float64, spec.GridPoints)
	ds.GridY = make([]float64, spec.GridPoints)
	step := (spec.Hi - spec.Lo) / float64(spec.GridPoints-1)
	for i := range ds.GridX {
		x := spec.Lo + float64(i)*step
		ds.GridX[i], ds.GridY[i] = x, TrueFunction(x)
	}
	return ds, nil
}

func sample(rng *rand.Rand, spec Spec, n int) (xs, ys []float32) {
	xs, ys = make([]float32, n), make([]float32, n)
	for i := range xs {
		x := spec.Lo + (spec.Hi-spec.Lo)*rng.Float64()
		xs[i] = float32(x)
		ys[i] = float32(TrueFunction(x) + spec.NoiseSD*rng.NormFloat64())
	}
	return xs, ys
}

// Float64s converts a float32 slice for plotting and printing.
func Float64s(xs []float32) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}

// Variance is the population variance of ys: the MSE of always predicting their mean, the score of a model
// that has learned nothing.
func Variance(ys []float32) float64 {
	var sum, sum2 float64
	for _, y := range ys {
		sum += float64(y)
	}
	mean := sum / float64(len(ys))
	for _, y := range ys {
		d := float64(y) - mean
		sum2 += d * d
	}
	return sum2 / float64(len(ys))
}

// GridX32 returns the plotting grid as float32 model inputs.
func (ds *Dataset) GridX32() []float32 {
	out := make([]float32, len(ds.GridX))
	for i, x := range ds.GridX {
		out[i] = float32(x)
	}
	return out
}

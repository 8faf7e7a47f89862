package mlp

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/golecture/regularization/pkg/kerasadam"
)

// Activation is what a dense layer applies to its output.
type Activation string

// The activations a dense layer can apply: the lecture's ReLU and linear output, and the saturating
// sigmoid and tanh that ReLU replaced in deep networks.
const (
	ReLU    Activation = "relu"
	Sigmoid Activation = "sigmoid"
	Tanh    Activation = "tanh"
	Linear  Activation = "linear"
)

var activations = map[Activation]bool{ReLU: true, Sigmoid: true, Tanh: true, Linear: true}

// LayerKind tells a dense layer from a dropout layer.
type LayerKind string

// The kinds of layer a [Spec] can hold.
const (
	DenseLayer   LayerKind = "dense"
	DropoutLayer LayerKind = "dropout"
)

// Layer is one entry of a network's layer list: a dense layer (Units, Activation and the seeds of its
// initial kernel and bias) or a dropout layer (Rate). Make them with [Dense] and [Dropout].
type Layer struct {
	Kind       LayerKind
	Units      int        // Dense: output width.
	Activation Activation // Dense: ReLU, Sigmoid, Tanh or Linear.
	KernelSeed int64      // Dense: seed of the initial kernel; 0 until set by Seeded or Spec.Seed.
	BiasSeed   int64      // Dense: seed of the initial bias; 0 until set.
	Rate       float64    // Dropout: probability that a unit is dropped on a training step.
}

// Dense is a fully connected layer of units outputs followed by act.
func Dense(units int, act Activation) Layer {
	return Layer{Kind: DenseLayer, Units: units, Activation: act}
}

// Seeded sets the seeds of a dense layer's initial kernel and bias, as the lecture gives each Keras
// initializer its own seed.
func (l Layer) Seeded(kernelSeed, biasSeed int64) Layer {
	l.KernelSeed, l.BiasSeed = kernelSeed, biasSeed
	return l
}

// Dropout drops each unit of the previous layer with probability rate on every training step.
func Dropout(rate float64) Layer { return Layer{Kind: DropoutLayer, Rate: rate} }

func (l Layer) String() string {
	if l.Kind == DropoutLayer {
		return fmt.Sprintf("Dropout(%g)", l.Rate)
	}
	return fmt.Sprintf("Dense(%d, %s)", l.Units, l.Activation)
}

// Seeds holds one initializer seed per dense layer, input side first and the output layer last, for the
// kernels and for the biases, as the lecture's seed lists do.
type Seeds struct {
	Kernel, Bias []int64
}

// DrawSeeds draws seeds for a network with numHidden hidden layers (so numHidden+1 seeds in each list) from a
// generator seeded with seed: the same seed always gives the same lists. Seeds fall in [1, 999999].
// [Spec.Seed] sets a network's seeds this way.
func DrawSeeds(seed uint64, numHidden int) Seeds {
	numHidden = min(max(numHidden, 0), MaxDepth)
	rng := rand.New(rand.NewPCG(seed, 0x5eed5eed5eed5eed))
	draw := func() []int64 {
		out := make([]int64, numHidden+1)
		for i := range out {
			out[i] = 1 + rng.Int64N(999999)
		}
		return out
	}
	bias := draw()
	return Seeds{Kernel: draw(), Bias: bias}
}

// DropoutMode selects how dropout keeps the expected activation the same in training and in prediction.
type DropoutMode int

const (
	// Inverted drops units with probability rate during training and divides the kept ones by 1-rate;
	// prediction uses the network unchanged. This is what Keras' Dropout layer does.
	Inverted DropoutMode = iota
	// ScaleAtPredict drops units during training without rescaling and multiplies every activation by the
	// keep probability 1-rate at prediction.
	ScaleAtPredict
)

func (d DropoutMode) String() string {
	switch d {
	case Inverted:
		return "inverted"
	case ScaleAtPredict:
		return "scale-at-predict"
	}
	return "DropoutMode(" + strconv.Itoa(int(d)) + ")"
}

// Settings are everything that decides what a fit computes: the layers, their seeds, the training length,
// the optimizer, the initialization and the dropout masks. They are plain data, hashed whole by the fit
// cache (see [Spec.Key]), so a field added here can never be left out of the key. How a fit is run (cache,
// progress, backend) is not part of them.
type Settings struct {
	Layers      []Layer
	NumEpochs   int              // Full-batch Adam steps.
	Adam        kerasadam.Config // Optimizer settings.
	InitSD      float64          // Standard deviation of the normal initializer of every kernel and bias.
	DropoutMode DropoutMode      // Convention of every dropout layer.
	DropoutSeed int64            // Seed of the dropout masks' random stream.
	SeedFrom    uint64           // The seed the layers' seeds were drawn from by Seed; 0 if set per layer.
	// RecordHistory asks for the per-epoch training and validation loss. It changes what is recorded, not
	// the weights, so it is not part of the key: a fit with history also serves a request without.
	RecordHistory bool
}

// Spec describes a network and its training. Make one with [Sequential] or [Stack] and change it with the
// chained methods (Seed, Epochs, WithHistory, ...), the one way to set each setting; read it with
// [Spec.Settings].
type Spec struct {
	set Settings
	err error // A setter's misuse, reported by Validate.
}

// Settings returns a copy of the spec's settings.
func (s *Spec) Settings() Settings {
	c := s.set
	c.Layers = slices.Clone(c.Layers)
	return c
}

// GobEncode lets a Spec travel in the fit cache as its settings.
func (s *Spec) GobEncode() ([]byte, error) {
	var b bytes.Buffer
	err := gob.NewEncoder(&b).Encode(s.set)
	return b.Bytes(), err
}

// GobDecode reads what GobEncode wrote.
func (s *Spec) GobDecode(raw []byte) error {
	return gob.NewDecoder(bytes.NewReader(raw)).Decode(&s.set)
}

// DefaultEpochs is the number of full-batch steps a fit takes unless [Spec.Epochs] says otherwise.
const DefaultEpochs = 1000

// Sequential describes a network from its layer list, like Keras' Sequential model: dense layers and dropout
// layers in order, the last one the output layer (for the lecture, Dense(1, Linear)). Defaults: Keras' Adam,
// 1000 epochs, initial weights N(0, 0.05²), inverted dropout with mask seed 1, no history. Dense layers
// without seeds get those of DrawSeeds(1, hidden layers).
func Sequential(layers ...Layer) *Spec {
	s := &Spec{set: Settings{
		Layers:      slices.Clone(layers),
		NumEpochs:   DefaultEpochs,
		Adam:        kerasadam.Defaults(),
		InitSD:      0.05,
		DropoutMode: Inverted,
		DropoutSeed: 1,
	}}
	if n := s.numDense(); n > 0 && n <= MaxDepth+1 {
		seeds := DrawSeeds(1, n-1)
		j := 0
		for i, l := range s.set.Layers {
			if l.Kind == DenseLayer {
				if l.KernelSeed == 0 && l.BiasSeed == 0 {
					s.set.Layers[i] = l.Seeded(seeds.Kernel[j], seeds.Bias[j])
				}
				j++
			}
		}
	}
	return s
}

// Stack describes a plain stack of ReLU hidden layers of the given widths and a linear output of width 1:
// Sequential(Dense(w1, ReLU), ..., Dense(1, Linear)).
func Stack(hidden ...int) *Spec {
	layers := make([]Layer, 0, len(hidden)+1)
	for _, w := range hidden {
		layers = append(layers, Dense(w, ReLU))
	}
	if len(hidden) == 0 {
		s := Sequential()
		s.err = fmt.Errorf("no hidden layers: give at least one width, e.g. mlp.Stack(32, 32)")
		return s
	}
	return Sequential(append(layers, Dense(1, Linear))...)
}

// Clone returns an independent copy.
func (s *Spec) Clone() *Spec {
	out := *s
	out.set.Layers = slices.Clone(s.set.Layers)
	return &out
}

// Seed gives every dense layer's kernel and bias its own initializer seed, drawn from seed (see
// [DrawSeeds]), as the lecture drew its seed lists from one numpy seed.
func (s *Spec) Seed(seed uint64) *Spec {
	n := s.numDense()
	if n < 1 || n > MaxDepth+1 {
		return s // Validate reports the depth.
	}
	seeds := DrawSeeds(seed, n-1)
	s.set.SeedFrom = seed
	j := 0
	for i, l := range s.set.Layers {
		if l.Kind == DenseLayer {
			s.set.Layers[i] = l.Seeded(seeds.Kernel[j], seeds.Bias[j])
			j++
		}
	}
	return s
}

// HiddenActivation sets the activation of every hidden dense layer (the output layer stays linear).
func (s *Spec) HiddenActivation(a Activation) *Spec {
	last := len(s.set.Layers) - 1
	for i, l := range s.set.Layers {
		if l.Kind == DenseLayer && i != last {
			s.set.Layers[i].Activation = a
		}
	}
	return s
}

// Epochs sets the number of full-batch Adam steps.
func (s *Spec) Epochs(n int) *Spec { s.set.NumEpochs = n; return s }

// Optimizer replaces the Adam settings.
func (s *Spec) Optimizer(c kerasadam.Config) *Spec { s.set.Adam = c; return s }

// InitStdDev sets the standard deviation of the normal initializer (default 0.05).
func (s *Spec) InitStdDev(sd float64) *Spec { s.set.InitSD = sd; return s }

// Masks sets the dropout convention and the seed of the dropout masks.
func (s *Spec) Masks(mode DropoutMode, seed int64) *Spec {
	s.set.DropoutMode, s.set.DropoutSeed = mode, seed
	return s
}

// WithHistory records, per epoch, the training loss and the validation loss.
func (s *Spec) WithHistory() *Spec { s.set.RecordHistory = true; return s }

// WithoutHistory records no per-epoch losses (the default).
func (s *Spec) WithoutHistory() *Spec { s.set.RecordHistory = false; return s }

func (s *Spec) numDense() int {
	n := 0
	for _, l := range s.set.Layers {
		if l.Kind == DenseLayer {
			n++
		}
	}
	return n
}

// DenseLayers returns the dense layers in order (the last is the output layer).
func (s *Spec) DenseLayers() []Layer {
	var out []Layer
	for _, l := range s.set.Layers {
		if l.Kind == DenseLayer {
			out = append(out, l)
		}
	}
	return out
}

// Hidden returns the widths of the hidden dense layers.
func (s *Spec) Hidden() []int {
	d := s.DenseLayers()
	out := make([]int, 0, len(d))
	for _, l := range d[:max(len(d)-1, 0)] {
		out = append(out, l.Units)
	}
	return out
}

// Architecture is a short name such as "5x512", "1024-512-1" or "5x1024, dropout 0.2 x4".
func (s *Spec) Architecture() string {
	hidden := s.Hidden()
	name := "linear"
	if len(hidden) > 0 {
		name = fmt.Sprintf("%dx%d", len(hidden), hidden[0])
		for _, w := range hidden {
			if w != hidden[0] {
				parts := make([]string, len(hidden))
				for i, w := range hidden {
					parts[i] = strconv.Itoa(w)
				}
				name = strings.Join(parts, "-")
				break
			}
		}
	}
	rates := map[float64]int{}
	var order []float64
	for _, l := range s.set.Layers {
		if l.Kind == DropoutLayer {
			if rates[l.Rate] == 0 {
				order = append(order, l.Rate)
			}
			rates[l.Rate]++
		}
	}
	for _, r := range order {
		name += fmt.Sprintf(", dropout %g x%d", r, rates[r])
	}
	return name
}

// Limits on what a Spec may ask for. Depth and width bound the loops and the arithmetic that validates a
// spec; what a fit may cost is bounded by one estimate of its memory (see [Spec.Memory]).
const (
	MaxDepth = 256     // Dense layers at most.
	MaxWidth = 1 << 16 // Units per layer at most.
	// MaxMemory caps the estimated peak memory of one fit: a quarter of a 24 GiB machine, which leaves room
	// for the Jupyter server, the other kernels of a class, and the estimate's error.
	MaxMemory = 6 << 30
	// MaxParams caps the weights of a network, so that every fit that runs can also be cached: a fit-cache
	// entry takes about 5.9 bytes per weight, and the cache refuses entries over 512 MiB.
	MaxParams = 85_000_000
	// MaxEpochs caps the training length.
	MaxEpochs = 10_000_000
)

// NumParams returns the number of weights (kernels and biases) of the network.
func (s *Spec) NumParams() int {
	n, in := 0, 1
	for _, l := range s.DenseLayers() {
		n += in*l.Units + l.Units
		in = l.Units
	}
	return n
}

// Memory estimates the peak memory, in bytes, of a fit on trainPoints inputs that scores valPoints
// validation inputs after every step (0 without history). It is fitted to peaks measured on XLA CPU
// (scripts/memprobe), rounded up so that it over-estimates every measurement: a runtime baseline of 256 MiB,
// about ten copies of the weights (the weights, their gradients, Adam's two moments, and XLA's buffers for
// the training loop), the activations of every layer kept for the backward pass, and for the validation
// pass two adjacent layers at a time.
func (s *Spec) Memory(trainPoints, valPoints int) float64 {
	params, units, pair := 0.0, 0.0, 0.0
	in := 1.0
	for _, l := range s.DenseLayers() {
		out := float64(l.Units)
		params += in*out + out
		units += out
		pair = math.Max(pair, in+out)
		in = out
	}
	return 256<<20 + 10.5*4*params + 2*4*float64(trainPoints)*units + 4*float64(valPoints)*pair
}

// HumanBytes formats a byte count as "12.0 MiB".
func HumanBytes(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB"}
	i := 0
	for b >= 1024 && i < len(units)-1 {
		b /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s", b, units[i])
}

// Validate reports the first setting out of range, naming it and the accepted values.
func (s *Spec) Validate() error {
	if s == nil {
		return fmt.Errorf("the spec is nil: start one with mlp.Stack(widths...) or mlp.Sequential(layers...)")
	}
	if s.err != nil {
		return s.err
	}
	dense := s.DenseLayers()
	switch {
	case len(dense) < 2:
		return fmt.Errorf("%d dense layers: need at least one hidden layer and the output layer, "+
			"e.g. mlp.Stack(32) or mlp.Sequential(mlp.Dense(32, mlp.ReLU), mlp.Dense(1, mlp.Linear))", len(dense))
	case len(dense) > MaxDepth:
		return fmt.Errorf("%d dense layers: at most %d are allowed", len(dense), MaxDepth)
	}
	if s.set.Layers[0].Kind != DenseLayer {
		return fmt.Errorf("layer 0 is %v: the network must start with a dense layer (dropout on the single input "+
			"would erase it)", s.set.Layers[0])
	}
	last := s.set.Layers[len(s.set.Layers)-1]
	if last.Kind != DenseLayer || last.Units != 1 || last.Activation != Linear {
		return fmt.Errorf("the last layer is %v: it must be the output layer, mlp.Dense(1, mlp.Linear)", last)
	}
	for i, l := range s.set.Layers {
		switch l.Kind {
		case DenseLayer:
			switch {
			case l.Units < 1 || l.Units > MaxWidth:
				return fmt.Errorf("layer %d, %v: units must be between 1 and %d", i, l, MaxWidth)
			case !activations[l.Activation]:
				return fmt.Errorf("layer %d: activation %q: use mlp.ReLU, mlp.Sigmoid, mlp.Tanh or mlp.Linear", i,
					string(l.Activation))
			case l.KernelSeed == 0 || l.BiasSeed == 0:
				return fmt.Errorf("layer %d, %v: its kernel and bias seeds must be set (and non-zero): "+
					"use spec.Seed(seed), or .Seeded(kernelSeed, biasSeed) on the layer", i, l)
			case l.Rate != 0:
				return fmt.Errorf("layer %d, %v: a dense layer has no rate; add mlp.Dropout(rate) after it", i, l)
			}
		case DropoutLayer:
			if !(l.Rate >= 0 && l.Rate < 1) {
				return fmt.Errorf("layer %d: dropout rate = %g: need a value in [0, 1)", i, l.Rate)
			}
			if l.Units != 0 || l.Activation != "" || l.KernelSeed != 0 || l.BiasSeed != 0 {
				return fmt.Errorf("layer %d: a dropout layer has only a rate; make it with mlp.Dropout(rate)", i)
			}
		default:
			return fmt.Errorf("layer %d: kind %q: make layers with mlp.Dense or mlp.Dropout", i, string(l.Kind))
		}
	}
	if s.set.NumEpochs < 1 || s.set.NumEpochs > MaxEpochs {
		return fmt.Errorf("epochs = %d: need between 1 and %d", s.set.NumEpochs, MaxEpochs)
	}
	if s.set.DropoutMode != Inverted && s.set.DropoutMode != ScaleAtPredict {
		return fmt.Errorf("dropout mode = %d: use mlp.Inverted or mlp.ScaleAtPredict", int(s.set.DropoutMode))
	}
	if err := s.set.Adam.Validate(); err != nil {
		return err
	}
	if sd := float64(float32(s.set.InitSD)); !(sd > 0) || math.IsInf(sd, 0) {
		return fmt.Errorf("initializer standard deviation = %g (%g in float32): need a finite value > 0 in "+
			"float32, e.g. 0.05", s.set.InitSD, sd)
	}
	return nil
}

// CheckSize reports a network too big to fit on trainPoints inputs (scoring valPoints validation inputs
// per step) within [MaxMemory], or too big to cache ([MaxParams]), with what it would need.
func (s *Spec) CheckSize(trainPoints, valPoints int) error {
	if n := s.NumParams(); n > MaxParams {
		return fmt.Errorf("network %s has %d weights; at most %d are accepted, so that its fit can be cached: use "+
			"fewer or narrower layers", s.Architecture(), n, MaxParams)
	}
	if need := s.Memory(trainPoints, valPoints); need > MaxMemory {
		return fmt.Errorf("network %s (%d weights) on %d points needs about %s for weights, Adam state and "+
			"activations; the cap is %s: use fewer or narrower layers", s.Architecture(), s.NumParams(),
			trainPoints, HumanBytes(need), HumanBytes(MaxMemory))
	}
	return nil
}

// Key is the whole spec printed with Go syntax (%#v), RecordHistory cleared: every field takes part, so two
// specs that can train different weights never share a key.
func (s *Spec) Key() string {
	c := s.set
	c.RecordHistory = false
	return fmt.Sprintf("%#v", c)
}

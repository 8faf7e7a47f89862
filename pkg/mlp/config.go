package mlp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/gomlx/compute"

	"github.com/golecture/regularization/pkg/backend"
	"github.com/golecture/regularization/pkg/fitcache"
)

// Seeds holds one initializer seed per layer, hidden layers first and the output layer last, for the kernels
// and for the biases, as the lecture's seed lists do.
type Seeds struct {
	Kernel, Bias []int64
}

// DrawSeeds draws seeds for a network with numHidden hidden layers (so numHidden+1 seeds in each list) from a
// generator seeded with seed: the same seed always gives the same lists. Seeds fall in [1, 999999].
func DrawSeeds(seed uint64, numHidden int) Seeds {
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

// Adam holds the optimizer's settings. The update for a weight w with gradient g at step t (from 1) is
//
//	m = β1·m + (1-β1)·g
//	v = β2·v + (1-β2)·g²
//	w = w - lr·sqrt(1-β2^t)/(1-β1^t) · m / (sqrt(v) + ε)
//
// which is how Keras (and TensorFlow's ApplyAdam) compute it. GoMLX's and PyTorch's Adam instead add ε after
// bias-correcting v; the two differ when sqrt(v) is comparable to ε, i.e. for the vanishing gradients of the
// lecture's deep networks.
type Adam struct {
	LearningRate, Beta1, Beta2, Epsilon float64
}

// KerasAdam returns Keras' defaults: learning rate 0.001, β1 0.9, β2 0.999, ε 1e-7.
func KerasAdam() Adam { return Adam{LearningRate: 0.001, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7} }

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

// Config describes one fit. Build it with [New] and the chained setters; each setter changes the Config and
// returns it. Use [Config.Clone] to derive variants.
type Config struct {
	hidden      []int
	seeds       *Seeds
	epochs      int
	adam        Adam
	initSD      float64
	dropout     float64
	dropoutMode DropoutMode
	dropoutSeed int64
	history     bool
	cache       *fitcache.Cache
	quiet       bool
	backend     compute.Backend
}

// DefaultEpochs is the number of full-batch steps a fit takes unless [Config.Epochs] says otherwise.
const DefaultEpochs = 1000

// New starts a configuration for a network with the given hidden-layer widths, a linear output of width 1,
// Keras' Adam, 1000 epochs, initial weights N(0, 0.05²), no dropout, no history and the default fit cache.
func New(hidden ...int) *Config {
	return &Config{
		hidden:      slices.Clone(hidden),
		epochs:      DefaultEpochs,
		adam:        KerasAdam(),
		initSD:      0.05,
		dropoutSeed: 1,
	}
}

// Clone returns an independent copy.
func (c *Config) Clone() *Config {
	out := *c
	out.hidden = slices.Clone(c.hidden)
	if c.seeds != nil {
		s := Seeds{Kernel: slices.Clone(c.seeds.Kernel), Bias: slices.Clone(c.seeds.Bias)}
		out.seeds = &s
	}
	return &out
}

// Seeds sets the kernel and bias initializer seeds, one per layer including the output layer. Without it the
// seeds are DrawSeeds(1, len(hidden)).
func (c *Config) Seeds(s Seeds) *Config {
	s = Seeds{Kernel: slices.Clone(s.Kernel), Bias: slices.Clone(s.Bias)}
	c.seeds = &s
	return c
}

// Epochs sets the number of full-batch Adam steps.
func (c *Config) Epochs(n int) *Config { c.epochs = n; return c }

// Optimizer replaces the Adam settings.
func (c *Config) Optimizer(a Adam) *Config { c.adam = a; return c }

// InitStdDev sets the standard deviation of the normal initializer (default 0.05).
func (c *Config) InitStdDev(sd float64) *Config { c.initSD = sd; return c }

// Dropout adds dropout with the given rate after every hidden layer; seed drives the masks.
func (c *Config) Dropout(rate float64, mode DropoutMode, seed int64) *Config {
	c.dropout, c.dropoutMode, c.dropoutSeed = rate, mode, seed
	return c
}

// WithHistory records, per epoch, the training loss and the validation loss.
func (c *Config) WithHistory() *Config { c.history = true; return c }

// Cache selects where fits are memoized; nil or fitcache.Off() disables it. The default is fitcache.Default().
func (c *Config) Cache(fc *fitcache.Cache) *Config {
	if fc == nil {
		fc = fitcache.Off()
	}
	c.cache = fc
	return c
}

// Backend runs this fit, and the model it returns, on b instead of the process-wide backend.Get().
func (c *Config) Backend(b compute.Backend) *Config { c.backend = b; return c }

// compute returns the backend the fit runs on and its name for the cache key.
func (c *Config) compute() (compute.Backend, string, error) {
	if c.backend != nil {
		return c.backend, c.backend.Name() + ":" + c.backend.Description(), nil
	}
	b, err := backend.Get()
	return b, backend.Identity(backend.Choose().Config), err
}

// Quiet turns the progress display off for this fit.
func (c *Config) Quiet() *Config { c.quiet = true; return c }

// Hidden returns the hidden-layer widths.
func (c *Config) Hidden() []int { return slices.Clone(c.hidden) }

// Architecture is a short name such as "5x512" or "1024-512-1".
func (c *Config) Architecture() string { return architecture(c.hidden) }

func architecture(hidden []int) string {
	if len(hidden) == 0 {
		return "linear"
	}
	same := true
	for _, w := range hidden {
		same = same && w == hidden[0]
	}
	if same {
		return fmt.Sprintf("%dx%d", len(hidden), hidden[0])
	}
	parts := make([]string, len(hidden))
	for i, w := range hidden {
		parts[i] = strconv.Itoa(w)
	}
	return strings.Join(parts, "-")
}

// resolvedSeeds returns the seeds in effect.
func (c *Config) resolvedSeeds() Seeds {
	if c.seeds != nil {
		return *c.seeds
	}
	return DrawSeeds(1, len(c.hidden))
}

// Validate reports the first setting out of range, naming it and the accepted values.
func (c *Config) Validate() error {
	if len(c.hidden) == 0 {
		return fmt.Errorf("hidden widths are empty: give at least one hidden layer width, e.g. mlp.New(32, 32)")
	}
	for i, w := range c.hidden {
		if w < 1 {
			return fmt.Errorf("hidden width #%d is %d: widths must be integers >= 1", i, w)
		}
	}
	want := len(c.hidden) + 1
	s := c.resolvedSeeds()
	if len(s.Kernel) != want || len(s.Bias) != want {
		return fmt.Errorf("seed lists have %d kernel and %d bias seeds: need %d each (%d hidden layers + the output layer); "+
			"mlp.DrawSeeds(seed, %d) makes them", len(s.Kernel), len(s.Bias), want, len(c.hidden), len(c.hidden))
	}
	if c.epochs < 1 {
		return fmt.Errorf("epochs = %d: need at least 1", c.epochs)
	}
	if !(c.dropout >= 0 && c.dropout < 1) {
		return fmt.Errorf("dropout rate = %g: need a value in [0, 1)", c.dropout)
	}
	if c.dropoutMode != Inverted && c.dropoutMode != ScaleAtPredict {
		return fmt.Errorf("dropout mode = %d: use mlp.Inverted or mlp.ScaleAtPredict", int(c.dropoutMode))
	}
	a := c.adam
	switch {
	case !(a.LearningRate > 0) || math.IsInf(a.LearningRate, 0):
		return fmt.Errorf("learning rate = %g: need a finite value > 0", a.LearningRate)
	case !(a.Beta1 >= 0 && a.Beta1 < 1), !(a.Beta2 >= 0 && a.Beta2 < 1):
		return fmt.Errorf("Adam betas = (%g, %g): each must be in [0, 1)", a.Beta1, a.Beta2)
	case !(a.Epsilon > 0) || math.IsInf(a.Epsilon, 0):
		return fmt.Errorf("Adam epsilon = %g: need a finite value > 0", a.Epsilon)
	case !(c.initSD > 0) || math.IsInf(c.initSD, 0):
		return fmt.Errorf("initializer standard deviation = %g: need a finite value > 0", c.initSD)
	}
	return nil
}

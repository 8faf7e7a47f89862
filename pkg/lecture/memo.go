package lecture

import (
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"math"
	"sync"

	"github.com/golecture/regularization/pkg/backend"
	"github.com/golecture/regularization/pkg/cellcost"
	"github.com/golecture/regularization/pkg/codehash"
	"github.com/golecture/regularization/pkg/fitcache"
	"github.com/golecture/regularization/pkg/mlp"
	"github.com/golecture/regularization/pkg/runner"
)

// GoNB runs every cell as a new program, so whatever a cell computes from the fits (predictions, scores,
// dropout averages, gradients) would be computed again, XLA compilation included, by every rerun of the
// cell. These results are a pure function of the model's weights, the inputs, the backend and the code, so
// they are kept in the fit cache next to the fits, under a key made of all of those, and a warm cell only
// reads them.

//go:embed *.go
var sources embed.FS

// CodeHash identifies the code that computes remembered results: this package's and mlp's (see package
// codehash), so that an edit to a score or a prediction is a miss at the next cell.
var CodeHash = sync.OnceValue(func() string { return codehash.Of(sources, mlp.CodeHash()) })

// remember returns the result stored under (what, parts) for this backend and code, or computes it with
// compute and stores it. Kernels sharing a cache take the key's lock, so a result is computed once however
// many ask at the same time. A result that cannot be stored is only computed again next time: nothing is
// lost.
func remember[T any](what string, compute func() (T, error), parts ...any) (T, error) {
	defer cellcost.Time("remembered")()
	key := fitcache.Key(append([]any{CodeHash(), what, backendIdentity()}, parts...)...)
	var v T
	if ok, err := cache().Load(key, &v); err == nil && ok {
		return v, nil
	}
	if release, err := cache().Lock(key); err == nil {
		defer release()
		if ok, err := cache().Load(key, &v); err == nil && ok {
			return v, nil // Another kernel computed it while this one waited.
		}
	}
	runner.Trace("computed "+what, key)
	defer cellcost.Time("compute")()
	v, err := compute()
	if err != nil {
		return v, err
	}
	_ = cache().Save(key, v)
	return v, nil
}

var backendIdentity = sync.OnceValue(func() string { return backend.Identity(backend.Choose().Config) })

// fingerprints remembers each model's fingerprint for the life of the program (hashing a 5x1024 network's
// 16 MB of weights takes milliseconds, but cells ask many times).
var fingerprints sync.Map // *mlp.Model -> string

// fingerprint identifies what a model computes: its spec and every weight. A model is never changed after
// it is made (fits are read-only values), so the pointer can stand for its contents within a program.
func fingerprint(m *mlp.Model) string {
	if f, ok := fingerprints.Load(m); ok {
		return f.(string)
	}
	h := sha256.New()
	h.Write([]byte(m.Spec.Key()))
	for _, w := range m.Weights {
		writeFloats(h, w.Kernel)
		writeFloats(h, w.Bias)
	}
	f := hex.EncodeToString(h.Sum(nil))
	fingerprints.Store(m, f)
	return f
}

// digest identifies a list of inputs.
func digest(xs []float32) string {
	h := sha256.New()
	writeFloats(h, xs)
	return hex.EncodeToString(h.Sum(nil))
}

func writeFloats(h interface{ Write([]byte) (int, error) }, xs []float32) {
	buf := make([]byte, 4*len(xs))
	for i, x := range xs {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(x))
	}
	_, _ = h.Write(buf)
}

// predict is m.Predict(xs), remembered; a stored result of the wrong length is computed again.
func predict(m *mlp.Model, xs []float32) ([]float32, error) {
	p, err := remember("predict", func() ([]float32, error) { return m.Predict(xs) }, fingerprint(m), digest(xs))
	if err == nil && len(p) != len(xs) {
		return m.Predict(xs)
	}
	return p, err
}

// meanTrainingOutput is m.MeanTrainingOutput, remembered.
func meanTrainingOutput(m *mlp.Model, xs []float32, draws int, seed int64) (mean, stderr []float64, err error) {
	r, err := remember("mean training output", func() ([2][]float64, error) {
		mean, se, err := m.MeanTrainingOutput(xs, draws, seed)
		return [2][]float64{mean, se}, err
	}, fingerprint(m), digest(xs), draws, seed)
	if err == nil && (len(r[0]) != len(xs) || len(r[1]) != len(xs)) {
		mean, se, err := m.MeanTrainingOutput(xs, draws, seed)
		return mean, se, err
	}
	return r[0], r[1], err
}

// fitScores fits spec (through the fit cache, under the progress label) and returns its scores, remembered
// under the fit's own key: a warm sweep then neither reads the fits (up to 16 MB each) nor computes anything.
func fitScores(spec *mlp.Spec, label string) (Scores, error) {
	return remember("fit scores", func() (Scores, error) {
		m, err := fitQuietly(spec, label)
		if err != nil {
			return Scores{}, err
		}
		return scores(m)
	}, fitKey(spec))
}

// fitQuietly fits spec through the fit cache under a progress label, for the sweeps, which show their own
// progress and report their own errors.
func fitQuietly(spec *mlp.Spec, label string) (*mlp.Model, error) {
	return runner.Fit(spec, Data(), runner.Options{Cache: cache(), Label: label})
}

// fitKey is the fit cache's key of spec's fit.
func fitKey(spec *mlp.Spec) string { return runner.Key(spec, Data(), backendIdentity()) }

var dataDigest = sync.OnceValue(func() string {
	ds := Data()
	return digest(ds.TrainX) + digest(ds.TrainY) + digest(ds.ValX) + digest(ds.ValY)
})

package lecture

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"sync"

	"github.com/golecture/regularization/pkg/backend"
	"github.com/golecture/regularization/pkg/fitcache"
	"github.com/golecture/regularization/pkg/mlp"
	"github.com/golecture/regularization/pkg/runner"
)

// GoNB runs every cell as a new program, so whatever a cell computes from the fits (predictions, scores,
// dropout averages, gradients) would be computed again, XLA compilation included, by every rerun of the
// cell. These results are a pure function of the model's weights, the inputs and the backend, so they are
// kept in the fit cache next to the fits, under a key made of all of those, and a warm cell only reads them.

// resultsVersion is part of every result's key: bump it whenever a change in this package, or in how package
// mlp predicts, evaluates or samples, alters a remembered result (runner.CodeVersion covers training).
const resultsVersion = "lecture-results-v1"

// remember returns the result stored under (what, parts) for this backend, or computes it with compute and
// stores it. A result that cannot be stored is only computed again next time: nothing is lost.
func remember[T any](what string, compute func() (T, error), parts ...any) (T, error) {
	key := fitcache.Key(append([]any{resultsVersion, runner.CodeVersion, what, backendIdentity()}, parts...)...)
	var v T
	if ok, err := cache().Load(key, &v); err == nil && ok {
		return v, nil
	}
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
	if m == nil {
		return ""
	}
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

// predict is m.Predict(xs), remembered.
func predict(m *mlp.Model, xs []float32) ([]float32, error) {
	return remember("predict", func() ([]float32, error) { return m.Predict(xs) }, fingerprint(m), digest(xs))
}

// averagePredictions is mlp.AveragePredictions over remembered predictions.
func averagePredictions(members []*mlp.Model, xs []float32) (each [][]float32, mean []float32, err error) {
	return mlp.AveragePredictionsWith(members, xs, predict)
}

// The sweeps remember what they show of each fit under the fit's own cache key: a warm sweep then neither
// reads the fits (up to 16 MB each) nor computes anything.

// fitScores fits spec (through the fit cache, under the progress label) and returns its scores.
func fitScores(spec *mlp.Spec, label string) (Scores, error) {
	return remember("fit scores", func() (Scores, error) {
		_, s, err := fitAndScore(spec, label)
		return s, err
	}, runner.Key(spec, Data(), backendIdentity()))
}

// seedFit is what the seed sweep shows of one fit.
type seedFit struct {
	Scores        Scores
	FirstLayerMax float64
}

// meanTrainingOutput is m.MeanTrainingOutput, remembered.
func meanTrainingOutput(m *mlp.Model, xs []float32, draws int, seed int64) (mean, stderr []float64, err error) {
	r, err := remember("mean training output", func() ([2][]float64, error) {
		mean, se, err := m.MeanTrainingOutput(xs, draws, seed)
		return [2][]float64{mean, se}, err
	}, fingerprint(m), digest(xs), draws, seed)
	return r[0], r[1], err
}

var dataDigestOnce = sync.OnceValue(func() string {
	ds := Data()
	if ds == nil {
		return ""
	}
	return digest(ds.TrainX) + digest(ds.TrainY) + digest(ds.ValX) + digest(ds.ValY)
})

// dataDigest identifies the lecture's data set.
func dataDigest() string { return dataDigestOnce() }

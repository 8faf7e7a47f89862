// Package runner runs fits the way a notebook needs them run: memoized in the fit cache, with a progress
// display (in a notebook, the loss curve growing while a fit trains), one process at a time per fit, on the
// chosen backend. Package mlp says what a fit computes; this
// package decides how it is run.
//
// The cache key hashes the whole spec ([mlp.Spec.Key]), the data bit for bit, the backend's identity and
// the code that trains ([mlp.CodeHash]: a hash of the Go sources, so an edit that changes a fit is a miss). A fit recorded with history serves a later request for the same fit without history. Every
// entry read from the cache is checked ([mlp.Model.Check]: shapes and finite values) before use; a bad one
// is dropped and refitted.
//
// Example:
//
//	ds, _ := data.Generate(data.Lecture())
//	m, err := runner.Fit(mlp.Stack(32, 32).Seed(1).Epochs(200), ds, runner.Options{Quiet: true})
//	if err != nil { ... }
package runner

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/gomlx/compute"

	"github.com/golecture/regularization/pkg/backend"
	"github.com/golecture/regularization/pkg/data"
	"github.com/golecture/regularization/pkg/fitcache"
	"github.com/golecture/regularization/pkg/mlp"
	"github.com/golecture/regularization/pkg/progress"
)

// Options say how to run a fit; none of them changes its result.
type Options struct {
	Cache   *fitcache.Cache // Nil: fitcache.Default(). fitcache.Off() disables caching.
	Backend compute.Backend // Nil: backend.Get().
	Quiet   bool            // No progress display.
	Label   string          // Progress label; empty: "fit <architecture>".
	// Stop, when it delivers (or is closed), ends a fit after its current epoch with an *Interrupted error;
	// nothing is cached. It also ends a wait for another process training the same fit. Nil: never.
	Stop <-chan struct{}
	// Waiting, if set, is told once who holds the fit's lock when another process is training the same fit.
	Waiting func(holder string)
}

// Interrupted is the error of a fit ended through Options.Stop.
type Interrupted struct {
	Label         string
	Epoch, Epochs int
}

func (e *Interrupted) Error() string {
	return fmt.Sprintf("%s interrupted at epoch %d of %d: nothing was cached", e.Label, e.Epoch, e.Epochs)
}

func (o Options) cache() *fitcache.Cache {
	if o.Cache == nil {
		return fitcache.Default()
	}
	return o.Cache
}

// identity returns the identity of the backend a fit runs on, for its cache key, without starting the
// backend: a cached fit needs none, and starting XLA's (loading the PJRT plugin) took about 0.3 s of every
// notebook cell that declares a fit.
func (o Options) identity() (string, error) {
	if o.Backend != nil {
		return o.Backend.Name() + ":" + o.Backend.Description(), nil
	}
	c := backend.Choose()
	if c.Err != nil {
		return "", c.Err
	}
	return backend.Identity(c.Config), nil
}

// backendOf returns the backend to train on.
func (o Options) backendOf() (compute.Backend, error) {
	if o.Backend != nil {
		return o.Backend, nil
	}
	return backend.Get()
}

// Key returns the cache key of fitting spec on ds with the backend of the given identity.
func Key(spec *mlp.Spec, ds *data.Dataset, backendIdentity string) string {
	return fitcache.Key(mlp.CodeHash(), spec.Key(), dataDigest(ds), backendIdentity)
}

// dataDigest hashes the training and validation values bit for bit.
func dataDigest(ds *data.Dataset) string {
	h := sha256.New()
	for _, xs := range [][]float32{ds.TrainX, ds.TrainY, ds.ValX, ds.ValY} {
		_ = binary.Write(h, binary.LittleEndian, int64(len(xs)))
		_ = binary.Write(h, binary.LittleEndian, xs)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Fit returns the model spec trains on ds: from the cache when an identical fit was saved, else trained
// (and saved). Two processes asking for the same fit at once train it once: the second waits and loads.
func Fit(spec *mlp.Spec, ds *data.Dataset, opts Options) (*mlp.Model, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if ds == nil {
		return nil, fmt.Errorf("data set is nil: make one with data.Generate(data.Lecture())")
	}
	identity, err := opts.identity()
	if err != nil {
		return nil, err
	}
	cache := opts.cache()
	key := Key(spec, ds, identity)
	label := opts.Label
	if label == "" {
		label = "fit " + spec.Architecture()
	}
	release, err := cache.LockWait(key, label, opts.Stop, opts.Waiting)
	if errors.Is(err, fitcache.ErrStopped) {
		return nil, &Interrupted{Label: label + " (while waiting for another process)", Epochs: spec.Settings().NumEpochs}
	}
	if err != nil {
		return nil, err
	}
	defer release()
	if m, ok := load(cache, key, spec); ok {
		m.SetBackend(opts.Backend)
		return m, nil
	}
	if err := cache.Check(); err != nil {
		return nil, err
	}
	b, err := opts.backendOf()
	if err != nil {
		return nil, err
	}
	var bar *progress.Bar
	if !opts.Quiet {
		// In a notebook the cell shows the loss curve growing; the cell's figure replaces it at the end.
		bar = progress.NewCurve(label, spec.Settings().NumEpochs)
	}
	Trace("trained", key)
	m, err := mlp.Train(spec, ds, b, func(epoch int, loss float64) error {
		bar.Update(epoch, loss)
		select {
		case <-opts.Stop:
			return &Interrupted{Label: label, Epoch: epoch, Epochs: spec.Settings().NumEpochs}
		default:
			return nil
		}
	})
	if err != nil {
		bar.Stop() // Not Done: that would claim the fit finished.
		return nil, err
	}
	bar.Done()
	m.SetBackend(opts.Backend)
	if err := cache.Save(key, m); err != nil {
		return m, fmt.Errorf("the fit worked but was not cached, so the next cell that uses it trains it "+
			"again: %w", err)
	}
	return m, nil
}

// load returns the cached fit for key if there is a sound one that has what spec asks for (a history, if
// requested). An entry that fails its checks is dropped.
func load(cache *fitcache.Cache, key string, spec *mlp.Spec) (*mlp.Model, bool) {
	var m mlp.Model
	hit, err := cache.Load(key, &m)
	if err != nil || !hit {
		return nil, false
	}
	if err := m.Check(); err != nil || m.Spec.Key() != spec.Key() {
		_ = cache.Remove(key)
		return nil, false
	}
	if spec.Settings().RecordHistory && m.History == nil {
		return nil, false // Refit with history; the new entry replaces this one.
	}
	if !spec.Settings().RecordHistory {
		m.History = nil
	}
	m.Spec = spec.Clone() // The same key: it differs at most in whether it records a history.
	return &m, true
}

// MaxMembers caps the size of an ensemble.
const MaxMembers = 1000

// Ensemble fits k copies of spec, each with its own seeds drawn from seed, and returns them in order. Each
// member is cached on its own, so an interrupted ensemble resumes where it stopped; members fitted before an
// error are returned with it.
func Ensemble(spec *mlp.Spec, ds *data.Dataset, k int, seed uint64, opts Options) ([]*mlp.Model, error) {
	if k < 1 || k > MaxMembers {
		return nil, fmt.Errorf("ensemble size k = %d: need between 1 and %d members", k, MaxMembers)
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0xe45e3b1e))
	members := make([]*mlp.Model, 0, k)
	var bar *progress.Bar
	if !opts.Quiet {
		bar = progress.Counter(fmt.Sprintf("ensemble of %d x %s", k, spec.Architecture()), "member", k)
	}
	for i := range k {
		member := spec.Clone().Seed(rng.Uint64())
		o := opts
		o.Label = fmt.Sprintf("member %d of %d: fit %s", i+1, k, spec.Architecture())
		m, err := Fit(member, ds, o)
		if err != nil {
			return members, fmt.Errorf("ensemble member %d of %d: %w", i+1, k, err)
		}
		members = append(members, m)
		bar.Update(i+1, 0)
	}
	bar.Done()
	return members, nil
}

// TraceEnvVar names a file to which every fit trained and every result computed (not loaded from the cache)
// is appended as one line: "<pid> <what> <key>". It is for measuring, as how often kernels sharing a cache
// repeat each other's work.
const TraceEnvVar = "LECTURE_TRACE"

// Trace appends one line to the file $LECTURE_TRACE names, if it is set. Lines are short single writes to
// a file opened for appending, so lines from several processes do not interleave.
func Trace(what, key string) {
	path := os.Getenv(TraceEnvVar)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = fmt.Fprintf(f, "%d %s %s\n", os.Getpid(), strings.ReplaceAll(what, " ", "_"), key)
}

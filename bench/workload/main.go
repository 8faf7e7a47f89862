// Command workload times the lecture's whole cold training workload (every fit the two notebooks run with
// an empty fit cache, in the notebooks' order) and four per-epoch micro rows, through pkg/mlp's public API
// only, and prints the timings as one JSON object on stdout. scripts/bench.sh runs it on XLA CPU and on the
// pure-Go backend, next to Python peers (bench/peers) that print the same JSON; bench/README.md describes
// the rows.
//
//	workload [-backend CONFIG] [-smoke | -scale F] [-fits LIST] [-micro LIST]
//	workload -dump-data FILE [-dump-init FILE]
//
// The workload is timed from a created backend to the last fit, graph compilation included, as a cold
// notebook pays it; creating the backend (loading the PJRT plugin) is reported apart as setup_seconds.
// It goes through no fit cache: mlp.Train is called directly.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/compute"

	"github.com/golecture/regularization/pkg/backend"
	"github.com/golecture/regularization/pkg/data"
	"github.com/golecture/regularization/pkg/mlp"
)

// FitDef is one fit of the workload, in the terms the Python peers read from the data dump: hidden widths,
// the dropout rate after each hidden layer (0: none), the epochs, and whether the validation loss is
// computed after every epoch.
type FitDef struct {
	Group   string    `json:"group"` // Short key, for -fits and the report's per-group table.
	Name    string    `json:"name"`
	Hidden  []int     `json:"hidden"`
	Dropout []float64 `json:"dropout,omitempty"`
	Epochs  int       `json:"epochs"`
	History bool      `json:"history,omitempty"`

	spec *mlp.Spec // With the notebooks' seeds; nil in the dump.
}

// MicroDef is one per-epoch row: N epochs (N validation passes for the "pass" kind) against 1.
type MicroDef struct {
	Row     string    `json:"row"`
	Kind    string    `json:"kind"` // "adam" (one training epoch) or "pass" (one validation pass).
	Hidden  []int     `json:"hidden"`
	Dropout []float64 `json:"dropout,omitempty"`
	N       int       `json:"n"`

	spec *mlp.Spec
}

// FitResult and MicroResult are the JSON rows every system prints.
type FitResult struct {
	Group    string  `json:"group"`
	Name     string  `json:"name"`
	Epochs   int     `json:"epochs"`
	Seconds  float64 `json:"seconds"`
	TrainMSE float64 `json:"train_mse"` // After the last step, dropout off: a check that the fit trained.
}

type MicroResult struct {
	Row    string  `json:"row"`
	Ms     float64 `json:"ms"` // Per epoch, or per validation pass.
	N      int     `json:"n"`
	Method string  `json:"method"`
}

type Result struct {
	System          string        `json:"system"`
	Backend         string        `json:"backend"`
	Scale           float64       `json:"scale"`
	Threads         int           `json:"threads"`
	SetupSeconds    float64       `json:"setup_seconds"`
	WorkloadSeconds float64       `json:"workload_seconds"`
	Fits            []FitResult   `json:"fits"`
	Micro           []MicroResult `json:"micro"`
}

func widths(n, w int) []int { return slices.Repeat([]int{w}, n) }

// dropoutNet is the notebook's dropoutNet: 5 x 1024 with dropout after each of the first four hidden layers.
func dropoutNet(rate float64) *mlp.Spec {
	return mlp.Sequential(
		mlp.Dense(1024, mlp.ReLU), mlp.Dropout(rate),
		mlp.Dense(1024, mlp.ReLU), mlp.Dropout(rate),
		mlp.Dense(1024, mlp.ReLU), mlp.Dropout(rate),
		mlp.Dense(1024, mlp.ReLU), mlp.Dropout(rate),
		mlp.Dense(1024, mlp.ReLU),
		mlp.Dense(1, mlp.Linear),
	).Seed(8746).Masks(mlp.Inverted, 8746).Epochs(1000)
}

func dropoutRates(rate float64) []float64 { return []float64{rate, rate, rate, rate, 0} }

// workload lists the notebooks' cold fits in order (notebooks/*.ipynb; the seeds are the notebooks').
func workload() []FitDef {
	fits := []FitDef{
		{Group: "5x512", Name: "5x512", Hidden: widths(5, 512), Epochs: 1000,
			spec: mlp.Stack(widths(5, 512)...).Seed(65392)},
		{Group: "5x256-history", Name: "5x256 + validation loss every epoch", Hidden: widths(5, 256), Epochs: 1000,
			History: true, spec: mlp.Stack(widths(5, 256)...).Seed(65392).WithHistory()},
		{Group: "5x256-100", Name: "5x256, 100 epochs", Hidden: widths(5, 256), Epochs: 100,
			spec: mlp.Stack(widths(5, 256)...).Seed(65392).Epochs(100)},
	}
	// The ensemble's members draw their seeds as runner.Ensemble does.
	rng := rand.New(rand.NewPCG(65392, 0xe45e3b1e))
	for i := range 10 {
		fits = append(fits, FitDef{Group: "ensemble", Name: fmt.Sprintf("ensemble member %d (5x256, 100 epochs)", i+1),
			Hidden: widths(5, 256), Epochs: 100,
			spec: mlp.Stack(widths(5, 256)...).Epochs(100).Seed(rng.Uint64())})
	}
	for _, rate := range []float64{0.2, 0.05} {
		fits = append(fits, FitDef{Group: "dropout", Name: fmt.Sprintf("5x1024, dropout %g", rate),
			Hidden: widths(5, 1024), Dropout: dropoutRates(rate), Epochs: 1000, spec: dropoutNet(rate)})
	}
	for _, d := range []int{13, 14, 15} {
		fits = append(fits, FitDef{Group: "deep", Name: fmt.Sprintf("%dx32", d), Hidden: widths(d, 32), Epochs: 1000,
			spec: mlp.Stack(widths(d, 32)...).Seed(5)})
	}
	for s := uint64(1); s <= 8; s++ {
		fits = append(fits, FitDef{Group: "seeds", Name: fmt.Sprintf("15x32, seed %d", s), Hidden: widths(15, 32),
			Epochs: 1000, spec: mlp.Stack(widths(15, 32)...).Seed(s)})
	}
	return fits
}

// micro lists the per-epoch rows; N is chosen so that each takes a few seconds on XLA CPU here.
func micro() []MicroDef {
	return []MicroDef{
		{Row: "adam_5x512", Kind: "adam", Hidden: widths(5, 512), N: 200, spec: mlp.Stack(widths(5, 512)...).Seed(65392)},
		{Row: "val_5x256", Kind: "pass", Hidden: widths(5, 256), N: 30, spec: mlp.Stack(widths(5, 256)...).Seed(65392)},
		{Row: "adam_5x1024_dropout", Kind: "adam", Hidden: widths(5, 1024), Dropout: dropoutRates(0.2), N: 60,
			spec: dropoutNet(0.2)},
		{Row: "adam_15x32", Kind: "adam", Hidden: widths(15, 32), N: 1000,
			spec: mlp.Stack(widths(15, 32)...).Seed(5)},
	}
}

// Scaled epoch counts: the Python peers apply the same rules (bench/peers/common.py).
func scaleEpochs(e int, scale float64) int { return max(1, int(math.Round(float64(e)*scale))) }
func scaleN(n int, scale float64) int      { return max(3, int(math.Round(float64(n)*scale))) }

func main() {
	cfg := flag.String("backend", "", "GOMLX_BACKEND-style configuration (go, xla:cpu, xla:/path/plugin.so); "+
		"default: what pkg/backend chooses")
	smoke := flag.Bool("smoke", false, "tiny epoch counts (same as -scale 0.005): seconds in all")
	scale := flag.Float64("scale", 1, "multiply every epoch count (and micro row length) by this")
	fitsFlag := flag.String("fits", "all", "comma-separated groups of fits to run (5x512, 5x256-history, "+
		"5x256-100, ensemble, dropout, deep, seeds), or none")
	microFlag := flag.String("micro", "all", "comma-separated micro rows to run, or none")
	dumpData := flag.String("dump-data", "", "write the data set and the workload's definition as JSON to this file and exit")
	dumpInit := flag.String("dump-init", "", "with -dump-data: also write the 5x512 fit's initial weights (mlp.Initial) "+
		"as JSON here, so a peer can start from the same point")
	system := flag.String("system", "", "name of this system in the JSON (default gomlx-<backend name>)")
	flag.Parse()
	if *smoke && *scale == 1 {
		*scale = 0.005
	}
	ds, err := data.Generate(data.Lecture())
	check(err)
	if *dumpData != "" {
		check(writeDump(*dumpData, *dumpInit, ds))
		return
	}

	backend.Quiet = true // The choice goes to stderr, keeping stdout pure JSON.
	t0 := time.Now()
	var b compute.Backend
	config := *cfg
	if config == "" {
		config = backend.Choose().Config
		b, err = backend.Get()
	} else {
		b, err = backend.New(config)
	}
	check(err)
	setup := time.Since(t0).Seconds()
	fmt.Fprintf(os.Stderr, "workload: backend %s (%s)\n", b.Name(), backend.Identity(config))
	res := Result{System: *system, Backend: b.Name() + " " + backend.Identity(config), Scale: *scale,
		Threads: runtime.NumCPU(), SetupSeconds: setup}
	if res.System == "" {
		res.System = "gomlx-" + b.Name()
	}

	groups := selection(*fitsFlag)
	start := time.Now()
	for _, f := range workload() {
		if !groups(f.Group) {
			continue
		}
		spec := f.spec.Epochs(scaleEpochs(f.Epochs, *scale))
		t := time.Now()
		m, err := mlp.Train(spec, ds, b, nil)
		check(err)
		sec := time.Since(t).Seconds()
		// Scored outside the clock: the notebooks score models in later cells.
		pause := time.Now()
		mse, err := m.Evaluate(ds.TrainX, ds.TrainY)
		check(err)
		start = start.Add(time.Since(pause))
		res.Fits = append(res.Fits, FitResult{Group: f.Group, Name: f.Name, Epochs: spec.Settings().NumEpochs, Seconds: sec, TrainMSE: mse})
		fmt.Fprintf(os.Stderr, "workload: %-42s %4d epochs %8.3f s  train MSE %.5f\n", f.Name, spec.Settings().NumEpochs, sec, mse)
	}
	res.WorkloadSeconds = time.Since(start).Seconds()

	rows := selection(*microFlag)
	for _, d := range micro() {
		if !rows(d.Row) {
			continue
		}
		r, err := timeMicro(d, scaleN(d.N, *scale), ds, b)
		check(err)
		res.Micro = append(res.Micro, r)
		fmt.Fprintf(os.Stderr, "workload: %-22s %9.3f ms (%s)\n", r.Row, r.Ms, r.Method)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	check(enc.Encode(res))
}

// timeMicro measures one micro row on warm graphs. A Train call also resets the weights and the optimizer
// state, and the first call for an architecture compiles its graphs; so each row first warms up with a
// 1-epoch fit, then takes t1 (best of 3 one-epoch fits) and tn (best of 2 n-epoch fits) and reports
// (tn - t1) / (n - 1): what one more epoch costs, fixed costs cancelled. A validation pass is one
// Model.Evaluate over the 10,000 validation points: the mean of n calls after two warm-up calls.
func timeMicro(d MicroDef, n int, ds *data.Dataset, b compute.Backend) (MicroResult, error) {
	r := MicroResult{Row: d.Row, N: n}
	if d.Kind == "pass" {
		m, err := mlp.Initial(d.spec)
		if err != nil {
			return r, err
		}
		m.SetBackend(b)
		for range 2 {
			if _, err := m.Evaluate(ds.ValX, ds.ValY); err != nil {
				return r, err
			}
		}
		t := time.Now()
		for range n {
			if _, err := m.Evaluate(ds.ValX, ds.ValY); err != nil {
				return r, err
			}
		}
		r.Ms = time.Since(t).Seconds() * 1000 / float64(n)
		r.Method = fmt.Sprintf("mean of %d Model.Evaluate calls on %d points after 2 warm-up calls", n, len(ds.ValX))
		return r, nil
	}
	fit := func(epochs int) (float64, error) {
		t := time.Now()
		_, err := mlp.Train(d.spec.Clone().Epochs(epochs), ds, b, nil)
		return time.Since(t).Seconds(), err
	}
	best := func(epochs, reps int) (float64, error) {
		out := math.Inf(1)
		for range reps {
			s, err := fit(epochs)
			if err != nil {
				return 0, err
			}
			out = min(out, s)
		}
		return out, nil
	}
	if _, err := fit(1); err != nil { // Warm-up: compiles.
		return r, err
	}
	t1, err := best(1, 3)
	if err != nil {
		return r, err
	}
	tn, err := best(n, 2)
	if err != nil {
		return r, err
	}
	r.Ms = max(tn-t1, 0) * 1000 / float64(n-1)
	r.Method = fmt.Sprintf("(best of 2 Train(%d epochs) - best of 3 Train(1 epoch)) / %d, after a warm-up Train", n, n-1)
	return r, nil
}

func selection(list string) func(string) bool {
	if list == "all" {
		return func(string) bool { return true }
	}
	set := map[string]bool{}
	for _, s := range strings.Split(list, ",") {
		set[strings.TrimSpace(s)] = true
	}
	return func(s string) bool { return set[s] }
}

// dump is what the Python peers read: the same data bit for bit (float32 values print exactly) and the
// same fits and micro rows, so the architectures and epoch counts are defined here only.
type dump struct {
	TrainX []float32  `json:"train_x"`
	TrainY []float32  `json:"train_y"`
	ValX   []float32  `json:"val_x"`
	ValY   []float32  `json:"val_y"`
	Fits   []FitDef   `json:"fits"`
	Micro  []MicroDef `json:"micro"`
	Adam   any        `json:"adam"`
	InitSD float64    `json:"init_sd"`
}

func writeDump(path, initPath string, ds *data.Dataset) error {
	spec := mlp.Stack(1, 1) // Carries mlp's defaults, which the peers must match.
	d := dump{TrainX: ds.TrainX, TrainY: ds.TrainY, ValX: ds.ValX, ValY: ds.ValY, Fits: workload(), Micro: micro(),
		Adam: spec.Settings().Adam, InitSD: spec.Settings().InitSD}
	if err := writeJSON(path, d); err != nil {
		return err
	}
	if initPath == "" {
		return nil
	}
	m, err := mlp.Initial(workload()[0].spec)
	if err != nil {
		return err
	}
	return writeJSON(initPath, map[string]any{"group": "5x512", "layers": m.Weights})
}

func writeJSON(path string, v any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(f).Encode(v); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "workload:", err)
		os.Exit(1)
	}
}

// Command memprobe trains one fit and prints what it really held in memory next to what mlp.Spec.Bytes
// estimated, so that the estimate can be checked against the process's peak resident set size.
//
// Usage:
//
//	go run ./scripts/memprobe [-epochs 1] [-history] [-train 50] [-val 10000] [-sd 0.01] [-limit 8] WIDTHS
//
// WIDTHS are the hidden layers: "8000,8000", or "1024x5" for five layers of 1024. The fit runs on the backend
// GOMLX_BACKEND names (unset: the local XLA CPU plugin), on the lecture's data with the given numbers of
// training and validation points. memprobe prints one tab-separated line (with -header, a header line first):
//
//	hidden epochs history train val params units points est_bytes base_rss peak_rss gob_bytes seconds
//
// where train and val are the numbers of training and validation points, units is the number of activations per input point (the widths of every dense layer, output
// included), points is the number of inputs a step runs on (training points, or validation points when
// there are more of them and -history asks for a validation pass), est_bytes is Spec.Memory,
// base_rss the resident set size with the backend up and the data made, peak_rss the process's high-water
// mark (VmHWM) after the fit, and gob_bytes the size of the gob encoding of the model, which is what a fit
// cache entry holds. Sizes are in bytes. A watchdog ends the process with status 3 if its resident set
// grows past -limit GiB, so that a probe of a too-large network cannot take the machine down.
package main

import (
	"bufio"
	"encoding/gob"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/golecture/regularization/pkg/backend"
	"github.com/golecture/regularization/pkg/data"
	"github.com/golecture/regularization/pkg/mlp"
)

func main() {
	epochs := flag.Int("epochs", 1, "full-batch Adam steps")
	history := flag.Bool("history", false, "record the validation loss every epoch (WithHistory)")
	train := flag.Int("train", data.Lecture().NumTrain, "training points")
	val := flag.Int("val", data.Lecture().NumVal, "validation points")
	sd := flag.Float64("sd", 0, "standard deviation of the initial weights (0: the spec's default); wide networks need less to not diverge")
	limit := flag.Float64("limit", 8, "GiB of resident memory after which the probe kills itself")
	header := flag.Bool("header", false, "print a header line first")
	phases := flag.Bool("phases", false, "also say on standard error what the process held after each phase, and how much of it was Go's heap")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: memprobe [flags] WIDTHS (e.g. 8000,8000 or 1024x5)")
		flag.PrintDefaults()
		os.Exit(2)
	}
	hidden, err := parseWidths(flag.Arg(0))
	if err != nil {
		fail(err)
	}
	go watchdog(uint64(*limit * (1 << 30)))

	layers := make([]mlp.Layer, 0, len(hidden)+1)
	for _, w := range hidden {
		layers = append(layers, mlp.Dense(w, mlp.ReLU))
	}
	spec := mlp.Sequential(append(layers, mlp.Dense(1, mlp.Linear))...).Epochs(*epochs)
	if *history {
		spec = spec.WithHistory()
	}
	if *sd > 0 {
		spec = spec.InitStdDev(*sd)
	}
	dspec := data.Lecture()
	dspec.NumTrain, dspec.NumVal = *train, *val
	ds, err := data.Generate(dspec)
	if err != nil {
		fail(err)
	}
	backend.Quiet = true
	b, err := backend.Get()
	if err != nil {
		fail(err)
	}
	if *header {
		fmt.Fprintln(os.Stderr, backend.Describe())
	}

	points, valPoints := len(ds.TrainX), 0
	if spec.Settings().RecordHistory {
		valPoints = len(ds.ValX)
	}
	if *history {
		points = max(points, len(ds.ValX))
	}
	units := 0
	for _, l := range spec.DenseLayers() {
		units += l.Units
	}
	base := status("VmRSS")
	start := time.Now()
	var each mlp.EpochFunc
	if *phases {
		each = func(epoch int, _ float64) error {
			if epoch == 1 {
				phase("after the first epoch", spec.NumParams())
			}
			return nil
		}
		phase("backend up, data made", spec.NumParams())
	}
	m, err := mlp.Train(spec, ds, b, each)
	if err != nil {
		fail(err)
	}
	seconds := time.Since(start).Seconds()
	peak := status("VmHWM") // before the gob encoding below, which holds a copy of the weights
	if *phases {
		phase("after the fit", spec.NumParams())
	}
	var n counter
	if err := gob.NewEncoder(&n).Encode(m); err != nil {
		fail(err)
	}
	if *header {
		fmt.Println("hidden\tepochs\thistory\ttrain\tval\tparams\tunits\tpoints\test_bytes\tbase_rss\tpeak_rss\tgob_bytes\tseconds")
	}
	fmt.Printf("%s\t%d\t%v\t%d\t%d\t%d\t%d\t%d\t%.0f\t%d\t%d\t%d\t%.1f\n", flag.Arg(0), *epochs, *history,
		len(ds.TrainX), len(ds.ValX), spec.NumParams(), units, points, spec.Memory(len(ds.TrainX), valPoints), base, peak, int64(n), seconds)
}

// phase says on standard error what the process holds now and at most so far, and how much of it is Go's
// heap, in bytes and in copies of the weights (4*params bytes each).
func phase(what string, params int) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	w := 4 * float64(params)
	rss, hwm := status("VmRSS"), status("VmHWM")
	fmt.Fprintf(os.Stderr, "%-22s rss %6.0f MiB (%5.2f w)  peak %6.0f MiB (%5.2f w)  go heap in use %6.0f MiB (%5.2f w), from OS %6.0f MiB\n",
		what, float64(rss)/(1<<20), float64(rss)/w, float64(hwm)/(1<<20), float64(hwm)/w,
		float64(ms.HeapInuse)/(1<<20), float64(ms.HeapInuse)/w, float64(ms.HeapSys-ms.HeapReleased)/(1<<20))
}

// parseWidths reads "8000,8000" or "1024x5".
func parseWidths(s string) ([]int, error) {
	if w, n, ok := strings.Cut(s, "x"); ok {
		width, err1 := strconv.Atoi(w)
		count, err2 := strconv.Atoi(n)
		if err1 != nil || err2 != nil || count < 1 {
			return nil, fmt.Errorf("widths %q: want WIDTHxCOUNT, e.g. 1024x5", s)
		}
		out := make([]int, count)
		for i := range out {
			out[i] = width
		}
		return out, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		w, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("widths %q: want comma-separated integers, e.g. 8000,8000", s)
		}
		out = append(out, w)
	}
	return out, nil
}

// status returns a size field of /proc/self/status ("VmRSS", "VmHWM") in bytes.
func status(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		fail(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				fail(fmt.Errorf("/proc/self/status %s: %v", field, err))
			}
			return kb << 10
		}
	}
	fail(fmt.Errorf("/proc/self/status has no %s (not Linux?)", field))
	return 0
}

// watchdog ends the process once its resident set passes limit bytes.
func watchdog(limit uint64) {
	for range time.Tick(20 * time.Millisecond) {
		if rss := status("VmRSS"); uint64(rss) > limit {
			fmt.Fprintf(os.Stderr, "memprobe: resident set %.2f GiB passed the limit of %.2f GiB: stopped\n",
				float64(rss)/(1<<30), float64(limit)/(1<<30))
			os.Exit(3)
		}
	}
}

type counter int64

func (c *counter) Write(p []byte) (int, error) { *c += counter(len(p)); return len(p), nil }

func fail(err error) {
	fmt.Fprintln(os.Stderr, "memprobe:", err)
	os.Exit(1)
}

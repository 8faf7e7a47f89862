package goexec

// Where a cell's time goes (a golecture change, see PATCH.md): when $GONB_CELL_TIMINGS names a file, every
// cell appends one JSON line to it with the wall and CPU seconds of each step GoNB takes, the compile and
// link steps inside `go build` (from its -debug-actiongraph), and whether the program was reused. CPU
// seconds count GoNB and every process it waited for (goimports, the go command, compiler, linker, the
// cell's program).

import (
	"encoding/json"
	"os"
	"time"

	"github.com/janpfeifer/gonb/internal/kernel"
	"k8s.io/klog/v2"
)

type cellTimer struct {
	path   string
	last   time.Time
	cpu    float64
	record map[string]any
}

// newCellTimer returns nil when timings are off.
func newCellTimer(msg kernel.Message) *cellTimer {
	path := os.Getenv("GONB_CELL_TIMINGS")
	if path == "" {
		return nil
	}
	now := time.Now()
	t := &cellTimer{path: path, last: now, cpu: cpuSeconds(), record: map[string]any{"start_unix_ns": now.UnixNano()}}
	if msg != nil && msg.Kernel() != nil {
		t.record["cell"] = msg.Kernel().ExecCounter
	}
	return t
}

// step records the wall and CPU seconds since the previous step under name.
func (t *cellTimer) step(name string) {
	if t == nil {
		return
	}
	now, cpu := time.Now(), cpuSeconds()
	t.record[name] = map[string]float64{"wall": now.Sub(t.last).Seconds(), "cpu": cpu - t.cpu}
	t.last, t.cpu = now, cpu
}

func (t *cellTimer) set(key string, v any) {
	if t != nil {
		t.record[key] = v
	}
}

// readActionGraph adds the seconds spent compiling package main and linking.
func (t *cellTimer) readActionGraph(graphPath, mainPkg string) {
	if t == nil {
		return
	}
	raw, err := os.ReadFile(graphPath)
	if err != nil {
		return
	}
	var actions []struct {
		Mode, Package       string
		TimeStart, TimeDone time.Time
		Cmd                 []string
	}
	if json.Unmarshal(raw, &actions) != nil {
		return
	}
	for _, a := range actions {
		if a.Package != mainPkg || a.TimeStart.IsZero() {
			continue
		}
		d := a.TimeDone.Sub(a.TimeStart).Seconds()
		switch {
		case a.Mode == "build":
			t.record["compile_main"] = d
			t.record["compiled"] = len(a.Cmd) > 0
		case a.Mode == "link":
			t.record["link"] = d
			t.record["linked"] = len(a.Cmd) > 0
		}
	}
}

// write appends the cell's line.
func (t *cellTimer) write() {
	if t == nil {
		return
	}
	line, err := json.Marshal(t.record)
	if err == nil {
		var f *os.File
		if f, err = os.OpenFile(t.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
			_, err = f.Write(append(line, '\n'))
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
	}
	if err != nil {
		klog.Warningf("GONB_CELL_TIMINGS: %v", err)
	}
}

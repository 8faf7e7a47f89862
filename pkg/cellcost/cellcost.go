// Package cellcost records where a notebook cell's program spends its time, for scripts/cellcost.py: when
// $LECTURE_CELL_COST names a file, each timed part appends one JSON line to it,
//
//	{"program": <when the program's packages were initialized, Unix ns>, "part": "fits", "s": 0.012}
//
// and the program's first line says when it started running Go code at all. Unset, a part costs one
// branch. The parts are coarse on purpose: a cell's program is short, and what matters is which of its
// steps (loading fits, XLA, drawing, sending output) dominates.
package cellcost

import (
	"encoding/json"
	"os"
	"sync"
	"time"
)

var (
	path    = os.Getenv("LECTURE_CELL_COST")
	program = time.Now().UnixNano() // Package initialization: after the runtime and the packages this imports.
	mu      sync.Mutex
	started sync.Once
)

// Time starts timing part and returns the function that stops it: defer cellcost.Time("fits")().
// Nested parts are each recorded whole.
func Time(part string) func() {
	if path == "" {
		return func() {}
	}
	start := time.Now()
	return func() { write(part, time.Since(start).Seconds()) }
}

func write(part string, s float64) {
	mu.Lock()
	defer mu.Unlock()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return // A measurement aid: never disturbs the cell.
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	started.Do(func() { _ = enc.Encode(map[string]any{"program": program, "part": "init", "unix_ns": program}) })
	_ = enc.Encode(map[string]any{"program": program, "part": part, "s": s})
}

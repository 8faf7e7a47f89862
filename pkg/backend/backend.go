// Package backend chooses the GoMLX compute backend the lecture runs on, without ever downloading anything.
//
// GoMLX's own default is XLA, whose first use downloads a PJRT plugin; on a machine without internet that
// panics. This package picks instead, in order:
//
//  1. $GOMLX_BACKEND, when set (for example "go", "xla:cpu" or "xla:/path/to/pjrt_plugin.so");
//  2. XLA with a PJRT CPU plugin installed locally by scripts/setup.sh under the repository's .tools/pjrt/;
//  3. the pure-Go backend, which always works.
//
// [Get] returns one shared backend per process and prints, once, a line saying which backend runs and why.
//
// Example:
//
//	b, err := backend.Get()
//	if err != nil { ... }
//	fmt.Println(b.Name())
package backend

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/gomlx/backends/default" // Registers the "go" and "xla" backends.
)

// EnvVar is the environment variable GoMLX reads its backend configuration from.
const EnvVar = compute.ConfigEnvVar

// Choice is a backend configuration and the reason it was chosen.
type Choice struct {
	Config string // Passed to compute.NewWithConfig, e.g. "go" or "xla:/abs/plugin.so".
	Reason string // One human sentence.
}

// Choose decides which backend configuration to use, without creating it.
func Choose() Choice {
	if cfg, ok := os.LookupEnv(EnvVar); ok && cfg != "" {
		return Choice{Config: cfg, Reason: "set by $" + EnvVar}
	}
	if plugin := LocalPlugin(); plugin != "" {
		return Choice{Config: "xla:" + plugin, Reason: "PJRT CPU plugin found at " + plugin}
	}
	return Choice{Config: "go", Reason: "no $" + EnvVar + " and no PJRT plugin in " + PluginDir() +
		" (scripts/setup.sh installs one)"}
}

// Identity names what a configuration computes with, for cache keys: the backend name and, for a plugin
// given by path, the plugin's file name and size rather than its location, so that two checkouts of the
// repository (or a moved one) share their cached fits.
func Identity(config string) string {
	name, rest, _ := strings.Cut(config, ":")
	if !filepath.IsAbs(rest) {
		return config
	}
	path, opts, _ := strings.Cut(rest, ",")
	size := int64(-1)
	if info, err := os.Stat(path); err == nil {
		size = info.Size()
	}
	return fmt.Sprintf("%s:%s:%d,%s", name, filepath.Base(path), size, opts)
}

// PluginDir is where scripts/setup.sh installs the PJRT CPU plugin: .tools/pjrt under the repository root.
// The root is found from this source file's own path, which also holds when a notebook uses the package
// through a go.work file.
func PluginDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return filepath.Join(".tools", "pjrt")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", ".tools", "pjrt")
}

// LocalPlugin returns the path of a PJRT plugin (*.so) in [PluginDir], or "" if there is none.
func LocalPlugin() string {
	matches, _ := filepath.Glob(filepath.Join(PluginDir(), "*.so"))
	if len(matches) == 0 {
		return ""
	}
	sort.Strings(matches)
	abs, err := filepath.Abs(matches[0])
	if err != nil {
		return matches[0]
	}
	return abs
}

var (
	once      sync.Once
	shared    compute.Backend
	sharedErr error
	line      string
	// Quiet suppresses the announcement Get prints; tests set it, and so does package lecture, which shows
	// it once in its Setup cell instead of in every cell's output.
	Quiet bool
)

// Get returns the process-wide backend, creating it at the first call and announcing the choice in one line.
func Get() (compute.Backend, error) {
	once.Do(func() {
		choice := Choose()
		shared, sharedErr = New(choice.Config)
		if sharedErr != nil {
			return
		}
		name, _, _ := strings.Cut(choice.Config, ":") // "go", "xla", ...: the name GOMLX_BACKEND uses.
		line = fmt.Sprintf("backend: %s — %s", name, choice.Reason)
		if !Quiet {
			fmt.Println(line)
		}
	})
	return shared, sharedErr
}

// Describe returns the one-line announcement of the shared backend (creating it if needed), or the error
// that prevented it.
func Describe() string {
	if _, err := Get(); err != nil {
		return "backend: unavailable — " + err.Error()
	}
	return line
}

// New creates a backend from a configuration string, turning GoMLX's panics (unknown backend, a plugin that
// cannot load or would have to be downloaded) into errors that say how to fix them.
func New(config string) (b compute.Backend, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("backend %q failed: %v; set %s=go to use the pure-Go backend, or run "+
				"scripts/setup.sh to install the local PJRT CPU plugin", config, firstLine(r), EnvVar)
		}
	}()
	b, err = compute.NewWithConfig(config)
	if err != nil {
		return nil, fmt.Errorf("backend %q failed: %v; set %s=go to use the pure-Go backend, or run "+
			"scripts/setup.sh to install the local PJRT CPU plugin", config, firstLine(err), EnvVar)
	}
	return b, nil
}

func firstLine(v any) string {
	s := fmt.Sprint(v)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

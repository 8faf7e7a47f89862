// Package backend chooses the GoMLX compute backend the lecture runs on, without ever downloading anything.
//
// GoMLX's own default is XLA, whose first use downloads a PJRT plugin; on a machine without internet that
// panics. This package turns that auto-install off and picks instead, in order:
//
//  1. $GOMLX_BACKEND, when set (for example "go", "xla:cpu" or "xla:/path/to/pjrt_plugin.so"); "xla" and
//     "xla:cpu" mean the local plugin of step 2, and another plugin name, or those two where no local plugin
//     is installed, the file go-xla would find by that name ($PJRT_PLUGIN_LIBRARY_PATH, or its default
//     directories); without one it is an error;
//  2. XLA with the PJRT CPU plugin installed locally by scripts/setup.sh under the repository's .tools/pjrt/;
//  3. the pure-Go backend, which always works.
//
// GoMLX is always given a plugin's absolute path, and only after that file passed [CheckPlugin], since
// loading a damaged plugin kills the process. [Get] returns one shared backend per process and prints,
// once, a line saying which backend runs and why.
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
	_ "github.com/gomlx/compute/gobackend" // Registers the pure-Go backend; xla.go registers XLA.
)

// EnvVar is the environment variable GoMLX reads its backend configuration from.
const EnvVar = compute.ConfigEnvVar

// Choice is a backend configuration and the reason it was chosen.
type Choice struct {
	Config string // Passed to compute.NewWithConfig, e.g. "go" or "xla:/abs/plugin.so".
	Reason string // One human sentence; it may name files on this machine.
	Brief  string // A few words, without machine paths, e.g. "PJRT CPU plugin, local".
	Err    error  // Non-nil when Config cannot work: [New] would fail with this error.
}

// xlaNames are the names under which go-xla registers its backend.
var xlaNames = map[string]bool{"xla": true, "stablehlo": true, "hlo": true, "shlo": true}

// Choose decides which backend configuration to use, without creating it.
func Choose() Choice {
	if cfg, ok := os.LookupEnv(EnvVar); ok && cfg != "" {
		c := Choice{Config: cfg, Reason: "set by $" + EnvVar, Brief: "set by $" + EnvVar}
		resolved, err := resolve(cfg)
		if err != nil {
			c.Err = err
			return c
		}
		if resolved != cfg {
			c.Config = resolved
			_, rest, _ := strings.Cut(resolved, ":")
			plugin, _, _ := strings.Cut(rest, ",")
			what := "the PJRT plugin at " + plugin
			if plugin == LocalPlugin() {
				what = "the local PJRT CPU plugin " + plugin
			}
			c.Reason += " (" + cfg + " means " + what + ")"
		}
		return c
	}
	plugin := LocalPlugin()
	if plugin == "" {
		return Choice{Config: "go", Brief: "no PJRT plugin installed",
			Reason: "no $" + EnvVar + " and no PJRT plugin in " + PluginDir() + " (scripts/setup.sh installs one)"}
	}
	if err := CheckPlugin(plugin); err != nil {
		// The lecture still runs, on the slower backend; the reason says how to get XLA back.
		return Choice{Config: "go", Brief: "local PJRT plugin unusable", Reason: err.Error()}
	}
	return Choice{Config: "xla:" + plugin, Brief: "PJRT CPU plugin, local", Reason: "PJRT CPU plugin found at " + plugin}
}

// resolve maps a configuration to the one given to GoMLX: an XLA configuration gets the absolute path of
// the plugin it means (options after a comma kept), which must pass [CheckPlugin]. No plugin or "cpu"
// means the local plugin; any other name (or those, where no local plugin is installed) the file go-xla
// would find by that name. GoMLX is never given a name: go-xla would then dlopen every plugin in its
// search directories, and, were auto-install on, download one. Other configurations pass unchanged.
func resolve(config string) (string, error) {
	name, rest, _ := strings.Cut(config, ":")
	if !xlaNames[name] {
		return config, nil
	}
	plugin, opts, hasOpts := strings.Cut(rest, ",")
	if !filepath.IsAbs(plugin) {
		found, err := findPlugin(plugin, config)
		if err != nil {
			return "", err
		}
		plugin = found
	}
	if err := CheckPlugin(plugin); err != nil {
		return "", err
	}
	out := name + ":" + plugin
	if hasOpts {
		out += "," + opts
	}
	return out, nil
}

// findPlugin returns the absolute path of the plugin a configuration names, or an error saying how to get one.
func findPlugin(name, config string) (string, error) {
	if name == "" || name == "cpu" {
		if local := LocalPlugin(); local != "" {
			return local, nil
		}
		if found := searchPlugin("cpu"); found != "" {
			return filepath.Abs(found)
		}
		return "", fmt.Errorf("%s=%s asks for the PJRT CPU plugin, but none is installed in %s, and this "+
			"package never downloads one: run scripts/setup.sh to install it, or set %s=go to use the "+
			"pure-Go backend", EnvVar, config, PluginDir(), EnvVar)
	}
	if found := searchPlugin(name); found != "" {
		return filepath.Abs(found)
	}
	where := "$" + pluginPathsEnv + " (" + os.Getenv(pluginPathsEnv) + ")"
	if _, ok := os.LookupEnv(pluginPathsEnv); !ok {
		where = "go-xla's plugin directories (set $" + pluginPathsEnv + " to search others)"
	}
	return "", fmt.Errorf("%s=%s asks for PJRT plugin %q, but there is no pjrt_c_api_%s_plugin.so in %s, and "+
		"this package never downloads one: give the plugin's absolute path (xla:/path/to/plugin.so), or set "+
		"%s=go to use the pure-Go backend", EnvVar, config, name, name, where, EnvVar)
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

// pluginDirOverride replaces PluginDir in tests.
var pluginDirOverride string

// PluginDir is where scripts/setup.sh installs the PJRT CPU plugin: .tools/pjrt under the repository root.
// The root is found from this source file's own path, which also holds when a notebook uses the package
// through a go.work file.
func PluginDir() string {
	if pluginDirOverride != "" {
		return pluginDirOverride
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return filepath.Join(".tools", "pjrt")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", ".tools", "pjrt")
}

// LocalPlugin returns the absolute path of a PJRT plugin (*.so) in [PluginDir], [PluginName] first, or "" if
// there is none. It does not check the file: see [CheckPlugin].
func LocalPlugin() string {
	matches, _ := filepath.Glob(filepath.Join(PluginDir(), "*.so"))
	if len(matches) == 0 {
		return ""
	}
	sort.SliceStable(matches, func(i, j int) bool {
		return filepath.Base(matches[i]) == PluginName && filepath.Base(matches[j]) != PluginName
	})
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
	summary   string
	// Quiet suppresses the announcement Get prints; tests set it, and so does package lecture, which shows
	// it once in its Setup cell instead of in every cell's output.
	Quiet bool
)

// Get returns the process-wide backend, creating it at the first call and announcing the choice in one line.
func Get() (compute.Backend, error) {
	once.Do(func() {
		choice := Choose()
		if choice.Err != nil {
			sharedErr = choice.Err
			return
		}
		shared, sharedErr = New(choice.Config)
		if sharedErr != nil {
			return
		}
		name, _, _ := strings.Cut(choice.Config, ":") // "go", "xla", ...: the name GOMLX_BACKEND uses.
		line = fmt.Sprintf("backend: %s — %s", name, choice.Reason)
		summary = fmt.Sprintf("backend: %s (%s)", name, choice.Brief)
		if !Quiet {
			fmt.Println(line)
		}
	})
	return shared, sharedErr
}

// Describe returns the one-line announcement of the shared backend (creating it if needed), or the error
// that prevented it. It may name files on this machine: see [Summary] for a line to publish.
func Describe() string {
	if _, err := Get(); err != nil {
		return "backend: unavailable — " + err.Error()
	}
	return line
}

// Summary is like [Describe] without machine paths, for handouts: e.g. "backend: xla (PJRT CPU plugin,
// local)" or "backend: go (set by $GOMLX_BACKEND)".
func Summary() string {
	if _, err := Get(); err != nil {
		return "backend: unavailable (run scripts/setup.sh, or set " + EnvVar + "=go)"
	}
	return summary
}

// newWithConfig creates a GoMLX backend; tests replace it to prove a bad plugin never reaches GoMLX.
var newWithConfig = compute.NewWithConfig

// New creates a backend from a configuration string. It resolves and checks the plugin first (see
// [Choose]), and turns GoMLX's panics (unknown backend, a plugin that cannot load) into errors that say how
// to fix them.
func New(config string) (b compute.Backend, err error) {
	resolved, err := resolve(config)
	if err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("backend %q failed: %v; set %s=go to use the pure-Go backend, or run "+
				"scripts/setup.sh to install the local PJRT CPU plugin", config, firstLine(r), EnvVar)
		}
	}()
	prepareCUDA(resolved)
	b, err = newWithConfig(goSequential(resolved))
	if err != nil {
		return nil, fmt.Errorf("backend %q failed: %v; set %s=go to use the pure-Go backend, or run "+
			"scripts/setup.sh to install the local PJRT CPU plugin", config, firstLine(err), EnvVar)
	}
	return b, nil
}

// goSequential makes the pure-Go backend run a graph's operations one after another ("go:ops_sequential")
// unless the configuration says how. Its default runs independent operations in parallel on the same worker
// pool that a large matrix multiply then waits on for helpers; with every worker waiting, the process hangs
// (seen in GoMLX compute v0.1.5: 2 of 36 short fits with three processes on 2 cores, none with
// ops_sequential). The lecture's networks are chains with little to run side by side, so it costs nothing.
func goSequential(config string) string {
	if config == "go" {
		return "go:ops_sequential"
	}
	return config
}

// prepareCUDA readies the environment for NVIDIA's CUDA PJRT plugin as the jax-cuda13-pjrt wheel lays it
// out (scripts/setup.sh with LECTURE_CUDA=1, or a JAX installation): the plugin in
// <root>/jax_plugins/xla_cuda13/ and NVIDIA's CUDA files in <root>/nvidia/cu13/. XLA must be told where
// libdevice and ptxas are (--xla_gpu_cuda_data_dir), since a machine with the wheels alone has no
// /usr/local/cuda; the directory is only named when it holds libdevice, so a system CUDA still serves where
// the wheels lack it. go-xla looks for the libraries one level too close to the plugin and would print a
// misleading warning: its check is turned off (GOPJRT_CUDA_CHECKS=0) when the wheels' layout is there. A
// variable the user has set is left alone. Other configurations are untouched.
func prepareCUDA(config string) {
	name, rest, _ := strings.Cut(config, ":")
	plugin, _, _ := strings.Cut(rest, ",")
	if !xlaNames[name] || !filepath.IsAbs(plugin) || !strings.Contains(filepath.Base(plugin), "cuda") {
		return
	}
	nvidia := filepath.Join(filepath.Dir(plugin), "..", "..", "nvidia")
	if info, err := os.Stat(nvidia); err != nil || !info.IsDir() {
		return
	}
	if _, set := os.LookupEnv("GOPJRT_CUDA_CHECKS"); !set {
		_ = os.Setenv("GOPJRT_CUDA_CHECKS", "0")
	}
	cuda := filepath.Clean(filepath.Join(nvidia, "cu13"))
	if _, err := os.Stat(filepath.Join(cuda, "nvvm", "libdevice")); err != nil {
		return
	}
	if flags := os.Getenv("XLA_FLAGS"); !strings.Contains(flags, "--xla_gpu_cuda_data_dir") {
		_ = os.Setenv("XLA_FLAGS", strings.TrimSpace(flags+" --xla_gpu_cuda_data_dir="+cuda))
	}
}

func firstLine(v any) string {
	s := fmt.Sprint(v)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

package backend

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gomlx/compute"
)

// usePluginDir points PluginDir at dir for one test, forgets passed checks, and keeps the stamps of other
// plugins' checks, and go-xla's search for plugins by name, inside the test's own directories.
func usePluginDir(t *testing.T, dir string) {
	t.Helper()
	old := pluginDirOverride
	pluginDirOverride = dir
	verified.Clear()
	t.Cleanup(func() { pluginDirOverride = old; verified.Clear() })
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv(pluginPathsEnv, t.TempDir())
}

// stubProbe replaces the child process that loads a plugin other than ours: a fake plugin cannot load, and
// these tests are about what is checked when. It counts the calls.
func stubProbe(t *testing.T, err error) *atomic.Int32 {
	t.Helper()
	var n atomic.Int32
	old := probe
	probe = func(string) error { n.Add(1); return err }
	t.Cleanup(func() { probe = old })
	return &n
}

// noLoad fails the test if GoMLX is asked to create an XLA backend, i.e. to dlopen a plugin.
func noLoad(t *testing.T) {
	t.Helper()
	old := newWithConfig
	newWithConfig = func(config string) (compute.Backend, error) {
		t.Errorf("GoMLX was asked to load %q", config)
		return nil, errors.New("test: loading refused")
	}
	t.Cleanup(func() { newWithConfig = old })
}

// noNetwork makes every HTTP request through the default client fail, and counts them.
func noNetwork(t *testing.T) *atomic.Int32 {
	t.Helper()
	var n atomic.Int32
	old := http.DefaultTransport
	http.DefaultTransport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		n.Add(1)
		t.Errorf("network request to %s", r.URL)
		return nil, errors.New("test: network refused")
	})
	t.Cleanup(func() { http.DefaultTransport = old })
	return &n
}

var elfMachine = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// fakePlugin builds a complete ELF shared library of the given size for this machine: a header, one
// PT_LOAD segment spanning the whole file, and section headers at its very end, as real libraries have.
func fakePlugin(size int) []byte {
	buf := make([]byte, size)
	machine, ok := elfMachine[runtime.GOARCH]
	if !ok {
		machine = elf.EM_X86_64
	}
	const shstrtabOff, shentsize = 64 + 56, 64
	shoff := uint64(size - 2*shentsize)
	hdr := elf.Header64{Type: uint16(elf.ET_DYN), Machine: uint16(machine), Version: 1, Phoff: 64, Shoff: shoff,
		Ehsize: 64, Phentsize: 56, Phnum: 1, Shentsize: shentsize, Shnum: 2, Shstrndx: 1}
	copy(hdr.Ident[:], elf.ELFMAG)
	hdr.Ident[elf.EI_CLASS], hdr.Ident[elf.EI_DATA], hdr.Ident[elf.EI_VERSION] =
		byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	prog := elf.Prog64{Type: uint32(elf.PT_LOAD), Flags: uint32(elf.PF_R), Filesz: uint64(size), Memsz: uint64(size), Align: 4096}
	names := "\x00.shstrtab\x00"
	sections := []elf.Section64{{}, {Name: 1, Type: uint32(elf.SHT_STRTAB), Off: shstrtabOff, Size: uint64(len(names)), Addralign: 1}}
	var w bytes.Buffer
	binary.Write(&w, binary.LittleEndian, hdr)
	binary.Write(&w, binary.LittleEndian, prog)
	w.WriteString(names)
	copy(buf, w.Bytes())
	w.Reset()
	binary.Write(&w, binary.LittleEndian, sections)
	copy(buf[shoff:], w.Bytes())
	return buf
}

func writeFile(t *testing.T, path string, b []byte) string {
	t.Helper()
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestChooseHonoursEnv(t *testing.T) {
	t.Setenv(EnvVar, "go")
	if c := Choose(); c.Config != "go" || !strings.Contains(c.Reason, EnvVar) || c.Err != nil {
		t.Errorf("Choose() = %+v, want go set by $%s", c, EnvVar)
	}
}

// Whatever Choose picks by itself must name no plugin by name (go-xla would look that up, and with
// auto-install on, download it): "go", or "xla:" and the absolute path of a sound plugin in PluginDir.
func TestChooseWithoutEnvNeverDownloads(t *testing.T) {
	t.Setenv(EnvVar, "")
	check := func(c Choice) {
		t.Helper()
		if c.Err != nil {
			t.Errorf("Choose() error: %v", c.Err)
		}
		if c.Config == "go" {
			return
		}
		plugin, ok := strings.CutPrefix(c.Config, "xla:")
		if !ok || !filepath.IsAbs(plugin) || filepath.Dir(plugin) != mustAbs(t, PluginDir()) {
			t.Errorf("Choose() = %q: want go or xla:<absolute path in %s>", c.Config, PluginDir())
		} else if err := CheckPlugin(plugin); err != nil {
			t.Errorf("Choose() picked a plugin that fails its check: %v", err)
		}
	}
	check(Choose()) // The repository's own .tools/pjrt, whatever setup.sh left there.
	usePluginDir(t, t.TempDir())
	stubProbe(t, nil)
	if c := Choose(); c.Config != "go" {
		t.Errorf("empty plugin dir, but Choose() = %+v", c)
	}
	writeFile(t, filepath.Join(PluginDir(), "pjrt_c_api_other_plugin.so"), fakePlugin(2<<20))
	c := Choose()
	check(c)
	if runtime.GOOS == "linux" && c.Config == "go" {
		t.Errorf("a sound plugin is installed, but Choose() = %+v", c)
	}
}

func mustAbs(t *testing.T, p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func TestNewReportsBadConfigAsError(t *testing.T) {
	for _, cfg := range []string{"nosuchbackend", "xla:/nonexistent/plugin.so"} {
		b, err := New(cfg)
		if err == nil || b != nil {
			t.Errorf("New(%q) = %v, %v; want an error", cfg, b, err)
			continue
		}
		if !strings.Contains(err.Error(), EnvVar+"=go") {
			t.Errorf("New(%q) error %q does not say how to fix it", cfg, err)
		}
		if strings.Contains(err.Error(), "goroutine") {
			t.Errorf("New(%q) error carries a stack dump", cfg)
		}
	}
}

// A plugin other than ours is loaded once in a child process; the pass is recorded under the file's
// identity, so that later checks, in this process or another, cost a stat, until the file changes.
func TestPassedProbeIsRecorded(t *testing.T) {
	usePluginDir(t, t.TempDir())
	probes := stubProbe(t, nil)
	p := writeFile(t, filepath.Join(t.TempDir(), "pjrt_c_api_other_plugin.so"), fakePlugin(2<<20))
	for range 3 {
		if err := CheckPlugin(p); err != nil {
			t.Fatal(err)
		}
	}
	verified.Clear() // Another process: the stamp file alone.
	if err := CheckPlugin(p); err != nil {
		t.Fatal(err)
	}
	if n := probes.Load(); n != 1 {
		t.Fatalf("%d probes for an unchanged plugin, want 1", n)
	}
	if stamp := stampFile(p, false); !strings.HasPrefix(stamp, os.Getenv("XDG_CACHE_HOME")) {
		t.Errorf("stamp %s is not in the user's cache", stamp)
	}
	rewrite(t, p, fakePlugin(2<<20)) // Same bytes, same modification time: still a write.
	if err := CheckPlugin(p); err != nil || probes.Load() != 2 {
		t.Errorf("rewritten plugin: %v, %d probes, want nil and 2", err, probes.Load())
	}

	probe = func(string) error { probes.Add(1); return errors.New("failed to load") }
	q := writeFile(t, filepath.Join(t.TempDir(), "pjrt_c_api_bad_plugin.so"), fakePlugin(2<<20))
	for range 2 {
		err := CheckPlugin(q)
		if err == nil || !strings.Contains(err.Error(), q) || !strings.Contains(err.Error(), "scripts/setup.sh") ||
			!strings.Contains(err.Error(), EnvVar+"=go") {
			t.Errorf("CheckPlugin error %v does not name the plugin and how to fix it", err)
		}
	}
	if n := probes.Load(); n != 4 {
		t.Errorf("a failed probe was recorded: %d probes, want 4", n)
	}
}

// rewrite writes b over the file at path in place and gives it back its modification time, as a copy
// with cp -p or a careless editor would, and waits until the system's clock for file times has moved on,
// so that the file's change time differs from the one recorded before.
func rewrite(t *testing.T, path string, b []byte) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	before := sysID(info)
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(b, 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if err := os.Chtimes(path, info.ModTime(), info.ModTime()); err != nil {
			t.Fatal(err)
		}
		now, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if !now.ModTime().Equal(info.ModTime()) || now.Size() != info.Size() {
			t.Fatalf("modification time or size not restored")
		}
		if sysID(now) != before || before == "" || time.Now().After(deadline) {
			return
		}
	}
}

// A damaged copy of our plugin fails its hash on every path to GoMLX (New, and Choose from $GOMLX_BACKEND
// or from PluginDir), and GoMLX never sees it.
func TestBadPluginIsAnErrorNotACrash(t *testing.T) {
	noLoad(t)
	full := fakePlugin(4 << 20)
	bad := map[string][]byte{
		"first 1 MiB":        full[:1<<20],
		"first half":         full[:len(full)/2],
		"tiny":               full[:4096],
		"zeros":              make([]byte, 2<<20),
		"executable, no .so": func() []byte { b := fakePlugin(2 << 20); b[16] = byte(elf.ET_EXEC); return b }(),
	}
	if real := LocalPlugin(); real != "" { // The real plugin's header, with everything after it missing.
		f, err := os.Open(real)
		if err != nil {
			t.Fatal(err)
		}
		head := make([]byte, 1<<20)
		_, err = f.ReadAt(head, 0)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		bad["real plugin, first 1 MiB"] = head
	}
	dir := t.TempDir()
	usePluginDir(t, dir)
	for name, b := range bad {
		p := writeFile(t, filepath.Join(dir, "pjrt_c_api_cpu_plugin.so"), b)
		if err := CheckPlugin(p); err == nil {
			t.Errorf("%s: CheckPlugin accepted it", name)
		}
		_, err := New("xla:" + p)
		if err == nil || !strings.Contains(err.Error(), "scripts/setup.sh") || !strings.Contains(err.Error(), EnvVar+"=go") {
			t.Errorf("%s: New error %v does not say how to fix it", name, err)
		}
		t.Setenv(EnvVar, "xla:cpu")
		if c := Choose(); c.Err == nil {
			t.Errorf("%s: $%s=xla:cpu, Choose() = %+v, want an error", name, EnvVar, c)
		}
		t.Setenv(EnvVar, "")
		if c := Choose(); c.Config != "go" || !strings.Contains(c.Reason, "setup.sh") {
			t.Errorf("%s: Choose() = %+v, want go and how to fix the plugin", name, c)
		}
	}
	for name, p := range map[string]string{"missing": filepath.Join(dir, "none.so"), "directory": dir} {
		if _, err := New("xla:" + p); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}

// The plugin setup.sh installs must match the pinned hash; a stamp file spares later processes the hashing.
func TestPinnedPluginHash(t *testing.T) {
	dir := t.TempDir()
	usePluginDir(t, dir)
	fake := fakePlugin(2 << 20)
	p := writeFile(t, filepath.Join(dir, PluginName), fake)
	if err := CheckPlugin(p); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("a plugin that is not the pinned one passed: %v", err)
	}
	probes := stubProbe(t, nil)
	if err := CheckPlugin(writeFile(t, filepath.Join(dir, "other.so"), fake)); err != nil || probes.Load() != 1 {
		t.Errorf("only %s is pinned, yet other.so was not probed (%d) or failed: %v", PluginName, probes.Load(), err)
	}

	sum := sha256.Sum256(fake)
	old := pluginSHA256
	pluginSHA256 = hex.EncodeToString(sum[:])
	t.Cleanup(func() { pluginSHA256 = old })
	if err := CheckPlugin(p); err != nil {
		t.Fatal(err)
	}
	stamp, err := os.ReadFile(p + ".verified")
	if err != nil || !strings.Contains(string(stamp), pluginSHA256) {
		t.Fatalf("stamp %q, %v; want one holding the hash", stamp, err)
	}

	// Same size, new contents, the old modification time: hashed again, and refused, never loaded.
	noLoad(t)
	fake[2<<19]++
	rewrite(t, p, fake)
	verified.Clear()
	if err := CheckPlugin(p); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("changed plugin passed on the strength of an old stamp: %v", err)
	}
	if _, err := New("xla:" + p); err == nil {
		t.Fatal("New accepted the changed plugin")
	}
}

// $GOMLX_BACKEND=xla or xla:cpu without a local plugin used to make go-xla download one.
func TestXLAWithoutLocalPluginIsAnErrorNotADownload(t *testing.T) {
	usePluginDir(t, t.TempDir())
	noLoad(t)
	requests := noNetwork(t)
	for _, cfg := range []string{"xla", "xla:", "xla:cpu", "xla:cpu,noshared_buffers", "stablehlo:cpu"} {
		_, err := New(cfg)
		if err == nil || !strings.Contains(err.Error(), "scripts/setup.sh") || !strings.Contains(err.Error(), EnvVar+"=go") {
			t.Errorf("New(%q) error %v does not say how to fix it", cfg, err)
		}
		t.Setenv(EnvVar, cfg)
		if c := Choose(); c.Err == nil {
			t.Errorf("$%s=%s: Choose() = %+v, want an error", EnvVar, cfg, c)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d network requests", n)
	}
}

// "xla" and "xla:cpu" mean the local plugin; other names, the file go-xla would find by that name, by its
// path: given a name, go-xla would dlopen every plugin in its search directories.
func TestXLAAndCPUMeanTheLocalPlugin(t *testing.T) {
	dir := t.TempDir()
	usePluginDir(t, dir)
	stubProbe(t, nil)
	p := mustAbs(t, writeFile(t, filepath.Join(dir, "pjrt_c_api_test_plugin.so"), fakePlugin(2<<20)))
	search := os.Getenv(pluginPathsEnv)
	cuda := writeFile(t, filepath.Join(search, "pjrt_c_api_cuda_plugin.so"), fakePlugin(2<<20))
	rocm := writeFile(t, filepath.Join(search, "pjrt-plugin-rocm_v1.2.so"), fakePlugin(2<<20))
	writeFile(t, filepath.Join(search, "pjrt_c_api_cpu_plugin.so"), fakePlugin(2<<20)) // The local one wins.
	for cfg, want := range map[string]string{
		"xla":                      "xla:" + p,
		"xla:cpu":                  "xla:" + p,
		"xla:cpu,noshared_buffers": "xla:" + p + ",noshared_buffers",
		"shlo:,tf32=false":         "shlo:" + p + ",tf32=false",
		"xla:cuda":                 "xla:" + cuda,
		"xla:rocm,preallocate":     "xla:" + rocm + ",preallocate",
		"go":                       "go",
	} {
		if got, err := resolve(cfg); got != want || err != nil {
			t.Errorf("resolve(%q) = %q, %v; want %q", cfg, got, err, want)
		}
	}
	if _, err := resolve("xla:tpu"); err == nil || !strings.Contains(err.Error(), pluginPathsEnv) {
		t.Errorf("resolve(xla:tpu) error %v does not say where it looked", err)
	}
	t.Setenv(EnvVar, "xla:cpu")
	if c := Choose(); c.Config != "xla:"+p || c.Err != nil || strings.Contains(c.Brief, dir) {
		t.Errorf("Choose() = %+v, want the local plugin, and a Brief without its path", c)
	}
	os.Remove(p) // No local plugin: "cpu" is a name like any other.
	if got, err := resolve("xla:cpu"); got != "xla:"+filepath.Join(search, "pjrt_c_api_cpu_plugin.so") || err != nil {
		t.Errorf("without a local plugin, resolve(xla:cpu) = %q, %v", got, err)
	}
}

// Summary names the backend without machine paths; Describe keeps its format.
func TestSummaryAndDescribe(t *testing.T) {
	t.Setenv(EnvVar, "go")
	Quiet = true
	if got, want := Summary(), "backend: go (set by $"+EnvVar+")"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	if got := Describe(); !strings.HasPrefix(got, "backend: go — ") {
		t.Errorf("Describe() = %q", got)
	}
	usePluginDir(t, t.TempDir())
	t.Setenv(EnvVar, "")
	if c := Choose(); strings.Contains(c.Brief, PluginDir()) || c.Brief == "" {
		t.Errorf("Choose().Brief = %q", c.Brief)
	}
}

func TestIdentityIgnoresWhereThePluginLives(t *testing.T) {
	dir1, dir2 := t.TempDir(), t.TempDir()
	for _, d := range []string{dir1, dir2} {
		if err := os.WriteFile(filepath.Join(d, "pjrt_c_api_cpu_plugin.so"), []byte("same bytes"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a := Identity("xla:" + filepath.Join(dir1, "pjrt_c_api_cpu_plugin.so"))
	b := Identity("xla:" + filepath.Join(dir2, "pjrt_c_api_cpu_plugin.so"))
	if a != b || strings.Contains(a, dir1) {
		t.Errorf("Identity differs by location: %q vs %q", a, b)
	}
	if Identity("go") != "go" || Identity("xla:cpu") != "xla:cpu" {
		t.Errorf("Identity changed a configuration without a path")
	}
}

// TestPrepareCUDA checks the environment set for a CUDA plugin in the PyPI wheels' layout, and that other
// configurations, and variables the user set, are left alone.
func TestPrepareCUDA(t *testing.T) {
	root := t.TempDir()
	plugin := filepath.Join(root, "jax_plugins", "xla_cuda13", "xla_cuda_plugin.so")
	cuda := filepath.Join(root, "nvidia", "cu13")
	for _, dir := range []string{filepath.Dir(plugin), filepath.Join(cuda, "nvvm", "libdevice")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("XLA_FLAGS", "--xla_dump_to=/tmp/x")
	t.Setenv("GOPJRT_CUDA_CHECKS", "")
	os.Unsetenv("GOPJRT_CUDA_CHECKS")

	prepareCUDA("xla:/elsewhere/pjrt_c_api_cpu_plugin.so")
	prepareCUDA("go")
	if got := os.Getenv("XLA_FLAGS"); got != "--xla_dump_to=/tmp/x" {
		t.Fatalf("a CPU or Go configuration changed XLA_FLAGS to %q", got)
	}
	prepareCUDA("xla:" + plugin)
	if got, want := os.Getenv("XLA_FLAGS"), "--xla_dump_to=/tmp/x --xla_gpu_cuda_data_dir="+cuda; got != want {
		t.Errorf("XLA_FLAGS = %q, want %q", got, want)
	}
	if got := os.Getenv("GOPJRT_CUDA_CHECKS"); got != "0" {
		t.Errorf("GOPJRT_CUDA_CHECKS = %q, want 0", got)
	}
	t.Setenv("XLA_FLAGS", "--xla_gpu_cuda_data_dir=/mine")
	prepareCUDA("xla:" + plugin)
	if got := os.Getenv("XLA_FLAGS"); got != "--xla_gpu_cuda_data_dir=/mine" {
		t.Errorf("the user's data dir was replaced: XLA_FLAGS = %q", got)
	}
}

func TestGoSequential(t *testing.T) {
	for in, want := range map[string]string{
		"go":                 "go:ops_sequential",
		"go:parallelism=2":   "go:parallelism=2", // The user chose: left alone.
		"xla:/abs/plugin.so": "xla:/abs/plugin.so",
	} {
		if got := goSequential(in); got != want {
			t.Errorf("goSequential(%q) = %q, want %q", in, got, want)
		}
	}
	b, err := New("go")
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != "go" {
		t.Errorf("New(\"go\") made backend %q", b.String())
	}
}

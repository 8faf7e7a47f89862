//go:build ((linux && (amd64 || arm64)) || (darwin && arm64) || (windows && amd64)) && !noxla

package backend

import (
	"bufio"
	"debug/elf"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Each damaged plugin below passes every check that looks at the file without loading it (size, ELF
// headers, a stamp keyed on size and modification time) and kills the process that loads it with SIGSEGV
// or SIGBUS: each must be an error, and this test process must survive.

// wantPluginError fails the test unless err is a one-line error naming the plugin and both ways out.
func wantPluginError(t *testing.T, what string, err error, plugin string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", what)
		return
	}
	msg := err.Error()
	if !strings.Contains(msg, plugin) || !strings.Contains(msg, "scripts/setup.sh") ||
		!strings.Contains(msg, EnvVar+"=go") || strings.Contains(msg, "\n") {
		t.Errorf("%s: error %q is not one line naming %s, scripts/setup.sh and %s=go", what, msg, plugin, EnvVar)
	}
}

// realPlugin returns the plugin scripts/setup.sh installs, or skips the test.
func realPlugin(t *testing.T) string {
	t.Helper()
	p := filepath.Join(PluginDir(), PluginName)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("needs the real PJRT CPU plugin (%s: %v): scripts/setup.sh installs it", p, err)
	}
	if runtime.GOOS != "linux" {
		t.Skip("the damage below is placed by the plugin's ELF sections")
	}
	return mustAbs(t, p)
}

// copyWithZeroedBlock copies the plugin at src to dst with the 4 KiB block holding its .dynamic section
// zeroed: the headers stay intact, and the dynamic loader crashes on it.
func copyWithZeroedBlock(t *testing.T, src, dst string) {
	t.Helper()
	copyFile(t, src, dst)
	ef, err := elf.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	dyn := ef.Section(".dynamic")
	ef.Close()
	if dyn == nil {
		t.Fatalf("%s has no .dynamic section", src)
	}
	f, err := os.OpenFile(dst, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(make([]byte, 4096), int64(dyn.Offset)&^4095); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// A copy of the real plugin with one block zeroed, given by path.
func TestZeroedBlockGivenByPathIsAnError(t *testing.T) {
	real := realPlugin(t)
	usePluginDir(t, t.TempDir())
	noLoad(t)
	p := filepath.Join(t.TempDir(), "pjrt_c_api_cpu_plugin.so")
	copyWithZeroedBlock(t, real, p)
	_, err := New("xla:" + p)
	wantPluginError(t, "New", err, p)
	if err != nil && !strings.Contains(err.Error(), "SIG") {
		t.Errorf("the error does not name the crash: %v", err)
	}
	t.Setenv(EnvVar, "xla:"+p)
	wantPluginError(t, "Choose", Choose().Err, p)
}

// Our own plugin, damaged in place with its modification time restored: a stamp that identifies the file
// by size and modification time alone would spare it the hash.
func TestPinnedPluginWithRestoredMtimeIsAnError(t *testing.T) {
	real := realPlugin(t)
	dir := t.TempDir()
	usePluginDir(t, dir)
	p := filepath.Join(dir, PluginName)
	copyFile(t, real, p)
	if err := CheckPlugin(p); err != nil {
		t.Fatal(err) // Hashes the copy and writes its stamp.
	}
	damaged := filepath.Join(t.TempDir(), "damaged.so")
	copyWithZeroedBlock(t, real, damaged)
	b, err := os.ReadFile(damaged)
	if err != nil {
		t.Fatal(err)
	}
	rewrite(t, p, b)
	verified.Clear() // A new process: only the stamp file remembers.
	noLoad(t)
	_, err = New("xla:" + p)
	wantPluginError(t, "New", err, p)
	t.Setenv(EnvVar, "")
	if c := Choose(); c.Config != "go" || !strings.Contains(c.Reason, "SHA-256") {
		t.Errorf("Choose() = %+v, want go and the failed hash", c)
	}
}

// A truncated plugin that go-xla would find by name: given a name, go-xla dlopens every plugin in its
// search directories ($PJRT_PLUGIN_LIBRARY_PATH). The truncated file is the
// real plugin's first 50 MB where it is installed, else the first half of a shared library this test
// process has loaded (its C library). go-xla reads the variable when the process starts, so each case runs
// in a test process started with it set.
func TestTruncatedPluginFoundByNameIsAnError(t *testing.T) {
	if dir := os.Getenv(truncatedDirEnv); dir != "" {
		truncatedPluginsByName(t, dir)
		return
	}
	sources := map[string]string{}
	if p := filepath.Join(PluginDir(), PluginName); fileExists(p) {
		sources["real plugin"] = p
	}
	if lib := loadedLibrary(); lib != "" {
		sources["C library"] = lib
	}
	if len(sources) == 0 {
		t.Skip("needs the real PJRT CPU plugin (scripts/setup.sh installs it) or a shared library in /proc/self/maps")
	}
	for what, src := range sources {
		t.Run(strings.ReplaceAll(what, " ", "_"), func(t *testing.T) {
			b, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			b = b[:min(len(b)/2, 50<<20)]
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "pjrt_c_api_cpu_plugin.so"), b)
			writeFile(t, filepath.Join(dir, "pjrt_plugin_foo.so"), b)
			cmd := exec.Command(os.Args[0], "-test.run=^TestTruncatedPluginFoundByNameIsAnError$", "-test.v")
			cmd.Env = append(os.Environ(), pluginPathsEnv+"="+dir, truncatedDirEnv+"="+dir,
				"XDG_CACHE_HOME="+t.TempDir())
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("the test process with %s=%s failed (%v):\n%s", pluginPathsEnv, dir, err, out)
			}
		})
	}
}

const truncatedDirEnv = "BACKEND_TEST_TRUNCATED_PLUGINS"

// truncatedPluginsByName runs in the test process started by TestTruncatedPluginFoundByNameIsAnError.
func truncatedPluginsByName(t *testing.T, dir string) {
	old := pluginDirOverride
	pluginDirOverride = t.TempDir() // No local plugin: "cpu" is searched for by name too.
	t.Cleanup(func() { pluginDirOverride = old })
	noLoad(t)
	cpu, foo := filepath.Join(dir, "pjrt_c_api_cpu_plugin.so"), filepath.Join(dir, "pjrt_plugin_foo.so")
	for cfg, plugin := range map[string]string{"xla:cpu": cpu, "xla:foo": foo, "stablehlo:foo,tf32": foo} {
		_, err := New(cfg)
		wantPluginError(t, "New("+cfg+")", err, plugin)
		t.Setenv(EnvVar, cfg)
		wantPluginError(t, "Choose with "+cfg, Choose().Err, plugin)
	}
	// Another name, not there: go-xla would have dlopened both files above to find out.
	if _, err := New("xla:cuda"); err == nil || !strings.Contains(err.Error(), pluginPathsEnv) {
		t.Errorf("New(xla:cuda) = %v, want an error saying where it looked", err)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// loadedLibrary returns the path of the C library mapped into this process, or "".
func loadedLibrary() string {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if p := fields[len(fields)-1]; filepath.IsAbs(p) && strings.Contains(filepath.Base(p), "libc.so") {
			return p
		}
	}
	return ""
}

// A plugin other than ours that loads is accepted, and the child's check is recorded.
func TestSoundPluginPassesTheProbe(t *testing.T) {
	real := realPlugin(t)
	usePluginDir(t, t.TempDir())
	p := filepath.Join(t.TempDir(), "pjrt_c_api_cpu_plugin.so")
	copyFile(t, real, p)
	if err := CheckPlugin(p); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(stampFile(p, false)); err != nil || !strings.Contains(string(b), "probe") {
		t.Errorf("no stamp after a passed probe: %q, %v", b, err)
	}
}

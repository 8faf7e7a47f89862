package backend

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gomlx/compute"
)

// PluginName is the file name scripts/setup.sh gives the PJRT CPU plugin it installs in [PluginDir].
const PluginName = "pjrt_c_api_cpu_plugin.so"

// pluginSHA256 is the SHA-256 of the plugin scripts/setup.sh installs (pjrt_c_api_cpu_plugin.so from the
// wheel lammps-jax-pjrt-cpu==0.11.2). Update it together with PJRT_WHEEL_REQ in scripts/setup.sh.
// A variable only so tests can pin a fake plugin.
var pluginSHA256 = "ad1309ac822b1b24d51b7f9947c7c9fa9ef5d67f390584cbc3d1fa2428fed9c2"

// fixHint ends every plugin error: the two ways out.
const fixHint = "run scripts/setup.sh to (re)install the local PJRT CPU plugin, or set " + EnvVar +
	"=go to use the pure-Go backend"

// CheckPlugin reports why the PJRT plugin file at path cannot be loaded, or nil if it can. It never loads
// the file into this process: loading a damaged plugin (truncated, or with a block of zeros) kills the
// process with SIGBUS or SIGSEGV, which no Go code can recover from, and in a notebook that is the kernel.
//
// The plugin scripts/setup.sh installs ([PluginName] in [PluginDir]) must match its pinned SHA-256. Any
// other plugin is loaded once in a child process (this program, run again), which must create a client and
// exit cleanly. Either takes a fraction of a second, so a passed check is recorded under the file's identity
// (device, inode, size, modification and change times): in a stamp file, for later processes, and in
// memory. Any write to the file changes its change time, which no user can set back, so a changed file is
// checked again; a recorded one costs a stat and a small read.
func CheckPlugin(path string) error {
	if err := checkPlugin(path); err != nil {
		return fmt.Errorf("PJRT plugin %s %w; %s", path, err, fixHint)
	}
	return nil
}

// checkPlugin returns an error phrased to follow "PJRT plugin <path> ".
func checkPlugin(path string) error {
	id, err := fileID(path)
	if err != nil {
		return err
	}
	pinned := isPinned(path)
	method := "probe"
	if pinned {
		method = "sha256 " + pluginSHA256
	}
	stamp, want := stampFile(path, pinned), id+" "+method
	if _, ok := verified.Load(stamp + "\x00" + want); ok {
		return nil
	}
	if b, err := os.ReadFile(stamp); err == nil && strings.TrimSpace(string(b)) == want {
		verified.Store(stamp+"\x00"+want, true)
		return nil
	}
	if pinned {
		err = checkHash(path)
	} else {
		err = probe(path)
	}
	if err != nil {
		return err
	}
	if again, err := fileID(path); err != nil || again != id {
		return errors.New("changed while it was being checked")
	}
	verified.Store(stamp+"\x00"+want, true)
	writeStamp(stamp, want) // Best effort: without it, every process checks the plugin again.
	return nil
}

// fileID identifies the file's current contents without reading them, or says why it cannot be a plugin.
func fileID(path string) (string, error) {
	info, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", errors.New("does not exist")
	} else if err != nil {
		return "", fmt.Errorf("cannot be read: %v", err)
	}
	if !info.Mode().IsRegular() {
		return "", fmt.Errorf("is not a regular file (%s)", info.Mode().Type())
	}
	return fmt.Sprintf("%d %d %s", info.Size(), info.ModTime().UnixNano(), sysID(info)), nil
}

// verified holds this process's passed checks, as stamp file and stamp content: it spares a read-only
// checkout, where no stamp can be written, from checking again at every [Choose].
var verified sync.Map

// isPinned reports whether path is the plugin scripts/setup.sh installs, whose hash is known.
func isPinned(path string) bool {
	want, err1 := filepath.Abs(filepath.Join(PluginDir(), PluginName))
	got, err2 := filepath.Abs(path)
	return err1 == nil && err2 == nil && got == want
}

// stampFile is where a passed check of path is recorded: beside our own plugin (scripts/setup.sh removes
// it with the plugin), and for any other in the user's cache, since a plugin's directory may be shared or
// read-only.
func stampFile(path string, pinned bool) string {
	if pinned {
		return path + ".verified"
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "" // Nothing to read; writing fails: checked once per process.
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(dir, "golecture", "pjrt-checked", hex.EncodeToString(sum[:16]))
}

// writeStamp writes the stamp through a temporary file, so a concurrent reader never sees half of it.
func writeStamp(file, content string) {
	if file == "" || os.MkdirAll(filepath.Dir(file), 0o755) != nil {
		return
	}
	tmp := file + ".tmp" + strconv.Itoa(os.Getpid())
	if err := os.WriteFile(tmp, []byte(content+"\n"), 0o644); err != nil {
		return
	}
	if os.Rename(tmp, file) != nil {
		os.Remove(tmp)
	}
}

func checkHash(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot be read: %v", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("cannot be read: %v", err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != pluginSHA256 {
		return fmt.Errorf("has SHA-256 %s, not the pinned %s: it is damaged, or scripts/setup.sh installs a "+
			"different wheel than pkg/backend's pluginSHA256 expects", sum, pluginSHA256)
	}
	return nil
}

// probeEnv, set in a child process's environment, makes package backend's initialization load the plugin
// it names, create a client and exit (see xla.go): 0 when that worked.
const probeEnv = "GOLECTURE_PJRT_PROBE"

// xlaLinked is set where go-xla is compiled in (xla.go). Without it GoMLX refuses every plugin with an
// error, so there is nothing a child could crash on.
var xlaLinked bool

// probeTimeout bounds the child: the CPU plugin loads in a fraction of a second, a GPU plugin in seconds.
var probeTimeout = 2 * time.Minute

// probe checks a plugin by loading it in a child process; tests replace it.
var probe = probeInChild

// crashLine matches the line in which the Go runtime names a fatal signal, e.g. "SIGBUS: bus error".
var crashLine = regexp.MustCompile(`(?m)^(SIG[A-Z]+: [^\n]*)`)

func probeInChild(path string) error {
	if !xlaLinked {
		return nil
	}
	exe := "/proc/self/exe" // Still there if the executable was replaced or removed since it started.
	if _, err := os.Stat(exe); runtime.GOOS != "linux" || err != nil {
		if exe, err = os.Executable(); err != nil {
			return fmt.Errorf("could not be checked: %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), probeEnv+"="+path)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second // A grandchild holding the output open must not hang us.
	err := cmd.Run()
	if err == nil {
		return nil
	}
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("did not load within %s in a process started to check it", probeTimeout)
	case crashLine.Match(out.Bytes()):
		return fmt.Errorf("crashed a process that loaded it to check it (%s): it is damaged, or not a plugin for this "+
			"machine", crashLine.FindSubmatch(out.Bytes())[1])
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return fmt.Errorf("could not be checked: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	why := strings.TrimSpace(lines[len(lines)-1])
	if len(why) > 300 {
		why = why[:300] + "..."
	}
	if why == "" {
		why = exit.String()
	}
	return fmt.Errorf("failed to load in a process started to check it (%s)", why)
}

// probeChild runs in the child process: it loads the plugin at path as [New] would and reports how it went,
// in its exit status and, on failure, in its last line of output.
func probeChild(path string) (status int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Println(firstLine(r))
			status = 3
		}
	}()
	prepareCUDA("xla:" + path)
	if _, err := compute.NewWithConfig("xla:" + path); err != nil {
		fmt.Println(firstLine(err))
		return 3
	}
	return 0 // The backend is not finalized: the process ends here.
}

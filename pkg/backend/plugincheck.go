package backend

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

// PluginName is the file name scripts/setup.sh gives the PJRT CPU plugin it installs in [PluginDir].
const PluginName = "pjrt_c_api_cpu_plugin.so"

// MinPluginSize is the smallest file accepted as a PJRT plugin. Real ones are 100+ MB; anything under this is
// a truncated copy or not a plugin, and dlopen-ing a truncated library can kill the process with SIGBUS.
const MinPluginSize = 1 << 20

// pluginSHA256 is the SHA-256 of the plugin scripts/setup.sh installs (pjrt_c_api_cpu_plugin.so from the
// wheel lammps-jax-pjrt-cpu==0.11.2). Update it together with PJRT_WHEEL_REQ in scripts/setup.sh.
// A variable only so tests can pin a fake plugin.
var pluginSHA256 = "ad1309ac822b1b24d51b7f9947c7c9fa9ef5d67f390584cbc3d1fa2428fed9c2"

// fixHint ends every plugin error: the two ways out.
const fixHint = "run scripts/setup.sh to (re)install the local PJRT CPU plugin, or set " + EnvVar +
	"=go to use the pure-Go backend"

// CheckPlugin reports why the file at path cannot be loaded as a PJRT plugin, or nil if it looks sound. It
// never loads the file: it checks that it is a regular file of at least [MinPluginSize] bytes and, on ELF
// systems, a complete shared library for this architecture whose segments and sections all lie within the
// file (a truncated copy fails here instead of crashing the process in dlopen). The plugin scripts/setup.sh
// installs ([PluginName] in [PluginDir]) must also match its pinned SHA-256; that result is remembered for the
// process and, across processes, in a stamp file beside the plugin, since hashing it takes 0.15-0.35 s.
func CheckPlugin(path string) error {
	if err := checkFile(path); err != nil {
		return fmt.Errorf("PJRT plugin %s %w; %s", path, err, fixHint)
	}
	if isPinned(path) {
		if err := verifyPinned(path); err != nil {
			return fmt.Errorf("PJRT plugin %s %w; %s", path, err, fixHint)
		}
	}
	return nil
}

// checkFile returns an error phrased to follow "PJRT plugin <path> ".
func checkFile(path string) error {
	info, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return errors.New("does not exist")
	} else if err != nil {
		return fmt.Errorf("cannot be read: %v", err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("is not a regular file (%s)", info.Mode().Type())
	}
	size := info.Size()
	if size < MinPluginSize {
		return fmt.Errorf("is only %d bytes, too small for a PJRT plugin (they are 100+ MB): a truncated copy?", size)
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		return nil // Mach-O and PE plugins: the checks below are ELF-only.
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot be read: %v", err)
	}
	defer f.Close()
	magic := make([]byte, 4)
	if _, err := io.ReadFull(f, magic); err != nil || !bytes.Equal(magic, []byte(elf.ELFMAG)) {
		return errors.New("is not an ELF shared library (wrong magic bytes)")
	}
	ef, err := elf.NewFile(f)
	if err != nil {
		return fmt.Errorf("is not a complete ELF file (%v): a truncated copy?", err)
	}
	if ef.Type != elf.ET_DYN {
		return fmt.Errorf("is an ELF file of type %v, not a shared library", ef.Type)
	}
	if want, ok := elfMachine[runtime.GOARCH]; ok && ef.Machine != want {
		return fmt.Errorf("is built for %v, not for this machine (%s)", ef.Machine, runtime.GOARCH)
	}
	// dlopen maps the loadable segments; touching a mapped page past the end of the file raises SIGBUS.
	for _, p := range ef.Progs {
		if p.Filesz > uint64(size) || p.Off > uint64(size)-p.Filesz {
			return fmt.Errorf("is truncated: a %v segment ends at byte %d of a %d-byte file", p.Type, p.Off+p.Filesz, size)
		}
	}
	for _, s := range ef.Sections {
		if s.Type == elf.SHT_NOBITS {
			continue
		}
		if s.FileSize > uint64(size) || s.Offset > uint64(size)-s.FileSize {
			return fmt.Errorf("is truncated: section %q ends at byte %d of a %d-byte file", s.Name, s.Offset+s.FileSize, size)
		}
	}
	return nil
}

var elfMachine = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

// isPinned reports whether path is the plugin scripts/setup.sh installs, whose hash is known.
func isPinned(path string) bool {
	want, err1 := filepath.Abs(filepath.Join(PluginDir(), PluginName))
	got, err2 := filepath.Abs(path)
	return err1 == nil && err2 == nil && got == want
}

// verified remembers, per process, the files (by path, size and modification time) whose hash matched.
var verified sync.Map

// verifyPinned checks the pinned plugin's SHA-256, hashing it only when neither this process nor the stamp
// file has seen it with its current size and modification time.
func verifyPinned(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("cannot be read: %v", err)
	}
	id := fmt.Sprintf("%d %d", info.Size(), info.ModTime().UnixNano())
	key := path + "\x00" + id + "\x00" + pluginSHA256
	if _, ok := verified.Load(key); ok {
		return nil
	}
	stampFile := path + ".verified"
	want := id + " " + pluginSHA256
	if b, err := os.ReadFile(stampFile); err == nil && strings.TrimSpace(string(b)) == want {
		verified.Store(key, true)
		return nil
	}
	sum, err := hashFile(path)
	if err != nil {
		return fmt.Errorf("cannot be read: %v", err)
	}
	if sum != pluginSHA256 {
		return fmt.Errorf("has SHA-256 %s, not the pinned %s: it is damaged, or scripts/setup.sh installs a "+
			"different wheel than pkg/backend's pluginSHA256 expects", sum, pluginSHA256)
	}
	verified.Store(key, true)
	writeStamp(stampFile, want) // Best effort: a read-only checkout just re-hashes in every process.
	return nil
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeStamp writes the stamp through a temporary file, so a concurrent reader never sees half of it.
func writeStamp(file, content string) {
	tmp := file + ".tmp" + strconv.Itoa(os.Getpid())
	if err := os.WriteFile(tmp, []byte(content+"\n"), 0o644); err != nil {
		return
	}
	if os.Rename(tmp, file) != nil {
		os.Remove(tmp)
	}
}

package goexec

// Reusing cell programs (a golecture change, see PATCH.md).
//
// Every cell is built into a new program, and on a warm build cache nearly all of a cell's time is the
// linker writing that program again. After *Restart Kernel and Run All* the programs are the same as in
// the previous kernel, byte for byte, as long as three things are: the cell's main.go, the directory it is
// built in and the module's name (both are part of Go's action IDs). So:
//
//   - A kernel works in a "slot": <root>/slot<N>, module gonb_slot<N>, N the lowest slot no other live
//     kernel of this user holds (an flock on slot<N>.lock, held for the kernel's life). A restarted kernel
//     gets the slot its predecessor left, so its programs have the same action IDs.
//   - Before `go build`, the program last built from the same main.go in this slot is copied to the
//     output path. `go build` then checks that file's build ID against what it would link, and links
//     again only when anything differs (a changed dependency, flags, toolchain): Go, not this file,
//     decides whether the program is current, so a stale program is never run.
//   - After a build that did link, the new program is kept in <root>/slot<N>.bin, at most
//     $GONB_CELL_BINARIES programs (default 48; 0 turns reuse off), the least recently used dropped first.
//   - When nothing the program was built from can have changed, `go build` is not even run (cellstamp.go;
//     $GONB_CELL_STAMPS=0 turns that off).
//
// <root> is $GONB_CELL_DIR, else (or when that is not the user's own) <os.TempDir()>/gonb-cells-<uid>. A root
// must be private to the user: one another user owns or can write is refused, and in the end the kernel falls
// back to GoNB's usual one-off directory. The lecture's image sets $GONB_CELL_DIR to a directory its warm-up
// fills, so that a student's first Run All already finds its programs.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"k8s.io/klog/v2"
)

// maxSlots bounds the kernels of one user that get a reusable slot; more fall back to one-off directories.
const maxSlots = 64

// defaultCellBinaries is how many programs a slot keeps when $GONB_CELL_BINARIES is not set: the Run All of
// two notebooks of about 20 code cells each (a lecture's program is about 30 MB: 1.4 GB at most).
const defaultCellBinaries = 48

// slot is a kernel's reusable work directory.
type slot struct {
	dir, pkg, binDir string
	lock             *os.File // Held (flock) while the kernel lives; closing it frees the slot.
	keep             int      // Programs to keep in binDir; 0: no reuse.
	stamps           bool     // Whether a build nothing could have changed is skipped (cellstamp.go).
	builtKey         string   // Key of the program now at the output path, "" if unknown.
}

// takeSlot finds a free slot and prepares its (empty) work directory, or returns an error when no slot can
// be used, in which case the caller uses a one-off directory as GoNB always did.
func takeSlot() (*slot, error) {
	root := filepath.Join(os.TempDir(), fmt.Sprintf("gonb-cells-%d", os.Getuid()))
	if dir := os.Getenv("GONB_CELL_DIR"); dir != "" {
		if err := privateDir(dir); err == nil {
			root = dir
		} else {
			klog.Warningf("GoNB: $GONB_CELL_DIR not used (%v); using %s", err, root)
		}
	}
	if err := privateDir(root); err != nil {
		return nil, err
	}
	keep := defaultCellBinaries
	if v := os.Getenv("GONB_CELL_BINARIES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("GONB_CELL_BINARIES=%q: want a count of programs, 0 or more", v)
		}
		keep = n
	}
	stamps := true
	switch v := os.Getenv("GONB_CELL_STAMPS"); v {
	case "", "1":
	case "0":
		stamps = false
	default:
		return nil, fmt.Errorf("GONB_CELL_STAMPS=%q: want 1 (skip a build nothing could have changed) or 0", v)
	}
	for n := 0; n < maxSlots; n++ {
		name := fmt.Sprintf("slot%d", n)
		lock, ok, err := tryLock(filepath.Join(root, name+".lock"))
		if err != nil {
			return nil, err
		}
		if !ok {
			continue // Another live kernel's.
		}
		s := &slot{dir: filepath.Join(root, name), pkg: "gonb_" + name, binDir: filepath.Join(root, name+".bin"),
			lock: lock, keep: keep, stamps: stamps}
		// Left over from a kernel that died without cleaning up: start empty, as a new kernel should.
		if err := os.RemoveAll(s.dir); err != nil {
			s.release()
			return nil, err
		}
		if err := os.Mkdir(s.dir, 0o700); err != nil {
			s.release()
			return nil, err
		}
		if err := os.MkdirAll(s.binDir, 0o700); err != nil {
			s.release()
			return nil, err
		}
		return s, nil
	}
	return nil, fmt.Errorf("all %d slots in %s are held by live kernels", maxSlots, root)
}

func (s *slot) release() {
	if s != nil && s.lock != nil {
		_ = s.lock.Close()
		s.lock = nil
	}
}

// cellKey names the program built from the cell's code with the given build arguments.
func cellKey(codePath string, args []string) (string, error) {
	code, err := os.ReadFile(codePath)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%q\n", args)
	h.Write(code)
	return hex.EncodeToString(h.Sum(nil)[:16]), nil
}

// seed puts the program last built under key at target, unless it is there already. It returns the
// target's modification time after seeding (zero if there is no target), to tell afterwards whether
// `go build` linked a new one.
func (s *slot) seed(key, target string) time.Time {
	if s.keep > 0 && key != s.builtKey {
		kept := filepath.Join(s.binDir, key)
		if err := copyFileAtomic(kept, target); err == nil {
			s.builtKey = key
			now := time.Now()
			_ = os.Chtimes(kept, now, now) // Recently used.
		} else if !os.IsNotExist(err) {
			klog.Warningf("cell programs: could not reuse %s: %v", kept, err)
		}
	}
	if fi, err := os.Stat(target); err == nil {
		return fi.ModTime()
	}
	return time.Time{}
}

// keepBuilt records the program at target as the one built under key, keeping a copy when `go build`
// linked it anew (its modification time is not before's), and drops the least recently used copies.
func (s *slot) keepBuilt(key, target string, before time.Time) {
	fi, err := os.Stat(target)
	if err != nil {
		s.builtKey = ""
		return
	}
	s.builtKey = key
	if s.keep == 0 || fi.ModTime().Equal(before) {
		return
	}
	if err := copyFileAtomic(target, filepath.Join(s.binDir, key)); err != nil {
		klog.Warningf("cell programs: could not keep %s: %v", target, err)
		return
	}
	entries, err := os.ReadDir(s.binDir)
	if err != nil {
		return
	}
	type kept struct {
		name string
		used time.Time
	}
	var all []kept
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || strings.HasSuffix(e.Name(), ".stamp") {
			continue
		}
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
			all = append(all, kept{e.Name(), info.ModTime()})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].used.After(all[j].used) })
	for _, k := range all[min(len(all), s.keep):] {
		_ = os.Remove(filepath.Join(s.binDir, k.name))
		_ = os.Remove(s.stampPath(k.name))
	}
}

// copyFileAtomic copies src to dst through a temporary file renamed over dst, so that a program still
// running from the old dst keeps its file, and dst is never seen half written.
func copyFileAtomic(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.CreateTemp(filepath.Dir(dst), ".cell-*")
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(out.Name(), 0o700)
	}
	if err == nil {
		err = os.Rename(out.Name(), dst)
	}
	if err != nil {
		_ = os.Remove(out.Name())
	}
	return err
}

package fitcache

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

type entry struct {
	Weights []float32
	Note    string
}

// TestMain points the user cache directory, where the default fallback lives, at a temporary directory, so
// that no test reads or writes the real one.
func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "" {
		home, err := os.MkdirTemp("", "fitcache-home-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Setenv("HOME", home)
		os.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
		code := m.Run()
		os.RemoveAll(home)
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// newCache returns a cache in a fresh directory with a fresh fallback.
func newCache(t *testing.T) *Cache {
	c := In(t.TempDir())
	c.Fallback = filepath.Join(t.TempDir(), "fallback")
	return c
}

func TestRoundTripAndClear(t *testing.T) {
	c := newCache(t)
	key := Key("v1", []int{5, 512}, 42)
	var got entry
	if hit, err := c.Load(key, &got); hit || err != nil {
		t.Fatalf("empty cache: hit=%v err=%v", hit, err)
	}
	want := entry{Weights: []float32{1, 2.5, -3}, Note: "x"}
	if err := c.Save(key, want); err != nil {
		t.Fatal(err)
	}
	if hit, err := c.Load(key, &got); !hit || err != nil {
		t.Fatalf("after save: hit=%v err=%v", hit, err)
	}
	if got.Note != "x" || len(got.Weights) != 3 || got.Weights[1] != 2.5 {
		t.Errorf("loaded %+v, want %+v", got, want)
	}
	if c.Len() != 1 {
		t.Errorf("Len = %d, want 1", c.Len())
	}
	if n, err := c.Clear(); n != 1 || err != nil {
		t.Errorf("Clear = %d, %v; want 1, nil", n, err)
	}
	if hit, _ := c.Load(key, &got); hit {
		t.Error("hit after Clear")
	}
}

func TestKeyDependsOnEveryPart(t *testing.T) {
	base := Key("v1", []int{32, 32}, int64(7), 0.5)
	for _, other := range []string{
		Key("v2", []int{32, 32}, int64(7), 0.5),
		Key("v1", []int{32, 33}, int64(7), 0.5),
		Key("v1", []int{32, 32}, int64(8), 0.5),
		Key("v1", []int{32, 32}, int64(7), 0.25),
	} {
		if other == base {
			t.Errorf("different parts gave the same key %s", base)
		}
	}
	if Key("v1", []int{32, 32}, int64(7), 0.5) != base {
		t.Error("same parts gave different keys")
	}
}

// TestBadKeysAndTargetsAreErrors: a key that could leave the directory or match another key's temporary files,
// and a target that gob cannot decode into, are the caller's errors, not corrupt entries to drop.
func TestBadKeysAndTargetsAreErrors(t *testing.T) {
	c := newCache(t)
	for _, key := range []string{"", "../x", "a/b", "a-b", ".fit", strings.Repeat("a", maxKeyLen+1)} {
		if _, err := c.Load(key, &entry{}); err == nil || !strings.Contains(err.Error(), "fitcache.Key") {
			t.Errorf("Load(%q): %v; want an error pointing to fitcache.Key", key, err)
		}
		if err := c.Save(key, entry{}); err == nil {
			t.Errorf("Save(%q) succeeded", key)
		}
		if _, err := c.Lock(key); err == nil {
			t.Errorf("Lock(%q) succeeded", key)
		}
		if err := c.Remove(key); err == nil {
			t.Errorf("Remove(%q) succeeded", key)
		}
	}
	key := Key("target")
	if err := c.Save(key, entry{Note: "n"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Load(key, entry{}); err == nil || !strings.Contains(err.Error(), "pointer") {
		t.Errorf("Load into a non-pointer: %v; want an error asking for a pointer", err)
	}
	if hit, err := c.Load(key, &entry{}); !hit || err != nil {
		t.Errorf("entry was dropped after a Load into a non-pointer: hit=%v err=%v", hit, err)
	}
}

func TestCorruptEntriesAreDroppedNotUsed(t *testing.T) {
	c := newCache(t)
	key := Key("corrupt")
	if err := c.Save(key, entry{Weights: make([]float32, 1000)}); err != nil {
		t.Fatal(err)
	}
	path := entryPath(c.Dir, key)
	raw, _ := os.ReadFile(path)
	for name, bad := range map[string][]byte{
		"torn":      raw[:len(raw)/2],
		"bit flip":  flip(raw, len(raw)-10),
		"bad magic": flip(raw, 0),
		"bad key":   flip(raw, len(magic)+3),
		"old magic": append([]byte("golecture-fit-v1\n"), raw[len(magic):]...),
		"empty":     {},
	} {
		if err := os.WriteFile(path, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		got := entry{Note: "untouched"}
		hit, err := c.Load(key, &got)
		if hit || err != nil {
			t.Errorf("%s entry: hit=%v err=%v; want a plain miss", name, hit, err)
		}
		if got.Note != "untouched" {
			t.Errorf("%s entry: a miss changed the target to %+v", name, got)
		}
		if _, err := os.Lstat(path); !os.IsNotExist(err) {
			t.Errorf("%s entry was not removed", name)
		}
	}
}

func flip(b []byte, i int) []byte {
	out := append([]byte(nil), b...)
	out[i] ^= 0x55
	return out
}

// TestEntryCopiedToAnotherKeyIsDropped: an entry records its key, so a file copied over another key's name
// (seed 2's weights for seed 1) is a miss and is removed, while the original still loads.
func TestEntryCopiedToAnotherKeyIsDropped(t *testing.T) {
	c := newCache(t)
	a, b := Key("fit", 1), Key("fit", 2)
	if err := c.Save(a, entry{Note: "seed 1"}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(entryPath(c.Dir, a))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(entryPath(c.Dir, b), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	var got entry
	if hit, err := c.Load(b, &got); hit || err != nil {
		t.Errorf("Load of a copied entry: hit=%v err=%v (%+v); want a miss", hit, err, got)
	}
	if _, err := os.Lstat(entryPath(c.Dir, b)); !os.IsNotExist(err) {
		t.Error("the copied entry was not removed")
	}
	if hit, err := c.Load(a, &got); !hit || err != nil || got.Note != "seed 1" {
		t.Errorf("Load of the original: hit=%v err=%v %+v; want a hit", hit, err, got)
	}
}

// within runs f in a goroutine and fails the test if it has not returned after a generous timeout, which only
// a hang would exceed.
func within[T any](t *testing.T, what string, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case r := <-done:
		return r
	case <-time.After(5 * time.Second):
		t.Fatalf("%s hangs", what)
		panic("unreachable")
	}
}

// loadWithin is Load, within a timeout.
func loadWithin(t *testing.T, c *Cache, key string) (bool, error) {
	t.Helper()
	type result struct {
		hit bool
		err error
	}
	r := within(t, "Load", func() result {
		hit, err := c.Load(key, &entry{})
		return result{hit, err}
	})
	return r.hit, r.err
}

// TestLoadRefusesWhatIsNotAnEntryFile: a named pipe, a symbolic link (to /dev/zero, which would never end),
// a directory and a file larger than MaxEntryBytes at an entry's path are misses that return promptly, read
// nothing, and are removed.
func TestLoadRefusesWhatIsNotAnEntryFile(t *testing.T) {
	plant := map[string]func(path string) error{
		"named pipe": func(path string) error { return syscall.Mkfifo(path, 0o644) },
		"symlink to /dev/zero": func(path string) error {
			if _, err := os.Stat("/dev/zero"); err != nil {
				t.Skip("no /dev/zero")
			}
			return os.Symlink("/dev/zero", path)
		},
		"symlink to an entry": func(path string) error {
			c := In(filepath.Dir(path))
			key := strings.TrimSuffix(filepath.Base(path), suffix)
			if err := c.Save(key, entry{}); err != nil {
				return err
			}
			if err := os.Rename(path, path+".real"); err != nil {
				return err
			}
			return os.Symlink(path+".real", path)
		},
		"directory": func(path string) error {
			if err := os.MkdirAll(filepath.Join(path, "sub"), 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(path, "sub", "f"), []byte("x"), 0o644)
		},
		"sparse file over the cap": func(path string) error {
			f, err := os.Create(path)
			if err != nil {
				return err
			}
			defer f.Close()
			return f.Truncate(MaxEntryBytes + 1)
		},
	}
	for name, create := range plant {
		t.Run(name, func(t *testing.T) {
			c := newCache(t)
			key := Key(name)
			path := entryPath(c.Dir, key)
			if err := create(path); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			hit, err := loadWithin(t, c, key)
			runtime.ReadMemStats(&after)
			if hit || err != nil {
				t.Errorf("hit=%v err=%v; want a plain miss", hit, err)
			}
			if _, err := os.Lstat(path); !os.IsNotExist(err) {
				t.Errorf("%s at the entry path was not removed", name)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
				t.Errorf("Load allocated %d MiB", grew>>20)
			}
		})
	}
}

func TestRemove(t *testing.T) {
	c := newCache(t)
	key := Key("remove")
	if err := c.Remove(key); err != nil {
		t.Errorf("Remove of an absent entry: %v", err)
	}
	if err := c.Save(key, entry{Note: "bad"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Remove(key); err != nil {
		t.Fatal(err)
	}
	if hit, err := c.Load(key, &entry{}); hit || err != nil {
		t.Errorf("after Remove: hit=%v err=%v; want a miss", hit, err)
	}
	if err := Off().Remove(key); err != nil {
		t.Errorf("Remove on a disabled cache: %v", err)
	}
}

func TestNoTemporaryFilesLeft(t *testing.T) {
	c := newCache(t)
	for i := range 5 {
		if err := c.Save(Key(i), entry{Note: "n"}); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := os.ReadDir(c.Dir)
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), suffix) && !strings.HasPrefix(f.Name(), lockPrefix) {
			t.Errorf("left behind %s", f.Name())
		}
	}
}

// TestStaleTemporaryFilesAreRemoved: what a killed Save of a key left behind is deleted by the next Save of that
// key (and of no other key), both under Lock and without it; while another process holds the lock, Save still
// writes but leaves the temporary files alone, since they may be that process's.
func TestStaleTemporaryFilesAreRemoved(t *testing.T) {
	c := newCache(t)
	key, other := Key("stale"), Key("other")
	planted := func(names ...string) []string {
		var paths []string
		for _, n := range names {
			p := filepath.Join(c.Dir, n)
			if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, p)
		}
		return paths
	}
	exists := func(p string) bool { _, err := os.Lstat(p); return err == nil }
	keep := planted(".tmp-" + other + "-1")

	stale := planted(".tmp-"+key+"-x", ".tmp-"+key+"-y")
	release, err := c.Lock(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Save(key, entry{}); err != nil {
		t.Fatal(err)
	}
	release()
	for _, p := range stale {
		if exists(p) {
			t.Errorf("Save under Lock left %s", filepath.Base(p))
		}
	}

	stale = planted(".tmp-" + key + "-z")
	if err := c.Save(key, entry{}); err != nil {
		t.Fatal(err)
	}
	if exists(stale[0]) {
		t.Error("Save without Lock left a stale temporary file")
	}

	// Another process's lock, as far as flock is concerned: a lock taken on another open file.
	busy, ok, err := tryLock(filepath.Join(c.Dir, lockPrefix+key), "busy")
	if !ok || err != nil {
		t.Fatalf("tryLock: %v, %v", ok, err)
	}
	inUse := planted(".tmp-" + key + "-w")
	if err := c.Save(key, entry{Note: "meanwhile"}); err != nil {
		t.Fatal(err)
	}
	busy.unlock()
	if !exists(inUse[0]) {
		t.Error("Save deleted a temporary file while another process held the key's lock")
	}
	if !exists(keep[0]) {
		t.Error("Save deleted another key's temporary file")
	}

	if _, err := c.Clear(); err != nil {
		t.Fatal(err)
	}
	if files, _ := os.ReadDir(c.Dir); len(files) != 0 {
		t.Errorf("Clear left %d files, e.g. %s", len(files), files[0].Name())
	}
}

// TestReadOnlyDirectory uses real permissions, which do not bind root: as root it is skipped, and
// TestReadOnlyFallback covers the same logic through the probe hook.
func TestReadOnlyDirectory(t *testing.T) {
	dir := t.TempDir()
	shared := In(dir)
	key := Key("prefilled")
	if err := shared.Save(key, entry{Note: "shared"}); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	if f, err := os.CreateTemp(dir, "probe-"); err == nil {
		f.Close()
		os.Remove(f.Name())
		t.Skip("a directory with mode 0555 is writable here (running as root); TestReadOnlyFallback covers this")
	}
	c := In(dir)
	c.Fallback = filepath.Join(t.TempDir(), "private")
	testReadOnly(t, c, key)
}

func TestReadOnlyFallback(t *testing.T) {
	dir := t.TempDir()
	key := Key("prefilled")
	if err := In(dir).Save(key, entry{Note: "shared"}); err != nil {
		t.Fatal(err)
	}
	c := In(dir)
	c.Fallback = filepath.Join(t.TempDir(), "private")
	c.probe = failIn(dir, syscall.EROFS)
	testReadOnly(t, c, key)
}

func testReadOnly(t *testing.T, c *Cache, prefilled string) {
	t.Helper()
	var got entry
	if hit, err := c.Load(prefilled, &got); !hit || err != nil || got.Note != "shared" {
		t.Fatalf("Load from the read-only cache: hit=%v err=%v %+v", hit, err, got)
	}
	if n := c.Notice(); n != "" {
		t.Errorf("Notice before any write = %q, want none", n)
	}
	if err := c.Check(); err != nil {
		t.Fatalf("Check with a writable fallback: %v", err)
	}
	key := Key("new")
	release, err := c.Lock(key)
	if err != nil {
		t.Fatal(err)
	}
	if hit, _ := c.Load(key, &got); hit {
		t.Fatal("hit before Save")
	}
	if err := c.Save(key, entry{Note: "private"}); err != nil {
		t.Fatal(err)
	}
	release()
	if _, err := os.Stat(entryPath(c.Fallback, key)); err != nil {
		t.Errorf("the new entry is not in the fallback: %v", err)
	}
	if _, err := os.Stat(entryPath(c.Dir, key)); err == nil {
		t.Error("the new entry went to the read-only directory")
	}
	if hit, err := c.Load(key, &got); !hit || err != nil || got.Note != "private" {
		t.Errorf("Load from the fallback: hit=%v err=%v %+v", hit, err, got)
	}
	want := "the fit cache directory is read-only: new fits go to " + c.Fallback
	if strings.Contains(c.Notice(), "file system") {
		want = "the fit cache directory is read-only (a read-only file system): new fits go to " + c.Fallback
	}
	if n := c.Notice(); n != want {
		t.Errorf("Notice = %q, want %q", n, want)
	}
	if c.Len() != 2 {
		t.Errorf("Len = %d, want 2 (one shared, one private)", c.Len())
	}
}

// TestDefaultFallbackIsPrivate: without an explicit Fallback, new fits go to the user's cache directory, and a
// fallback in the shared temporary directory that another user could have planted is never used.
func TestDefaultFallbackIsPrivate(t *testing.T) {
	base := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", base)
	t.Setenv("HOME", base)
	dir := t.TempDir()
	c := In(dir)
	c.probe = failIn(dir, syscall.EACCES)
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	if fb := c.fallbacks()[0]; runtime.GOOS == "linux" && fb != filepath.Join(base, "golecture", "fits-private") {
		t.Errorf("fallback %s, want one in $XDG_CACHE_HOME", fb)
	}
	if !strings.Contains(c.Notice(), "fits-private") {
		t.Errorf("Notice = %q, want the private fallback named", c.Notice())
	}
	open := t.TempDir()
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if c.private(open) {
		t.Errorf("a world-writable directory counts as a private fallback")
	}
}

func TestUnwritableDirectory(t *testing.T) {
	parent := t.TempDir()
	blocker := filepath.Join(parent, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c := In(filepath.Join(blocker, "fits")) // A directory below a regular file can never be created, even as root.
	_, lockErr := c.Lock(Key("k"))
	for name, err := range map[string]error{"Check": c.Check(), "Save": c.Save("k", entry{}), "Lock": lockErr} {
		if err == nil || !strings.Contains(err.Error(), EnvVar) || !strings.Contains(err.Error(), c.Dir) {
			t.Errorf("%s on unwritable dir: %v; want an error naming %s and the directory", name, err, EnvVar)
		}
	}
	if hit, err := c.Load("k", &entry{}); hit || err != nil {
		t.Errorf("Load from a missing directory: hit=%v err=%v; want a plain miss", hit, err)
	}

	// A read-only directory with no writable fallback either.
	dir := t.TempDir()
	ro := In(dir)
	ro.Fallback = filepath.Join(blocker, "private")
	ro.probe = func(string) error { return syscall.EACCES }
	err := ro.Check()
	if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), `"off"`) {
		t.Errorf("Check with nowhere to write: %v; want an error naming %s and saying to set %s", err, dir, EnvVar)
	}
}

func TestDisabled(t *testing.T) {
	t.Setenv(EnvVar, "off")
	c := Default()
	if err := c.Save("k", entry{}); err != nil {
		t.Fatal(err)
	}
	if hit, _ := c.Load("k", &entry{}); hit {
		t.Error("disabled cache hit")
	}
	release, err := c.Lock("k")
	if err != nil {
		t.Fatal(err)
	}
	release()
	if c.Notice() != "" || c.Check() != nil || c.Len() != 0 {
		t.Error("a disabled cache reports something")
	}
	t.Setenv(EnvVar, "/some/dir")
	if Default().Dir != "/some/dir" {
		t.Errorf("Default().Dir = %q, want /some/dir", Default().Dir)
	}
}

const helperEnv = "FITCACHE_TEST_HELPER"

// TestOneFitForManyProcesses starts several processes that all need the same fit at once: with Lock, exactly
// one trains and the others load its result.
func TestOneFitForManyProcesses(t *testing.T) {
	const n = 6
	dir := t.TempDir()
	log := filepath.Join(t.TempDir(), "log")
	cmds := make([]*exec.Cmd, n)
	for i := range cmds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
		cmd.Env = append(os.Environ(), helperEnv+"=1", "FITCACHE_DIR="+dir, "FITCACHE_LOG="+log)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("helper process: %v", err)
		}
	}
	raw, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(raw))
	fits := strings.Count(string(raw), "fit")
	if len(lines) != n || fits != 1 {
		t.Errorf("outcomes %q; want 1 fit and %d hits", lines, n-1)
	}
}

// TestHelperProcess is one process of TestOneFitForManyProcesses; run alone, it does nothing.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		return
	}
	if err := helper(os.Getenv("FITCACHE_DIR"), os.Getenv("FITCACHE_LOG")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

func helper(dir, log string) error {
	c := In(dir)
	key := Key("shared fit")
	release, err := c.Lock(key)
	if err != nil {
		return err
	}
	defer release()
	var m entry
	hit, err := c.Load(key, &m)
	if err != nil {
		return err
	}
	outcome := "hit"
	if !hit {
		time.Sleep(200 * time.Millisecond) // training: long enough for the others to be waiting
		outcome = "fit"
		if err := c.Save(key, entry{Note: "trained"}); err != nil {
			return err
		}
	} else if m.Note != "trained" {
		return errors.New("loaded " + m.Note)
	}
	f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(f, outcome)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Package fitcache memoizes trained models on disk.
//
// GoNB compiles and runs the whole notebook program again for every cell, so a model trained in one cell is
// gone by the next. Callers therefore save every fit under a key that hashes everything deciding its result,
// and the next cell (or the next session) loads it in milliseconds instead of training again.
//
// Entries are gob-encoded values behind a header holding a magic string, the entry's own key and the SHA-256
// of header and payload. They are written to a temporary file, synced and renamed into place, so a reader sees
// either a whole entry or none. Load trusts nothing it reads: anything at an entry's path that is not a regular
// file of at most MaxEntryBytes, whose checksum does not match, that records another key or that does not
// decode (a torn write, a disk error, a hand edit, a copied file, a symbolic link, a named pipe) is deleted and
// reported as a miss, never decoded.
//
// The cache directory comes from $LECTURE_FIT_CACHE ("off" or "0" disables caching), else the user cache
// directory (~/.cache/golecture/fits on Linux). The directory may be a shared, read-only one filled in
// advance: loading needs no write access, and new fits then go to a private fallback directory (see Notice).
//
// Several processes (notebook kernels) may share a cache. Lock serializes them per key, so that one trains
// while the others wait and then load its result:
//
//	type line struct{ Slope, Intercept float64 }
//
//	c := fitcache.Default()
//	key := fitcache.Key("line fit v1", xs, ys)
//	release, err := c.Lock(key)
//	if err != nil {
//		return err
//	}
//	defer release()
//	var m line
//	hit, err := c.Load(key, &m)
//	if err != nil {
//		return err
//	}
//	if !hit {
//		m = fitLine(xs, ys)
//		if err := c.Save(key, m); err != nil {
//			return err
//		}
//	}
package fitcache

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/gofrs/flock"
)

// EnvVar names the environment variable that sets the cache directory, or disables the cache with "off".
const EnvVar = "LECTURE_FIT_CACHE"

// MaxEntryBytes caps the size of an entry file. Load drops larger files unread, and Save refuses to write them.
const MaxEntryBytes = 512 << 20

const (
	magic      = "golecture-fit-v2\n"
	suffix     = ".fit"
	tmpPrefix  = ".tmp-"
	lockPrefix = ".lock-"
	maxKeyLen  = 128

	// openFlags opens an entry without following a symbolic link at its path and without blocking on a named
	// pipe; the open file is then checked to be a regular file before anything is read.
	openFlags = os.O_RDONLY | syscall.O_NOFOLLOW | syscall.O_NONBLOCK
)

// fix is the advice that ends every error about an unusable cache directory.
var fix = fmt.Sprintf("set %s to a writable directory or to \"off\"", EnvVar)

// Cache is a directory of memoized fits. A nil *Cache or one with Disabled set never hits and never writes.
// Use a Cache through a pointer; its methods are safe for concurrent use.
type Cache struct {
	Dir      string
	Disabled bool

	// Fallback is where new entries go when Dir exists but is not writable. Empty means a private directory of
	// the user: golecture/fits-private in os.UserCacheDir(), else golecture-fits-<uid> in os.TempDir().
	Fallback string

	writable func(dir string) bool // reports whether new files can be created in dir; nil probes with a file

	mu       sync.Mutex
	writeDir string // where new entries go, once decided
}

// Default returns the cache configured by $LECTURE_FIT_CACHE, or the one in the user cache directory.
func Default() *Cache {
	switch v := os.Getenv(EnvVar); {
	case strings.EqualFold(v, "off") || v == "0":
		return &Cache{Disabled: true}
	case v != "":
		return &Cache{Dir: v}
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return &Cache{Dir: filepath.Join(dir, "golecture", "fits")}
}

// In returns a cache kept in dir.
func In(dir string) *Cache { return &Cache{Dir: dir} }

// Off returns a cache that never hits and never writes.
func Off() *Cache { return &Cache{Disabled: true} }

func (c *Cache) enabled() bool { return c != nil && !c.Disabled }

// Key hashes its parts, formatted with %#v, into a hex string usable as a file name. Callers pass every value
// that decides the cached result, including a version string of the code that computes it.
func Key(parts ...any) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%#v\x00", p)
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// checkKey accepts the keys that Key makes and any other name of 1 to 128 ASCII letters, digits and
// underscores: a key names files, and temporary files are matched by the prefix ".tmp-<key>-".
func checkKey(key string) error {
	ok := key != "" && len(key) <= maxKeyLen
	for i := 0; ok && i < len(key); i++ {
		b := key[i]
		ok = 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '_'
	}
	if !ok {
		return fmt.Errorf("fit cache key %q is not 1 to %d ASCII letters, digits or underscores: make keys with fitcache.Key",
			key, maxKeyLen)
	}
	return nil
}

// Check makes sure new entries can be written, in Dir or in the fallback, so a caller can fail before hours of
// training rather than after. A read-only Dir is no error (see Notice); a Dir that cannot be created is.
func (c *Cache) Check() error {
	if !c.enabled() {
		return nil
	}
	_, err := c.dirForWriting()
	return err
}

// Notice returns one sentence to show the user once new entries go to the fallback because Dir is read-only,
// and "" otherwise. It reports what Check, Lock or Save decided; before any of them it returns "".
func (c *Cache) Notice() string {
	if !c.enabled() {
		return ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.writeDir == "" || c.writeDir == c.Dir {
		return ""
	}
	return fmt.Sprintf("fit cache in %s is read-only: new fits go to %s", c.Dir, c.writeDir)
}

// dirForWriting returns the directory new entries and lock files go to: Dir, created if need be, when it is
// writable, else the fallback. The answer is kept, so Lock and the Save that follows it agree.
func (c *Cache) dirForWriting() (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.writeDir != "" {
		return c.writeDir, nil
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil && !isDir(c.Dir) {
		// There is nothing to load from either: most likely $LECTURE_FIT_CACHE names the wrong place.
		return "", fmt.Errorf("fit cache directory %q cannot be created: %v; %s", c.Dir, err, fix)
	}
	if c.canWrite(c.Dir) {
		c.writeDir = c.Dir
		return c.writeDir, nil
	}
	var tried []string
	for _, dir := range c.fallbacks() {
		if err := os.MkdirAll(dir, 0o700); err == nil && c.private(dir) && c.canWrite(dir) {
			c.writeDir = dir
			return c.writeDir, nil
		}
		tried = append(tried, strconv.Quote(dir))
	}
	return "", fmt.Errorf("fit cache directory %q is read-only and no private fallback (%s) is writable; %s",
		c.Dir, strings.Join(tried, ", "), fix)
}

func (c *Cache) canWrite(dir string) bool {
	if c.writable != nil {
		return c.writable(dir)
	}
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return false
	}
	f.Close()
	return os.Remove(f.Name()) == nil
}

// fallbacks lists the candidate private directories for new entries when Dir is read-only, in order.
func (c *Cache) fallbacks() []string {
	if c.Fallback != "" {
		return []string{c.Fallback}
	}
	var dirs []string
	if base, err := os.UserCacheDir(); err == nil {
		dirs = append(dirs, filepath.Join(base, "golecture", "fits-private"))
	}
	return append(dirs, filepath.Join(os.TempDir(), "golecture-fits-"+strconv.Itoa(os.Getuid())))
}

// private reports whether dir, a fallback, is a directory that no other user can have written to: one owned by
// this user and writable by no one else, so that one planted in a shared temporary directory is never used.
// An explicit Fallback is trusted as it is.
func (c *Cache) private(dir string) bool {
	if c.Fallback != "" {
		return true
	}
	fi, err := os.Lstat(dir)
	if err != nil || !fi.IsDir() || fi.Mode().Perm()&0o022 != 0 {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}

// readDirs lists the directories Load looks in, in order: Dir, then the existing private fallbacks.
func (c *Cache) readDirs() []string {
	dirs := []string{c.Dir}
	for _, dir := range c.fallbacks() {
		if dir != c.Dir && c.private(dir) {
			dirs = append(dirs, dir)
		}
	}
	return dirs
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

func entryPath(dir, key string) string { return filepath.Join(dir, key+suffix) }

// header starts every entry: the magic string and the key the entry was saved under.
func header(key string) string { return magic + key + "\n" }

// Load decodes the entry for key into v, which must be a non-nil pointer; on a hit *v is replaced whole, on a
// miss it is left alone. It looks in Dir, then in the fallback, and needs no write access. It returns false,
// with no error, when there is no entry, when the cache is disabled, or when what it found was not a valid
// entry for key (that is deleted then, where it can be, so the caller refits and saves again).
func (c *Cache) Load(key string, v any) (bool, error) {
	if err := checkKey(key); err != nil {
		return false, err
	}
	if rv := reflect.ValueOf(v); rv.Kind() != reflect.Pointer || rv.IsNil() {
		return false, fmt.Errorf("fitcache Load needs a non-nil pointer to decode into, got %T: pass &value", v)
	}
	if !c.enabled() {
		return false, nil
	}
	var firstErr error
	for _, dir := range c.readDirs() {
		hit, err := load(dir, key, v)
		if hit {
			return true, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return false, firstErr
}

// load reads the entry for key in dir. What is not a valid entry is dropped and is a miss; only an entry that
// cannot be opened or read (a permission or disk problem, perhaps passing) is an error.
func load(dir, key string, v any) (bool, error) {
	path := entryPath(dir, key)
	f, err := os.OpenFile(path, openFlags, 0)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return false, nil // no entry, or no directory at all
	}
	if err != nil {
		if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			_ = os.Remove(path) // a symbolic link, refused by O_NOFOLLOW
			return false, nil
		}
		return false, fmt.Errorf("fit cache entry %s cannot be opened: %v; delete it, or %s", path, err, fix)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("fit cache entry %s cannot be examined: %v; delete it, or %s", path, err, fix)
	}
	if fi.IsDir() {
		_ = os.RemoveAll(path) // the name is ours: nothing but an entry belongs there
		return false, nil
	}
	if !fi.Mode().IsRegular() || fi.Size() > MaxEntryBytes {
		drop(path, fi)
		return false, nil
	}
	var raw bytes.Buffer
	raw.Grow(int(fi.Size()) + 1)
	if _, err := raw.ReadFrom(io.LimitReader(f, MaxEntryBytes+1)); err != nil {
		return false, fmt.Errorf("fit cache entry %s cannot be read: %v; delete it, or %s", path, err, fix)
	}
	payload, ok := verify(raw.Bytes(), key)
	if !ok {
		drop(path, fi)
		return false, nil
	}
	// Decode into a fresh value, so that a failed decode leaves *v untouched and a hit replaces it whole.
	fresh := reflect.New(reflect.TypeOf(v).Elem())
	if err := gob.NewDecoder(bytes.NewReader(payload)).Decode(fresh.Interface()); err != nil {
		// A checksum-valid entry that does not decode was written by an incompatible version: drop it too.
		drop(path, fi)
		return false, nil
	}
	reflect.ValueOf(v).Elem().Set(fresh.Elem())
	return true, nil
}

// drop deletes the file at path if it is still the one described by opened, not a new entry renamed into its
// place since. Failure (a read-only directory) is ignored: the entry stays a miss.
func drop(path string, opened fs.FileInfo) {
	if now, err := os.Lstat(path); err == nil && os.SameFile(now, opened) {
		_ = os.Remove(path)
	}
}

// verify returns the payload of raw, the content of an entry file, if raw is a whole entry saved under key.
func verify(raw []byte, key string) ([]byte, bool) {
	h := header(key)
	if len(raw) > MaxEntryBytes || len(raw) < len(h)+sha256.Size || string(raw[:len(h)]) != h {
		return nil, false
	}
	sum := raw[len(h) : len(h)+sha256.Size]
	payload := raw[len(h)+sha256.Size:]
	got := checksum(h, payload)
	return payload, bytes.Equal(sum, got[:])
}

func checksum(h string, payload []byte) [sha256.Size]byte {
	s := sha256.New()
	s.Write([]byte(h))
	s.Write(payload)
	return [sha256.Size]byte(s.Sum(nil))
}

// Save writes v under key atomically: a concurrent or interrupted writer never leaves a partial entry behind.
// It writes to Dir, or to the fallback when Dir is read-only.
//
// Save is meant to be called while holding Lock(key). It then first deletes the temporary files a killed
// earlier save of key left behind, since only the lock holder writes key. Without the lock it works too: it
// takes the lock for the cleanup if it is free, and skips the cleanup if another process holds it. Within one
// process, Save assumes that whoever holds Lock(key) is its caller.
func (c *Cache) Save(key string, v any) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if !c.enabled() {
		return nil
	}
	var buf bytes.Buffer
	h := header(key)
	buf.WriteString(h)
	buf.Write(make([]byte, sha256.Size)) // the checksum, filled in below
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return fmt.Errorf("encoding fit cache entry %s: %w; save a value gob can encode (exported fields, no funcs or channels)",
			key, err)
	}
	raw := buf.Bytes()
	if len(raw) > MaxEntryBytes {
		return fmt.Errorf("fit cache entry %s would take %d bytes, more than fitcache.MaxEntryBytes (%d): save less under one key",
			key, len(raw), MaxEntryBytes)
	}
	sum := checksum(h, raw[len(h)+sha256.Size:])
	copy(raw[len(h):], sum[:])

	dir, err := c.dirForWriting()
	if err != nil {
		return err
	}
	lockPath := filepath.Join(dir, lockPrefix+key)
	if heldHere(lockPath) {
		removeStale(dir, key)
	} else if l := newLock(lockPath); lockedNow(l) {
		removeStale(dir, key)
		defer l.Unlock()
	}

	f, err := os.CreateTemp(dir, tmpPrefix+key+"-*")
	if err != nil {
		return fmt.Errorf("fit cache directory %q is not writable: %v; %s", dir, err, fix)
	}
	tmp := f.Name()
	err = f.Chmod(0o644) // readable by others, so that a cache can be filled once and shared read-only
	if err == nil {
		_, err = f.Write(raw)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, entryPath(dir, key))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing fit cache entry %s in %q: %v; free some space, or %s", key, dir, err, fix)
	}
	return nil
}

func lockedNow(l *flock.Flock) bool {
	ok, err := l.TryLock()
	return ok && err == nil
}

// removeStale deletes the temporary files of key in dir. Only the holder of key's lock may call it.
func removeStale(dir, key string) {
	entries, _ := os.ReadDir(dir)
	prefix := tmpPrefix + key + "-"
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// held counts, per lock file, the locks this process holds through Lock.
var held struct {
	sync.Mutex
	n map[string]int
}

func heldHere(lockPath string) bool {
	held.Lock()
	defer held.Unlock()
	return held.n[lockPath] > 0
}

func newLock(path string) *flock.Flock {
	return flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDONLY|syscall.O_NOFOLLOW), flock.SetPermissions(0o644))
}

// Lock takes the exclusive lock on key shared by every process using the same cache, waiting while another
// holds it, and returns the function that releases it. Taking it before Load and releasing it after Save means
// that of several processes needing the same fit, one trains and the others load its result. A disabled cache
// returns a release that does nothing. The lock is a file .lock-<key> in the directory Save writes to.
func (c *Cache) Lock(key string) (release func(), err error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if !c.enabled() {
		return func() {}, nil
	}
	dir, err := c.dirForWriting()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, lockPrefix+key)
	l := newLock(path)
	if err := l.Lock(); err != nil {
		return nil, fmt.Errorf("locking fit cache entry %s with %s: %v; %s", key, path, err, fix)
	}
	held.Lock()
	if held.n == nil {
		held.n = map[string]int{}
	}
	held.n[path]++
	held.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			held.Lock()
			if held.n[path]--; held.n[path] == 0 {
				delete(held.n, path)
			}
			held.Unlock()
			_ = l.Unlock()
		})
	}, nil
}

// Remove deletes the entry for key, in Dir and in the fallback, so that a caller whose own check of a loaded
// value fails can refit. An absent entry is no error; one in a read-only Dir is (it would load again).
func (c *Cache) Remove(key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if !c.enabled() {
		return nil
	}
	var firstErr error
	for _, dir := range c.readDirs() {
		path := entryPath(dir, key)
		if err := os.RemoveAll(path); err != nil && firstErr == nil {
			firstErr = fmt.Errorf("removing fit cache entry %s: %v; delete it by hand, or %s", path, err, fix)
		}
	}
	return firstErr
}

// Clear deletes every entry, leftover temporary file and lock file, in Dir and in the fallback, and returns
// how many entries it removed. It goes on past a file it cannot remove (in a read-only Dir) and reports the
// first such failure.
func (c *Cache) Clear() (int, error) {
	if !c.enabled() {
		return 0, nil
	}
	n := 0
	var firstErr error
	for _, dir := range c.readDirs() {
		entries, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("listing fit cache directory %q: %v; delete it by hand, or %s", dir, err, fix)
		}
		for _, e := range entries {
			name := e.Name()
			isEntry := strings.HasSuffix(name, suffix)
			if !isEntry && !strings.HasPrefix(name, tmpPrefix) && !strings.HasPrefix(name, lockPrefix) {
				continue
			}
			path := filepath.Join(dir, name)
			if err := os.RemoveAll(path); err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("removing fit cache file %s: %v; delete it by hand, or %s", path, err, fix)
				}
			} else if isEntry {
				n++
			}
		}
	}
	return n, firstErr
}

// Len returns the number of entries in the cache, in Dir and in the fallback, counting a key in both once.
func (c *Cache) Len() int {
	if !c.enabled() {
		return 0
	}
	keys := map[string]bool{}
	for _, dir := range c.readDirs() {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if name, ok := strings.CutSuffix(e.Name(), suffix); ok && checkKey(name) == nil {
				keys[name] = true
			}
		}
	}
	return len(keys)
}

// String describes the cache for a one-line status message.
func (c *Cache) String() string {
	if !c.enabled() {
		return "fit cache off"
	}
	return "fit cache in " + c.Dir
}

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
// advance: loading needs no write access, and new fits then go to a private fallback directory (see Notice),
// as they do when its disk is full.
//
// Several processes (notebook kernels) may share a cache. Lock serializes them per key, so that one trains
// while the others wait and then load its result (LockWait also says whom they wait for, and can be stopped):
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
	"time"
	"unicode"
	"unicode/utf8"
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

// advice is what to do about err, the failure of a write in the cache: a full disk needs space, not another
// directory on the same disk.
func advice(err error) string {
	if isFull(err) {
		return fmt.Sprintf("free some space on its disk, or set %s to a directory on another disk or to \"off\"", EnvVar)
	}
	return fix
}

// isFull reports whether err says a file system is out of space or inodes, or the user over a quota.
func isFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// why says in a few words why new files cannot be created in a directory, from the error of trying.
func why(err error) string {
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return "full (no space left on its disk)"
	case errors.Is(err, syscall.EDQUOT):
		return "full (disk quota exceeded)"
	case errors.Is(err, syscall.EROFS):
		return "read-only (a read-only file system)"
	case errors.Is(err, fs.ErrPermission): // EACCES or EPERM
		return "read-only"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the caller names the directory, and a sentence one path
	}
	return fmt.Sprintf("not writable (%v)", err)
}

// Cache is a directory of memoized fits. A nil *Cache or one with Disabled set never hits and never writes.
// Use a Cache through a pointer; its methods are safe for concurrent use.
type Cache struct {
	Dir      string
	Disabled bool

	// Fallback is where new entries go when Dir exists but is read-only or full. Empty means a private
	// directory of the user: golecture/fits-private in os.UserCacheDir(), else golecture-fits-<uid> in
	// os.TempDir().
	Fallback string

	probe func(dir string) error // why new files cannot be created in dir, or nil; nil probes with a file

	mu       sync.Mutex
	writeDir string // where new entries go, once decided
	dirErr   error  // why that is not Dir, if it is not
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
// training rather than after. A read-only or full Dir is no error while a fallback takes new entries (see
// Notice); a Dir that cannot be created is, and so is one where neither Dir nor a fallback can be written.
func (c *Cache) Check() error {
	if !c.enabled() {
		return nil
	}
	_, err := c.dirForWriting()
	return err
}

// Notice returns one sentence to show the user once new entries go to the fallback: why (Dir is read-only, or
// its disk is full) and where they go. It returns "" otherwise, and before Check, Lock or Save has decided.
func (c *Cache) Notice() string {
	if !c.enabled() {
		return ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.writeDir == "" || c.writeDir == c.Dir {
		return ""
	}
	return fmt.Sprintf("the fit cache directory is %s: new fits go to %s", why(c.dirErr), c.writeDir)
}

// dirForWriting returns the directory new entries and lock files go to: Dir, created if need be, when new
// files can be written there, else the fallback. The answer is kept, so Lock and the Save that follows it
// agree.
func (c *Cache) dirForWriting() (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.writeDir != "" {
		return c.writeDir, nil
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil && !isDir(c.Dir) {
		// There is nothing to load from either: most likely $LECTURE_FIT_CACHE names the wrong place.
		return "", fmt.Errorf("fit cache directory %q cannot be created: %v; %s", c.Dir, err, advice(err))
	}
	dirErr := c.canWrite(c.Dir)
	if dirErr == nil {
		c.writeDir = c.Dir
		return c.writeDir, nil
	}
	var tried []string
	for _, dir := range c.fallbacks() {
		err := os.MkdirAll(dir, 0o700)
		if err == nil && !c.private(dir) {
			tried = append(tried, fmt.Sprintf("%q is not a private directory of this user", dir))
			continue
		}
		if err == nil {
			err = c.canWrite(dir)
		}
		if err == nil {
			c.writeDir, c.dirErr = dir, dirErr
			return c.writeDir, nil
		}
		tried = append(tried, fmt.Sprintf("%q is %s", dir, why(err)))
	}
	return "", fmt.Errorf("fit cache directory %q is %s, and no private fallback can take new fits (%s); %s",
		c.Dir, why(dirErr), strings.Join(tried, "; "), advice(dirErr))
}

// canWrite returns nil if new files can be created in dir, else the error of trying. The probe writes a byte,
// so that a disk out of blocks, not only one out of inodes, fails it.
func (c *Cache) canWrite(dir string) error {
	if c.probe != nil {
		return c.probe(dir)
	}
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return err
	}
	_, err = f.Write([]byte{0})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if rerr := os.Remove(f.Name()); err == nil {
		err = rerr
	}
	return err
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
	} else if l, ok, _ := tryLock(lockPath, ""); ok {
		removeStale(dir, key)
		defer l.unlock()
	}

	f, err := os.CreateTemp(dir, tmpPrefix+key+"-*")
	if err != nil {
		return fmt.Errorf("fit cache directory %q is %s: %v; %s", dir, why(err), err, advice(err))
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
		return fmt.Errorf("writing fit cache entry %s in %q: %v; %s", key, dir, err, advice(err))
	}
	return nil
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

// ErrStopped is the error of a LockWait whose stop channel was closed (or delivered) before it got the lock.
var ErrStopped = errors.New("stopped while waiting for the fit cache lock")

// How often LockWait tries the lock again, and how long it waits before it says whom it waits for: short
// waits (another process saving a fit) pass without a message.
var (
	pollEvery    = 100 * time.Millisecond
	waitingAfter = time.Second
)

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

// Lock takes the exclusive lock on key shared by every process using the same cache, waiting while another
// holds it, and returns the function that releases it. Taking it before Load and releasing it after Save means
// that of several processes needing the same fit, one trains and the others load its result. A disabled cache
// returns a release that does nothing. The lock is a file .lock-<key> in the directory Save writes to.
//
// Lock waits silently and for as long as it takes; LockWait says whom it waits for and can be stopped.
func (c *Cache) Lock(key string) (release func(), err error) {
	return c.LockWait(key, "", nil, nil)
}

// LockWait is Lock for a caller that can tell its user what it waits for and stop waiting. label describes
// what the caller does while it holds the lock, such as "fit 5x256"; it is written into the lock file after the
// caller's process id, for others waiting to show. While another process holds the lock, LockWait tries again
// every 100 ms. If the lock is still taken after a second, it calls waiting, when not nil, once, with the
// holder's description, such as "pid 1234 (fit 5x256)". If stop is closed (or delivers) before the lock is
// taken, LockWait returns ErrStopped; a nil stop never stops it.
func (c *Cache) LockWait(key, label string, stop <-chan struct{}, waiting func(holder string)) (release func(), err error) {
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
	var tick *time.Ticker
	var since time.Time
	for {
		l, ok, err := tryLock(path, label) // A free lock is taken even when stop is closed: there is no wait to stop.
		if err != nil {
			return nil, err
		}
		if ok {
			return l.hold(), nil
		}
		if tick == nil {
			tick, since = time.NewTicker(pollEvery), time.Now()
			defer tick.Stop()
		}
		if waiting != nil && time.Since(since) >= waitingAfter {
			waiting(holderOf(path))
			waiting = nil
		}
		select {
		case <-stop:
			return nil, ErrStopped
		case <-tick.C:
		}
	}
}

// lockFile is a lock file this process has locked.
type lockFile struct {
	f        *os.File
	path     string
	writable bool // opened for writing: the holder's description is written into it
}

// hold counts l as held by this process until the function it returns releases it (once, however often it
// is called).
func (l *lockFile) hold() (release func()) {
	held.Lock()
	if held.n == nil {
		held.n = map[string]int{}
	}
	held.n[l.path]++
	held.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			held.Lock()
			if held.n[l.path]--; held.n[l.path] == 0 {
				delete(held.n, l.path)
			}
			held.Unlock()
			l.unlock()
		})
	}
}

// unlock empties the lock file, so that no waiter reads the description of a holder that is gone, and
// releases the lock.
func (l *lockFile) unlock() {
	if l.writable {
		_ = l.f.Truncate(0)
	}
	_ = l.f.Close() // closing the only descriptor of the open file releases its flock
}

// tryLock takes the lock at path if no one holds it; ok is false, with no error, while another does. It opens
// the lock file as an entry is opened: without blocking on a named pipe and without following a symbolic
// link. Anything at path that is not a regular file is removed and replaced, since the name is the cache's.
// label goes into the file after this process's id (see LockWait).
func tryLock(path, label string) (l *lockFile, ok bool, err error) {
	for moved := 0; ; moved++ {
		f, writable, err := openLock(path)
		if err != nil {
			return nil, false, err
		}
		if err := flockNB(f); err != nil {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, false, nil
			}
			// ENOLCK or EOPNOTSUPP: a file system without locks, such as some network mounts.
			return nil, false, fmt.Errorf("locking fit cache lock file %s: %v; set %s to a directory on a local disk or to \"off\"",
				path, err, EnvVar)
		}
		// A lock on a file no longer at path (removed by Clear, or replaced while this process waited) locks
		// nothing that others will find: take the lock of the file that is there now.
		opened, ferr := f.Stat()
		now, lerr := os.Lstat(path)
		if ferr != nil || lerr != nil || !os.SameFile(opened, now) {
			f.Close()
			if moved >= maxReplaced {
				return nil, false, fmt.Errorf("fit cache lock file %s keeps being removed or replaced as it is locked; stop what does that, or set %s to another directory or to \"off\"",
					path, EnvVar)
			}
			continue
		}
		l := &lockFile{f: f, path: path, writable: writable}
		if writable {
			desc := describe(os.Getpid(), label) + "\n"
			if f.Truncate(0) != nil {
				l.writable = false
			} else {
				_, _ = f.WriteAt([]byte(desc), 0) // a description is a courtesy: the lock is taken without it
			}
		}
		return l, true, nil
	}
}

// removeAll removes what is at a lock path that is not a lock file; a test makes it fail.
var removeAll = os.RemoveAll

// maxReplaced bounds how often openLock replaces what it finds at a lock path, and how often tryLock opens the
// lock file again, in case something keeps putting them back.
const maxReplaced = 3

// openLock opens the lock file at path, creating it if need be, for writing if this user may (another user's
// lock file in a shared directory may be read-only to this one: a lock on a read-only descriptor is as good).
// It removes a named pipe, symbolic link, directory or other file that is not a regular file at path, up to
// maxReplaced times.
func openLock(path string) (f *os.File, writable bool, err error) {
	for replaced := 0; ; replaced++ {
		const flags = syscall.O_NOFOLLOW | syscall.O_NONBLOCK
		f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|flags, 0o644)
		writable = err == nil
		if errors.Is(err, fs.ErrPermission) {
			f, err = os.OpenFile(path, os.O_RDONLY|flags, 0)
		}
		var fi fs.FileInfo
		if err == nil {
			fi, err = f.Stat()
			if err == nil && fi.Mode().IsRegular() {
				return f, writable, nil
			}
			f.Close()
			if err != nil {
				return nil, false, fmt.Errorf("fit cache lock file %s cannot be examined: %v; %s", path, err, fix)
			}
		}
		// An open error that a regular file would not give (ELOOP for a symbolic link, EISDIR for a directory,
		// ENXIO for a socket) is told apart from a real one by what is at path.
		if lfi, lerr := os.Lstat(path); lerr == nil && !lfi.Mode().IsRegular() && (fi == nil || os.SameFile(fi, lfi)) {
			what := kind(lfi.Mode())
			if replaced >= maxReplaced {
				return nil, false, fmt.Errorf("fit cache lock file %s is a %s again after %d replacements; delete it, or set %s to another directory or to \"off\"",
					path, what, replaced, EnvVar)
			}
			if rerr := removeAll(path); rerr != nil {
				return nil, false, fmt.Errorf("fit cache lock file %s is a %s, not a regular file, and cannot be removed: %v; delete it by hand, or set %s to another directory or to \"off\"",
					path, what, rerr, EnvVar)
			}
			continue
		}
		if err == nil && replaced < maxReplaced {
			continue // replaced since it was opened: open what is there now
		}
		if err == nil {
			return nil, false, fmt.Errorf("fit cache lock file %s keeps being replaced as it is opened; stop what does that, or set %s to another directory or to \"off\"",
				path, EnvVar)
		}
		return nil, false, fmt.Errorf("fit cache lock file %s cannot be opened: %v; %s", path, err, advice(err))
	}
}

// kind names the type of a file that is not a regular file, for messages.
func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m.IsDir():
		return "directory"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// flockNB takes the exclusive flock of f without waiting: EWOULDBLOCK while another open file holds it.
func flockNB(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) {
		for {
			ferr = syscall.Flock(int(fd), syscall.LOCK_EX|syscall.LOCK_NB)
			if ferr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	return ferr
}

// maxLabel caps the label written into a lock file.
const maxLabel = 100

// describe is what a lock holder writes into its lock file: its process id and label, on one line.
func describe(pid int, label string) string {
	label = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.TrimSpace(label))
	if len(label) > maxLabel {
		cut := maxLabel
		for cut > 0 && !utf8.RuneStart(label[cut]) {
			cut--
		}
		label = label[:cut] + "..."
	}
	if label == "" {
		return "pid " + strconv.Itoa(pid)
	}
	return fmt.Sprintf("pid %d (%s)", pid, label)
}

// holderOf describes the holder of the lock at path from what it wrote there. A lock file that says nothing
// useful (written by a holder that could not write it, or by an older version) gives "another process".
func holderOf(path string) string {
	const unknown = "another process"
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return unknown
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return unknown
	}
	buf := make([]byte, maxLabel+64)
	n, _ := io.ReadFull(f, buf)
	desc, _, _ := strings.Cut(string(buf[:n]), "\n")
	desc = strings.TrimSpace(desc)
	var pid int
	if _, err := fmt.Sscanf(desc, "pid %d", &pid); err != nil || pid <= 0 {
		return unknown
	}
	switch {
	case pid == os.Getpid():
		return desc + ", in this process"
	case errors.Is(syscall.Kill(pid, 0), syscall.ESRCH):
		// A holder killed before it emptied the file, and the lock since taken by one that could not write.
		return unknown
	}
	return desc
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

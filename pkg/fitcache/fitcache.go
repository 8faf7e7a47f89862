// Package fitcache memoizes trained models on disk.
//
// GoNB compiles and runs the whole notebook program again for every cell, so a model trained in one cell is
// gone by the next. The lecture package therefore saves every fit under a key that hashes everything deciding
// its result, and the next cell (or the next session) loads it in milliseconds instead of training again.
//
// Entries are gob-encoded values behind a header holding a magic string and the SHA-256 of the payload. They
// are written to a temporary file, synced and renamed into place, so a reader sees either a whole entry or
// none; an entry whose checksum does not match (a torn write, a disk error, a hand edit) is deleted and
// reported as a miss, never decoded.
//
// The cache directory comes from $LECTURE_FIT_CACHE ("off" disables caching), else the user cache directory
// (~/.cache/golecture/fits on Linux).
//
// Example:
//
//	c := fitcache.Default()
//	key := fitcache.Key("mlp v1", widths, seeds)
//	var m savedModel
//	if hit, _ := c.Load(key, &m); !hit {
//		m = train()
//		if err := c.Save(key, m); err != nil { ... }
//	}
package fitcache

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// EnvVar names the environment variable that sets the cache directory, or disables the cache with "off".
const EnvVar = "LECTURE_FIT_CACHE"

const (
	magic  = "golecture-fit-v1\n"
	suffix = ".fit"
)

// Cache is a directory of memoized fits. A nil *Cache or one with Disabled set never hits and never writes.
type Cache struct {
	Dir      string
	Disabled bool
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

// Check makes sure the directory exists and is writable, so a caller can fail before hours of training rather
// than after.
func (c *Cache) Check() error {
	if !c.enabled() {
		return nil
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return fmt.Errorf("fit cache directory %q cannot be created: %v; set %s to a writable directory or to \"off\"",
			c.Dir, err, EnvVar)
	}
	f, err := os.CreateTemp(c.Dir, ".probe-*")
	if err != nil {
		return fmt.Errorf("fit cache directory %q is not writable: %v; set %s to a writable directory or to \"off\"",
			c.Dir, err, EnvVar)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

func (c *Cache) path(key string) string { return filepath.Join(c.Dir, key+suffix) }

// Load decodes the entry for key into v. It returns false, with no error, when there is no entry, when the cache
// is disabled, or when the entry was corrupt (it is deleted then, so the caller refits and overwrites it).
func (c *Cache) Load(key string, v any) (bool, error) {
	if !c.enabled() {
		return false, nil
	}
	raw, err := os.ReadFile(c.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading fit cache entry: %w", err)
	}
	payload, ok := verify(raw)
	if !ok {
		_ = os.Remove(c.path(key))
		return false, nil
	}
	if err := gob.NewDecoder(bytes.NewReader(payload)).Decode(v); err != nil {
		// A checksum-valid entry that does not decode was written by an incompatible version: drop it too.
		_ = os.Remove(c.path(key))
		return false, nil
	}
	return true, nil
}

func verify(raw []byte) ([]byte, bool) {
	if len(raw) < len(magic)+sha256.Size || string(raw[:len(magic)]) != magic {
		return nil, false
	}
	sum := raw[len(magic) : len(magic)+sha256.Size]
	payload := raw[len(magic)+sha256.Size:]
	got := sha256.Sum256(payload)
	return payload, bytes.Equal(sum, got[:])
}

// Save writes v under key atomically: a concurrent or interrupted writer never leaves a partial entry behind.
func (c *Cache) Save(key string, v any) error {
	if !c.enabled() {
		return nil
	}
	var payload bytes.Buffer
	if err := gob.NewEncoder(&payload).Encode(v); err != nil {
		return fmt.Errorf("encoding fit cache entry: %w", err)
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return fmt.Errorf("fit cache directory %q cannot be created: %v; set %s to a writable directory or to \"off\"",
			c.Dir, err, EnvVar)
	}
	f, err := os.CreateTemp(c.Dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("fit cache directory %q is not writable: %v; set %s to a writable directory or to \"off\"",
			c.Dir, err, EnvVar)
	}
	tmp := f.Name()
	sum := sha256.Sum256(payload.Bytes())
	_, err = f.WriteString(magic)
	if err == nil {
		_, err = f.Write(sum[:])
	}
	if err == nil {
		_, err = f.Write(payload.Bytes())
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, c.path(key))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing fit cache entry in %q: %w", c.Dir, err)
	}
	return nil
}

// Clear deletes every entry (and leftover temporary file) and returns how many entries it removed.
func (c *Cache) Clear() (int, error) {
	if !c.enabled() {
		return 0, nil
	}
	entries, err := os.ReadDir(c.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, suffix) || strings.HasPrefix(name, ".tmp-") {
			if err := os.Remove(filepath.Join(c.Dir, name)); err != nil {
				return n, err
			}
			if strings.HasSuffix(name, suffix) {
				n++
			}
		}
	}
	return n, nil
}

// Len returns the number of entries in the cache.
func (c *Cache) Len() int {
	if !c.enabled() {
		return 0
	}
	matches, _ := filepath.Glob(filepath.Join(c.Dir, "*"+suffix))
	return len(matches)
}

// String describes the cache for a one-line status message.
func (c *Cache) String() string {
	if !c.enabled() {
		return "fit cache off"
	}
	return "fit cache in " + c.Dir
}

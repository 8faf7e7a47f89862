package fitcache

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type entry struct {
	Weights []float32
	Note    string
}

func TestRoundTripAndClear(t *testing.T) {
	c := In(t.TempDir())
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

func TestCorruptEntriesAreDroppedNotUsed(t *testing.T) {
	dir := t.TempDir()
	c := In(dir)
	key := Key("corrupt")
	if err := c.Save(key, entry{Weights: make([]float32, 1000)}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, key+suffix)
	raw, _ := os.ReadFile(path)
	for name, bad := range map[string][]byte{
		"torn":      raw[:len(raw)/2],
		"bit flip":  flip(raw, len(raw)-10),
		"bad magic": flip(raw, 0),
		"empty":     {},
	} {
		if err := os.WriteFile(path, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		var got entry
		hit, err := c.Load(key, &got)
		if hit || err != nil {
			t.Errorf("%s entry: hit=%v err=%v; want a plain miss", name, hit, err)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("%s entry was not removed", name)
		}
	}
}

func flip(b []byte, i int) []byte {
	out := append([]byte(nil), b...)
	out[i] ^= 0x55
	return out
}

func TestNoTemporaryFilesLeft(t *testing.T) {
	dir := t.TempDir()
	c := In(dir)
	for i := range 5 {
		if err := c.Save(Key(i), entry{Note: "n"}); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := os.ReadDir(dir)
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), suffix) {
			t.Errorf("left behind %s", f.Name())
		}
	}
}

func TestUnwritableDirectory(t *testing.T) {
	parent := t.TempDir()
	blocker := filepath.Join(parent, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c := In(filepath.Join(blocker, "fits")) // A directory below a regular file can never be created, even as root.
	for name, err := range map[string]error{"Check": c.Check(), "Save": c.Save("k", entry{})} {
		if err == nil || !strings.Contains(err.Error(), EnvVar) {
			t.Errorf("%s on unwritable dir: %v; want an error naming %s", name, err, EnvVar)
		}
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
	t.Setenv(EnvVar, "/some/dir")
	if Default().Dir != "/some/dir" {
		t.Errorf("Default().Dir = %q, want /some/dir", Default().Dir)
	}
}

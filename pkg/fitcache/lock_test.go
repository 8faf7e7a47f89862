package fitcache

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// failIn returns a probe hook under which new files cannot be created in dir, failing with errno, and can
// everywhere else.
func failIn(dir string, errno syscall.Errno) func(string) error {
	return func(d string) error {
		if d == dir {
			return &os.PathError{Op: "open", Path: filepath.Join(d, ".probe-1"), Err: errno}
		}
		return nil
	}
}

// lockWithin is LockWait, within a timeout.
func lockWithin(t *testing.T, c *Cache, key string) (func(), error) {
	t.Helper()
	type result struct {
		release func()
		err     error
	}
	stop := make(chan struct{})
	defer close(stop)
	r := within(t, "Lock", func() result {
		release, err := c.LockWait(key, "test", stop, nil)
		return result{release, err}
	})
	return r.release, r.err
}

// TestLockReplacesWhatIsNotALockFile: a named pipe (which a blocking open would wait on forever), a symbolic
// link (whose target must not be locked or written) and a directory at a lock file's path are removed and
// replaced by a lock file, promptly.
func TestLockReplacesWhatIsNotALockFile(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "precious")
	plant := map[string]func(path string) error{
		"named pipe":            func(path string) error { return syscall.Mkfifo(path, 0o644) },
		"symlink to a file":     func(path string) error { return os.Symlink(outside, path) },
		"dangling symlink":      func(path string) error { return os.Symlink(outside+".missing", path) },
		"symlink to /dev/zero":  func(path string) error { return os.Symlink("/dev/zero", path) },
		"symlink to a pipe":     func(path string) error { return os.Symlink(outside+".fifo", path) },
		"directory":             func(path string) error { return os.MkdirAll(filepath.Join(path, "sub"), 0o755) },
		"directory with a file": func(path string) error { return writeIn(path, "f") },
	}
	if err := os.WriteFile(outside, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(outside+".fifo", 0o644); err != nil {
		t.Fatal(err)
	}
	for name, create := range plant {
		t.Run(name, func(t *testing.T) {
			c := newCache(t)
			key := Key(name)
			if err := c.Check(); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(c.Dir, lockPrefix+key)
			if err := create(path); err != nil {
				t.Fatal(err)
			}
			release, err := lockWithin(t, c, key)
			if err != nil {
				t.Fatalf("Lock: %v; want the %s replaced by a lock file", err, name)
			}
			fi, err := os.Lstat(path)
			if err != nil || !fi.Mode().IsRegular() {
				t.Errorf("after Lock, the lock path holds %v (%v); want a regular file", fi, err)
			}
			if err := c.Save(key, entry{Note: "saved"}); err != nil {
				t.Error(err)
			}
			release()
			if raw, err := os.ReadFile(outside); string(raw) != "keep me" || err != nil {
				t.Errorf("the symbolic link's target now holds %q (%v)", raw, err)
			}
			if hit, err := c.Load(key, &entry{}); !hit || err != nil {
				t.Errorf("Load after Save under the lock: hit=%v err=%v", hit, err)
			}
		})
	}
}

func writeIn(dir, name string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644)
}

// TestLockCannotReplace: when what is at a lock path cannot be removed, the error says what it is and that
// deleting it helps, not that the (writable) cache directory should be changed for a writable one.
func TestLockCannotReplace(t *testing.T) {
	c := newCache(t)
	key := Key("stuck")
	if err := c.Check(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(c.Dir, lockPrefix+key)
	if err := writeIn(path, "f"); err != nil {
		t.Fatal(err)
	}
	removeAll = func(string) error { return syscall.EBUSY }
	t.Cleanup(func() { removeAll = os.RemoveAll })
	_, err := lockWithin(t, c, key)
	if err == nil {
		t.Fatal("Lock succeeded with a directory it cannot remove at the lock path")
	}
	msg := err.Error()
	for _, want := range []string{path, "is a directory", "delete it"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	if strings.Contains(msg, "writable directory") {
		t.Errorf("error %q advises a writable directory; the directory is writable", msg)
	}
}

// TestLockFileDescribesItsHolder: the holder's pid and label are in the lock file while it holds the lock,
// and gone once it releases it, so no waiter names a holder that has left.
func TestLockFileDescribesItsHolder(t *testing.T) {
	c := newCache(t)
	key := Key("described")
	release, err := c.LockWait(key, "fit 5x256\nwith a newline", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(c.Dir, lockPrefix+key)
	want := "pid " + strconv.Itoa(os.Getpid()) + " (fit 5x256 with a newline)"
	if got := holderOf(path); got != want+", in this process" {
		t.Errorf("holder %q, want %q", got, want+", in this process")
	}
	release()
	release() // a second call does nothing
	if raw, _ := os.ReadFile(path); len(raw) != 0 {
		t.Errorf("after release the lock file still holds %q", raw)
	}
	if got := holderOf(path); got != "another process" {
		t.Errorf("holder of a released lock %q, want %q", got, "another process")
	}
	if got := describe(1, strings.Repeat("é", 200)); len(got) > maxLabel+20 || !strings.HasSuffix(got, "...)") {
		t.Errorf("a long label is not cut: %q", got)
	}
}

const holdKey = "held_by_another_process"

// TestLockWaitNamesTheHolderAndStops runs a process that holds a lock: LockWait says who holds it after about
// a second, returns ErrStopped promptly when stopped, and takes the lock once the holder releases it.
func TestLockWaitNamesTheHolderAndStops(t *testing.T) {
	c := newCache(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHoldHelper$")
	cmd.Env = append(os.Environ(), helperEnv+"=hold", "FITCACHE_DIR="+c.Dir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	if line, err := bufio.NewReader(stdout).ReadString('\n'); line != "locked\n" {
		t.Fatalf("helper said %q, %v", line, err)
	}

	// Stopped before it waits at all: no lock, however briefly.
	closed := make(chan struct{})
	close(closed)
	if _, err := c.LockWait(holdKey, "", closed, nil); !errors.Is(err, ErrStopped) {
		t.Errorf("LockWait with a closed stop: %v; want ErrStopped", err)
	}

	holders := make(chan string, 2)
	stop := make(chan struct{})
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		release, err := c.LockWait(holdKey, "fit 2x8", stop, func(h string) { holders <- h })
		if release != nil {
			release()
		}
		done <- err
	}()
	want := "pid " + strconv.Itoa(cmd.Process.Pid) + " (fit 5x256)"
	select {
	case h := <-holders:
		if h != want {
			t.Errorf("waiting for %q, want %q", h, want)
		}
		if waited := time.Since(start); waited < waitingAfter/2 {
			t.Errorf("waiting called after %v; want about %v", waited, waitingAfter)
		}
	case err := <-done:
		t.Fatalf("LockWait returned %v while another process held the lock", err)
	case <-time.After(10 * time.Second):
		t.Fatal("waiting was not called")
	}
	close(stop)
	select {
	case err := <-done:
		if !errors.Is(err, ErrStopped) {
			t.Errorf("stopped LockWait returned %v; want ErrStopped", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("LockWait goes on waiting after stop was closed")
	}
	if len(holders) != 0 {
		t.Error("waiting was called more than once")
	}

	// Once the holder is gone, the lock is free at once and waiting is not called.
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	release, err := c.LockWait(holdKey, "", nil, func(h string) { t.Errorf("waiting for %q on a free lock", h) })
	if err != nil {
		t.Fatal(err)
	}
	release()
}

// TestHoldHelper is the lock holder of TestLockWaitNamesTheHolderAndStops: it takes the lock, says so, and
// releases it when its standard input closes. Run alone, it does nothing.
func TestHoldHelper(t *testing.T) {
	if os.Getenv(helperEnv) != "hold" {
		return
	}
	release, err := In(os.Getenv("FITCACHE_DIR")).LockWait(holdKey, "fit 5x256", nil, nil)
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	os.Stdout.WriteString("locked\n")
	_, _ = io.Copy(io.Discard, os.Stdin)
	release()
	os.Exit(0)
}

// TestFullDirectory: a cache directory out of space or inodes is reported as full, not as read-only: new fits
// go to the fallback with a notice giving the true reason, or, with no fallback to take them, Check fails
// saying to free space.
func TestFullDirectory(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT} {
		t.Run(errno.Error(), func(t *testing.T) {
			c := newCache(t)
			c.probe = failIn(c.Dir, errno)
			if err := c.Check(); err != nil {
				t.Fatalf("Check with a writable fallback: %v", err)
			}
			n := c.Notice()
			if !strings.Contains(n, "full") || strings.Contains(n, "read-only") || !strings.Contains(n, c.Fallback) {
				t.Errorf("Notice %q; want it to say the directory is full and name %s", n, c.Fallback)
			}
			if strings.Contains(n, c.Dir) {
				t.Errorf("Notice %q names more than one path", n)
			}

			full := newCache(t)
			full.probe = func(string) error { return errno }
			err := full.Check()
			if err == nil {
				t.Fatal("Check succeeded with no directory that can take new fits")
			}
			msg := err.Error()
			for _, want := range []string{full.Dir, full.Fallback, "full", "free some space"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not contain %q", msg, want)
				}
			}
			if strings.Contains(msg, "read-only") {
				t.Errorf("error %q calls a full directory read-only", msg)
			}
		})
	}
}

// TestNoticeSaysWhyInOneSentenceWithOnePath covers every reason the directory may not take new fits.
func TestNoticeSaysWhyInOneSentenceWithOnePath(t *testing.T) {
	for errno, want := range map[syscall.Errno]string{
		syscall.EROFS:  "read-only (a read-only file system)",
		syscall.EACCES: "read-only",
		syscall.EPERM:  "read-only",
		syscall.ENOSPC: "full (no space left on its disk)",
		syscall.EDQUOT: "full (disk quota exceeded)",
		syscall.EIO:    "not writable (input/output error)",
	} {
		c := newCache(t)
		c.probe = failIn(c.Dir, errno)
		if err := c.Check(); err != nil {
			t.Fatal(err)
		}
		if n, want := c.Notice(), "the fit cache directory is "+want+": new fits go to "+c.Fallback; n != want {
			t.Errorf("%v: Notice %q; want %q", errno, n, want)
		}
	}
}

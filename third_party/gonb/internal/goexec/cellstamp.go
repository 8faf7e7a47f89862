package goexec

// Skipping a build nothing could have changed (a golecture change, see PATCH.md).
//
// With a kept program at the output path (cellcache.go), `go build` finds nothing to do, yet it still costs
// 0.25-0.35 s of a 2-core machine: it loads the module graph and every package the cell reaches, and hashes
// their sources. Most of those packages cannot change: the standard library belongs to the toolchain and a
// module in the module cache is read-only, both fixed by the toolchain, the environment and go.sum. What
// can change is the cell's own directory and the packages of local modules (the go.work "use" directories
// and local "replace" targets), which a student may edit.
//
// So after each successful build a "stamp" is kept beside the program: the hash of the toolchain and the
// environment the go command reads, the contents of the cell's directory, and for every file of each local
// package the build used (taken from the build's -debug-actiongraph), for those directories themselves and
// for the local modules' go.mod and go.sum: the contents' hash (a directory's: its entries' names), with the
// size, modification time, mode, inode and status-change time. The next time the same main.go is built in
// the slot, its stamp is checked: a file whose size, times and inode are all unchanged is taken as is; any
// other (touched, copied, or seen through a new container's file system) has its contents hashed again.
// If everything matches, `go build` is not run and the kept program is; the stamp then takes the new times,
// so that the next check is quick again. Anything else (a changed, added or removed file; other flags or
// environment; another toolchain; a vendor directory) runs `go build` as before, which decides.
//
// A stamp is not written while any file it covers changed less than stampSettle before the build started:
// such a file may have changed while the go command read it, or again within one tick of a coarse clock.
//
// Not covered, as Go's own build cache does not cover them either: C headers outside a package's directory
// included by a local cgo package, and edits to the toolchain's or the module cache's files in place.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"k8s.io/klog/v2"
)

// stampSettle is how old every file a stamp covers must be, at the start of the build, for it to be written.
const stampSettle = 2 * time.Second

// stampVersion changes whenever what a stamp covers changes, so that older stamps are never trusted.
const stampVersion = 6

// cellStamp is what a kept program was built from, besides its packages in the toolchain and module cache.
type cellStamp struct {
	Version int
	Env     string              // Toolchain and environment (stampEnv).
	Cell    map[string]string   // The cell directory's files: name -> hash of contents (hashCellDir).
	Files   map[string]fileMark // Local packages' directories and files, local modules' go.mod and go.sum.
}

// fileMark is a file's or directory's contents (Sum), with what tells without reading it that it did not
// change (the rest).
type fileMark struct {
	Sum     string // SHA-256 of a file's contents, or of a directory's sorted entry names.
	Size    int64
	ModTime int64 // Unix nanoseconds.
	Mode    fs.FileMode
	Inode   uint64
	Changed int64 // Status-change time (ctime), Unix nanoseconds; 0 where not known.
}

// quickMark is fileMark without Sum.
func quickMark(fi fs.FileInfo) fileMark {
	ino, ctime := changeMark(fi)
	return fileMark{Size: fi.Size(), ModTime: fi.ModTime().UnixNano(), Mode: fi.Mode(), Inode: ino, Changed: ctime}
}

// markOf is the file's or directory's fileMark.
func markOf(name string, fi fs.FileInfo) (fileMark, error) {
	m := quickMark(fi)
	var err error
	m.Sum, err = sumOf(name, fi)
	return m, err
}

func sumOf(name string, fi fs.FileInfo) (string, error) {
	h := sha256.New()
	if fi.IsDir() {
		entries, err := os.ReadDir(name)
		if err != nil {
			return "", err
		}
		for _, e := range entries { // Sorted by name.
			fmt.Fprintf(h, "%s\x00", e.Name())
		}
	} else {
		f, err := os.Open(name)
		if err != nil {
			return "", err
		}
		defer f.Close()
		if _, err := io.Copy(h, f); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// unchanged reports whether the file or directory at name still has the contents want records, and its
// mark now.
func unchanged(name string, want fileMark) (fileMark, bool) {
	fi, err := os.Stat(name)
	if err != nil {
		return fileMark{}, false
	}
	now := quickMark(fi)
	now.Sum = want.Sum
	if now == want {
		return now, true
	}
	if fi.IsDir() != want.Mode.IsDir() || (!fi.IsDir() && fi.Size() != want.Size) {
		return now, false
	}
	sum, err := sumOf(name, fi)
	return now, err == nil && sum == want.Sum
}

func (s *slot) stampPath(key string) string { return filepath.Join(s.binDir, key+".stamp") }

// current reports whether the program kept under key, already at the output path, is known to be what
// `go build` would produce now from the cell directory's files cell (hashCellDir), without running the go
// command; if not, why not.
func (s *slot) current(key string, cell map[string]string) (bool, string) {
	if !s.stamps || s.keep == 0 {
		return false, "stamps off"
	}
	if s.builtKey != key {
		return false, "no kept program"
	}
	raw, err := os.ReadFile(s.stampPath(key))
	if err != nil {
		return false, "no stamp"
	}
	var st cellStamp
	if json.Unmarshal(raw, &st) != nil || st.Version != stampVersion {
		return false, "stamp unreadable or of another version"
	}
	if env, err := stampEnv(); err != nil || env != st.Env {
		return false, "toolchain or environment changed"
	}
	if why := cellDiff(st.Cell, cell); why != "" {
		return false, "cell directory changed: " + why
	}
	refreshed := false
	for name, want := range st.Files {
		now, ok := unchanged(name, want)
		if !ok {
			return false, "changed: " + name
		}
		if now != want {
			st.Files[name], refreshed = now, true
		}
	}
	if refreshed {
		if raw, err := json.Marshal(st); err == nil {
			_ = writeFileAtomic(s.stampPath(key), raw)
		}
	}
	return true, ""
}

// stampBuilt records, after a successful `go build` that started at start from the cell directory's files
// cell, what the program kept under key was built from. graphPath is the build's -debug-actiongraph output.
// On any doubt no stamp is written, and the next build of this code runs the go command.
func (s *slot) stampBuilt(key string, cell map[string]string, dir, graphPath string, start time.Time) {
	if !s.stamps || s.keep == 0 || s.builtKey != key {
		return
	}
	path := s.stampPath(key)
	_ = os.Remove(path)
	st, err := makeStamp(cell, dir, graphPath, start)
	if err != nil {
		klog.V(1).Infof("cell programs: no stamp for %s: %v", key, err)
		return
	}
	raw, err := json.Marshal(st)
	if err == nil {
		err = writeFileAtomic(path, raw)
	}
	if err != nil {
		klog.Warningf("cell programs: could not write %s: %v", path, err)
	}
}

func makeStamp(cell map[string]string, dir, graphPath string, start time.Time) (*cellStamp, error) {
	if cell == nil {
		return nil, fmt.Errorf("the cell directory could not be read before the build")
	}
	env, err := stampEnv()
	if err != nil {
		return nil, err
	}
	modules, err := localModules(dir)
	if err != nil {
		return nil, err
	}
	pkgs, err := builtPackages(graphPath)
	if err != nil {
		return nil, err
	}
	st := &cellStamp{Version: stampVersion, Env: env, Cell: cell, Files: make(map[string]fileMark)}
	settled := start.Add(-stampSettle)
	add := func(name string, fi fs.FileInfo) error {
		changed := fi.ModTime()
		if _, ctime := changeMark(fi); ctime > changed.UnixNano() {
			changed = time.Unix(0, ctime)
		}
		if changed.After(settled) {
			return fmt.Errorf("%s changed %s before the build", name, start.Sub(changed).Round(time.Millisecond))
		}
		m, err := markOf(name, fi)
		st.Files[name] = m
		return err
	}
	for _, m := range modules {
		if m.dir == dir {
			continue // The cell's own module: its files are in Cell.
		}
		if fi, err := os.Stat(filepath.Join(m.dir, "vendor")); err == nil && fi.IsDir() {
			return nil, fmt.Errorf("%s has a vendor directory", m.dir)
		}
		for _, name := range []string{"go.mod", "go.sum"} {
			p := filepath.Join(m.dir, name)
			fi, err := os.Stat(p)
			if os.IsNotExist(err) {
				continue // An absent go.sum that appears later changes the module's directory, which is stamped
				// when it holds a package; a build that needs it fails anyway.
			}
			if err != nil {
				return nil, err
			}
			if err := add(p, fi); err != nil {
				return nil, err
			}
		}
	}
	// The directories of the local packages, each with its files and the directories below it that are not
	// packages of the build themselves or other modules (embedded files may live there).
	dirs := make(map[string]bool)
	for _, p := range pkgs {
		if d, ok := packageDir(modules, p); ok && d != dir {
			dirs[d] = true
		}
	}
	for d := range dirs {
		err := filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() && p != d && (dirs[p] || e.Name() == ".git" || exists(filepath.Join(p, "go.mod"))) {
				return filepath.SkipDir
			}
			fi, err := os.Stat(p) // Follows a link, as the go command does.
			if err != nil {
				return err
			}
			return add(p, fi)
		})
		if err != nil {
			return nil, err
		}
	}
	return st, nil
}

// stampEnv hashes the toolchain and everything else the go command reads from the environment: the go
// commands on PATH in order (the first may be a wrapper that runs another) with their toolchains' VERSION
// files, the C and C++ compilers cgo would run, the `go env -w` settings file, and the GO*, CGO_* (except
// GoNB's own) and C toolchain variables. Tools are compared by path, size, modification time and mode, so a
// PATH that differs only in other directories still matches.
func stampEnv() (string, error) {
	if _, err := exec.LookPath("go"); err != nil {
		return "", err
	}
	files := []string{goEnvFile()}
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		if d != "" && exists(filepath.Join(d, "go")) {
			files = append(files, filepath.Join(d, "go"), filepath.Join(d, "..", "VERSION"))
		}
	}
	for _, cc := range []string{os.Getenv("CC"), "gcc", os.Getenv("CXX"), "g++"} {
		if p, err := exec.LookPath(cc); cc != "" && err == nil {
			files = append(files, p)
		}
	}
	h := sha256.New()
	for _, p := range files {
		if fi, err := os.Stat(p); err == nil {
			fmt.Fprintf(h, "%s %d %d %v\n", p, fi.Size(), fi.ModTime().UnixNano(), fi.Mode())
		} else {
			fmt.Fprintf(h, "%s absent\n", p)
		}
	}
	var vars []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "GONB_"):
		case strings.HasPrefix(name, "GO"), strings.HasPrefix(name, "CGO_"),
			name == "CC", name == "CXX", name == "AR", name == "PKG_CONFIG":
			vars = append(vars, kv)
		}
	}
	sort.Strings(vars)
	fmt.Fprintf(h, "%q\n", vars)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// goEnvFile is where `go env -w` keeps its settings.
func goEnvFile() string {
	if p := os.Getenv("GOENV"); p != "" {
		return p
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "go", "env")
}

// hashCellDir hashes the contents of the regular files in the cell's directory, less the program and the
// go command's own records: its action graph, and go.work.sum, the checksums it adds as it verifies modules
// (they can only fail a build, never change a program). Its subdirectories are the cell programs' own state
// (the lecture keeps its record of declarations there); one that holds a package the cell imports is a
// local package, stamped as such.
func hashCellDir(dir, target string) (map[string]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	sums := make(map[string]string)
	for _, e := range entries {
		name, p := e.Name(), filepath.Join(dir, e.Name())
		if p == target || name == "actiongraph.json" || name == "go.work.sum" || strings.HasPrefix(name, ".") ||
			strings.HasPrefix(name, "gonb_pipe_") || !e.Type().IsRegular() {
			continue
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(raw)
		sums[name] = hex.EncodeToString(sum[:])
	}
	return sums, nil
}

// cellDiff names the files that differ between two hashCellDir results, "" if none.
func cellDiff(was, now map[string]string) string {
	var diff []string
	for name, sum := range now {
		if was[name] != sum {
			diff = append(diff, name)
		}
	}
	for name := range was {
		if _, ok := now[name]; !ok {
			diff = append(diff, name+" (gone)")
		}
	}
	sort.Strings(diff)
	return strings.Join(diff, ", ")
}

type localModule struct{ path, dir string }

// localModules lists the modules whose sources are on this disk and may be edited: the cell's module, the
// go.work "use" directories, and the local targets of "replace" rules in go.work and in those modules'
// go.mod files. The longest module paths come first, for packageDir.
func localModules(dir string) ([]localModule, error) {
	var mods []localModule
	seen := make(map[string]bool)
	addModule := func(modDir string) (*modfile.File, error) {
		modDir = filepath.Clean(modDir)
		raw, err := os.ReadFile(filepath.Join(modDir, "go.mod"))
		if err != nil {
			return nil, err
		}
		f, err := modfile.ParseLax(filepath.Join(modDir, "go.mod"), raw, nil)
		if err != nil {
			return nil, err
		}
		if f.Module != nil && !seen[modDir] {
			seen[modDir] = true
			mods = append(mods, localModule{f.Module.Mod.Path, modDir})
		}
		return f, nil
	}
	var replaces []struct {
		base string
		r    *modfile.Replace
	}
	mains := []string{dir}
	if raw, err := os.ReadFile(filepath.Join(dir, "go.work")); err == nil {
		w, err := modfile.ParseWork(filepath.Join(dir, "go.work"), raw, nil)
		if err != nil {
			return nil, err
		}
		for _, u := range w.Use {
			mains = append(mains, resolve(dir, u.Path))
		}
		for _, r := range w.Replace {
			replaces = append(replaces, struct {
				base string
				r    *modfile.Replace
			}{dir, r})
		}
	} else if !os.IsNotExist(err) {
		return nil, err
	}
	for _, m := range mains {
		f, err := addModule(m)
		if err != nil {
			return nil, err
		}
		for _, r := range f.Replace {
			replaces = append(replaces, struct {
				base string
				r    *modfile.Replace
			}{filepath.Clean(m), r})
		}
	}
	for _, r := range replaces {
		if r.r.New.Version != "" {
			continue // A module version, in the module cache.
		}
		if _, err := addModule(resolve(r.base, r.r.New.Path)); err != nil {
			return nil, err
		}
	}
	sort.Slice(mods, func(i, j int) bool { return len(mods[i].path) > len(mods[j].path) })
	return mods, nil
}

func resolve(base, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(base, p)
}

// packageDir is the directory of the package with import path pkg when it belongs to a local module.
func packageDir(mods []localModule, pkg string) (string, bool) {
	pkg, _, _ = strings.Cut(pkg, " ") // "p [p.test]" in test builds.
	for _, m := range mods {
		if pkg == m.path {
			return m.dir, true
		}
		if rest, ok := strings.CutPrefix(pkg, m.path+"/"); ok {
			return filepath.Join(m.dir, filepath.FromSlash(rest)), true
		}
	}
	return "", false
}

// builtPackages lists the import paths of every package a build's action graph compiled or found cached.
func builtPackages(graphPath string) ([]string, error) {
	raw, err := os.ReadFile(graphPath)
	if err != nil {
		return nil, err
	}
	var actions []struct{ Mode, Package string }
	if err := json.Unmarshal(raw, &actions); err != nil {
		return nil, fmt.Errorf("%s: %w", graphPath, err)
	}
	var pkgs []string
	for _, a := range actions {
		if a.Mode == "build" && a.Package != "" {
			pkgs = append(pkgs, a.Package)
		}
	}
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("%s lists no packages", graphPath)
	}
	return pkgs, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// writeFileAtomic writes data to path through a temporary file renamed over it.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".stamp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}

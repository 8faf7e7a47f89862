package backend

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
)

// This file finds a plugin named in a configuration ("xla:cuda") the way go-xla's pjrt package does
// (dynamiclib_base.go, dynamiclib_<os>.go), so that [resolve] can check that file and hand GoMLX its path.
// Given a name, go-xla instead lists every plugin in its search directories and dlopens each one in this
// process (compute/xla's GetAvailablePlugins): one damaged file anywhere there would kill the process.

// pluginPathsEnv is go-xla's list of directories to search for plugins, instead of its defaults.
const pluginPathsEnv = "PJRT_PLUGIN_LIBRARY_PATH"

var (
	pluginPatterns = []string{
		"pjrt-plugin-*.so", "pjrt_plugin_*.so", "pjrt_c_api_*_plugin.so",
		"pjrt-plugin-*.dylib", "pjrt_plugin_*.dylib", "pjrt_c_api_*_plugin.dylib",
		"pjrt-plugin-*.dll", "pjrt_plugin_*.dll", "pjrt_c_api_*_plugin.dll"}
	pluginNameRes = []*regexp.Regexp{
		regexp.MustCompile(`^.*[/\\]pjrt_c_api_(.+)_plugin.(so|dylib|dll)$`),
		regexp.MustCompile(`^.*[/\\]pjrt[-_]plugin[-_](.+).(so|dylib|dll)$`),
	}
)

// searchPlugin returns the plugin file go-xla would load for name, or "" if there is none: the first
// file called name in its search directories, else the first versioned one ("cpu" matches "cpu_v0.83.1").
// go-xla also skips files that fail to dlopen, and CUDA or ROCm plugins on a machine without such a GPU;
// here [CheckPlugin] reports those instead.
func searchPlugin(name string) string {
	versioned := ""
	for _, dir := range pluginSearchDirs() {
		for _, pattern := range pluginPatterns {
			candidates, _ := filepath.Glob(filepath.Join(dir, pattern))
			for _, c := range candidates {
				got := pluginNameOf(c)
				if got == name {
					return c
				}
				if versioned == "" && strings.HasPrefix(got, name+"_v") {
					versioned = c
				}
			}
		}
	}
	return versioned
}

func pluginNameOf(path string) string {
	for _, re := range pluginNameRes {
		if m := re.FindStringSubmatch(path); m != nil {
			return m[1]
		}
	}
	return ""
}

// pluginSearchDirs are go-xla's search directories: $PJRT_PLUGIN_LIBRARY_PATH when set (even to nothing),
// else the usual places for its own installs and the system's library directories.
func pluginSearchDirs() []string {
	if paths, ok := os.LookupEnv(pluginPathsEnv); ok {
		var dirs []string
		for _, p := range strings.Split(paths, ":") {
			if p != "" {
				dirs = append(dirs, p)
			}
		}
		return dirs
	}
	home, homeErr := os.UserHomeDir()
	var dirs []string
	switch runtime.GOOS {
	case "windows":
		if homeErr == nil {
			dirs = append(dirs, filepath.Join(home, "AppData", "Local", "go-xla"))
		}
		return dirs
	case "darwin":
		if homeErr == nil {
			dirs = append(dirs, filepath.Join(home, "Library", "Application Support", "go-xla"),
				filepath.Join(home, "Library", "Application Support", "GoMLX", "PJRT"))
		}
		dirs = append(dirs, "/usr/local/lib/go-xla", "/usr/local/lib/gomlx/pjrt")
		return append(dirs, absPaths("DYLD_LIBRARY_PATH", "LD_LIBRARY_PATH")...)
	}
	if homeErr == nil {
		local := filepath.Join(home, ".local", "lib", "go-xla")
		dirs = append(dirs, local, filepath.Join(local, "nvidia"), filepath.Join(home, ".local", "lib", "gomlx", "pjrt"))
	}
	dirs = append(dirs, "/usr/local/lib/go-xla", "/usr/local/lib/go-xla/nvidia", "/usr/local/lib/gomlx/pjrt")
	dirs = append(dirs, absPaths("LD_LIBRARY_PATH")...)
	return ldConfDirs(dirs, "/etc/ld.so.conf")
}

// absPaths lists the absolute directories in the given path-list variables.
func absPaths(vars ...string) []string {
	var dirs []string
	for _, v := range vars {
		for _, p := range filepath.SplitList(os.Getenv(v)) {
			if filepath.IsAbs(p) {
				dirs = append(dirs, p)
			}
		}
	}
	return dirs
}

var (
	ldConfInclude = regexp.MustCompile(`^\s*include\s*(.*)$`)
	ldConfComment = regexp.MustCompile(`^\s*#`)
	ldConfPath    = regexp.MustCompile(`^\s*(.+?)\s*$`)
)

// ldConfDirs appends the directories an ld.so.conf file lists, following its includes.
func ldConfDirs(dirs []string, file string) []string {
	f, err := os.Open(file)
	if err != nil {
		return dirs
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		line := scanner.Text()
		if m := ldConfInclude.FindStringSubmatch(line); m != nil {
			included, _ := filepath.Glob(m[1])
			for _, inc := range included {
				dirs = ldConfDirs(dirs, inc)
			}
		} else if ldConfComment.MatchString(line) {
			continue
		} else if m := ldConfPath.FindStringSubmatch(line); m != nil {
			dirs = append(dirs, m[1])
		}
	}
	return dirs
}

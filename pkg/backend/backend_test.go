package backend

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestChooseHonoursEnv(t *testing.T) {
	t.Setenv(EnvVar, "go")
	if c := Choose(); c.Config != "go" || !strings.Contains(c.Reason, EnvVar) {
		t.Errorf("Choose() = %+v, want go set by $%s", c, EnvVar)
	}
}

func TestChooseWithoutEnvNeverDownloads(t *testing.T) {
	t.Setenv(EnvVar, "")
	c := Choose()
	switch {
	case LocalPlugin() != "" && c.Config != "xla:"+LocalPlugin():
		t.Errorf("plugin %s present but Choose() = %+v", LocalPlugin(), c)
	case LocalPlugin() == "" && c.Config != "go":
		t.Errorf("no plugin but Choose() = %+v, want go", c)
	}
	if c.Config == "xla" || c.Config == "xla:cpu" {
		t.Errorf("Choose() = %q would download a plugin", c.Config)
	}
}

func TestNewReportsBadConfigAsError(t *testing.T) {
	for _, cfg := range []string{"nosuchbackend", "xla:/nonexistent/plugin.so"} {
		b, err := New(cfg)
		if err == nil || b != nil {
			t.Errorf("New(%q) = %v, %v; want an error", cfg, b, err)
			continue
		}
		if !strings.Contains(err.Error(), EnvVar+"=go") {
			t.Errorf("New(%q) error %q does not say how to fix it", cfg, err)
		}
		if strings.Contains(err.Error(), "goroutine") {
			t.Errorf("New(%q) error carries a stack dump", cfg)
		}
	}
}

func TestIdentityIgnoresWhereThePluginLives(t *testing.T) {
	dir1, dir2 := t.TempDir(), t.TempDir()
	for _, d := range []string{dir1, dir2} {
		if err := os.WriteFile(filepath.Join(d, "pjrt_c_api_cpu_plugin.so"), []byte("same bytes"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a := Identity("xla:" + filepath.Join(dir1, "pjrt_c_api_cpu_plugin.so"))
	b := Identity("xla:" + filepath.Join(dir2, "pjrt_c_api_cpu_plugin.so"))
	if a != b || strings.Contains(a, dir1) {
		t.Errorf("Identity differs by location: %q vs %q", a, b)
	}
	if Identity("go") != "go" || Identity("xla:cpu") != "xla:cpu" {
		t.Errorf("Identity changed a configuration without a path")
	}
}

package lecture

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The keys of cached fits and remembered results follow the code: a copy of the module with one token
// changed in the Adam update gives new keys for both; one token changed in how a score is computed gives new
// result keys and leaves the fits' keys alone; an unchanged copy gives the same keys as the original.
func TestKeysFollowTheCode(t *testing.T) {
	if strings.HasPrefix(os.Getenv("GOMLX_BACKEND"), "xla") {
		t.Skip("keys do not depend on the backend's code; the pure-Go run of this test covers it")
	}
	if testing.Short() {
		t.Skip("builds three copies of the module")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	keys := func(name string, edit func(dir string)) string {
		dir := filepath.Join(t.TempDir(), name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"go.mod", "go.sum", "pkg", "third_party"} {
			if out, err := exec.Command("cp", "-r", filepath.Join(root, p), filepath.Join(dir, p)).CombinedOutput(); err != nil {
				t.Fatalf("copying %s: %v\n%s", p, err, out)
			}
		}
		edit(dir)
		main := filepath.Join(dir, "cmd", "keys", "main.go")
		if err := os.MkdirAll(filepath.Dir(main), 0o755); err != nil {
			t.Fatal(err)
		}
		src := `package main

import (
	"fmt"

	"github.com/golecture/regularization/pkg/lecture"
	"github.com/golecture/regularization/pkg/mlp"
	"github.com/golecture/regularization/pkg/runner"
)

func main() {
	fmt.Println(runner.Key(mlp.Stack(4).Seed(1).Epochs(2), lecture.Data(), "backend"), lecture.CodeHash())
}
`
		if err := os.WriteFile(main, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("go", "run", "./cmd/keys")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: go run: %v\n%s", name, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	replace := func(file, old, new string) func(string) {
		return func(dir string) {
			path := filepath.Join(dir, file)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(raw), old) {
				t.Fatalf("%s has no %q to change", file, old)
			}
			if err := os.WriteFile(path, []byte(strings.Replace(string(raw), old, new, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	original := strings.Fields(keys("original", func(string) {}))
	comment := strings.Fields(keys("comment", replace("pkg/kerasadam/kerasadam.go", "package kerasadam", "// An added comment.\npackage kerasadam")))
	adam := strings.Fields(keys("adam", replace("pkg/kerasadam/kerasadam.go", "graph.Sqrt(", "graph.Abs(")))
	score := strings.Fields(keys("score", replace("pkg/lecture/models.go", "Scores{Train: tr, Val: va}", "Scores{Train: va, Val: tr}")))
	if comment[0] != original[0] || comment[1] != original[1] {
		t.Errorf("a comment changed the keys: %v against %v", comment, original)
	}
	if adam[0] == original[0] || adam[1] == original[1] {
		t.Errorf("a changed Adam update kept a key (fit, results): %v against %v", adam, original)
	}
	if score[0] != original[0] || score[1] == original[1] {
		t.Errorf("a changed score: fit key should stay, results key should change: %v against %v", score, original)
	}
}

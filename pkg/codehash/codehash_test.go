package codehash

import (
	"testing"
	"testing/fstest"
)

func files(src string) fstest.MapFS {
	return fstest.MapFS{
		"a.go":      {Data: []byte(src)},
		"a_test.go": {Data: []byte("package a\n\nfunc TestX() {}\n")},
	}
}

const base = "package a\n\n// Step moves w.\nfunc Step(w, g float64) float64 {\n\treturn w - 0.001*g\n}\n"

func TestLayoutAndCommentsDoNotCount(t *testing.T) {
	same := "package a\n/* another comment */\nfunc Step(w, g float64) float64 { return w - 0.001*g }\n"
	if Of(files(base)) != Of(files(same)) {
		t.Fatal("a comment or formatting edit changed the hash")
	}
	other := files(base)
	other["a_test.go"] = &fstest.MapFile{Data: []byte("package a\n\nfunc TestY() {}\n")}
	if Of(files(base)) != Of(other) {
		t.Fatal("a test file changed the hash")
	}
}

func TestEveryTokenCounts(t *testing.T) {
	for _, changed := range []string{
		"package a\n\nfunc Step(w, g float64) float64 {\n\treturn w + 0.001*g\n}\n",
		"package a\n\nfunc Step(w, g float64) float64 {\n\treturn w - 0.01*g\n}\n",
		"package a\n\nfunc Step(w, g float64) float64 {\n\treturn w - 0.001*g*g\n}\n",
	} {
		if Of(files(base)) == Of(files(changed)) {
			t.Errorf("the hash missed a change:\n%s", changed)
		}
	}
	if Of(files(base), "dep1") == Of(files(base), "dep2") {
		t.Error("a dependency's hash does not count")
	}
}

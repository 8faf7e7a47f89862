//go:build ((linux && (amd64 || arm64)) || (darwin && arm64) || (windows && amd64)) && !noxla

package backend

import (
	"fmt"
	"testing"

	"github.com/gomlx/compute"
)

// Straight to GoMLX, past this package's mapping of "xla:cpu": with go-xla's auto-install off, a missing
// plugin is an error (or a plugin found on the system), never a download.
func TestGoXLAAutoInstallIsOff(t *testing.T) {
	t.Setenv("HOME", t.TempDir()) // No plugin in ~/.local/lib/go-xla: auto-install, if on, would download.
	requests := noNetwork(t)
	b, err := func() (b compute.Backend, err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return compute.NewWithConfig("xla:cpu")
	}()
	if err == nil {
		b.Finalize() // A system-wide plugin: fine, as long as nothing was fetched.
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d network requests (error: %v)", n, err)
	}
}

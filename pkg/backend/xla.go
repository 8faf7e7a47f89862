//go:build ((linux && (amd64 || arm64)) || (darwin && arm64) || (windows && amd64)) && !noxla

// The constraint above is that of github.com/gomlx/gomlx/backends/default's xla.go, where XLA is compiled in.
// Importing go-xla here registers the "xla" backend; the package does not import backends/default, whose
// optional ONNX backend would put a module in the graph that go doc then tries to look up.

package backend

import (
	"os"

	"github.com/gomlx/go-xla/compute/xla"
)

// go-xla downloads a PJRT plugin whenever New or GetAvailablePlugins is asked for one by name (or none) and
// auto-install is on, its default. This package promises never to download anything: turn it off. It runs
// after go-xla's own init, which only ever sets it off (for $GOMLX_NO_AUTO_INSTALL).
//
// A process started by [CheckPlugin] to check a plugin does that here and exits, before any code that
// imports this package runs.
func init() {
	xla.EnableAutoInstall(false)
	xlaLinked = true
	if plugin, ok := os.LookupEnv(probeEnv); ok {
		os.Exit(probeChild(plugin))
	}
}

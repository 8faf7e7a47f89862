package data

import (
	"embed"
	"sync"

	"github.com/golecture/regularization/pkg/codehash"
)

//go:embed *.go
var sources embed.FS

// CodeHash identifies this package's Go sources, comments and layout excluded (see package codehash).
var CodeHash = sync.OnceValue(func() string { return codehash.Of(sources) })

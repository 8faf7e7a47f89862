package mlp

import (
	"embed"
	"sync"

	"github.com/golecture/regularization/pkg/codehash"
	"github.com/golecture/regularization/pkg/data"
	"github.com/golecture/regularization/pkg/kerasadam"
)

//go:embed *.go
var sources embed.FS

// CodeHash identifies the code that decides what a fit computes: this package's, kerasadam's and data's Go
// sources, comments and layout excluded (see package codehash). Cache keys include it, so an edit that
// changes a fit is a miss at the next cell.
var CodeHash = sync.OnceValue(func() string {
	return codehash.Of(sources, kerasadam.CodeHash(), data.CodeHash())
})

package lecture

import (
	"sync"

	"github.com/golecture/regularization/pkg/fitcache"
)

var (
	fitsOnce   sync.Once
	fits       *fitcache.Cache
	noticeOnce sync.Once
)

// cache is the fit cache every fit of this program uses ($LECTURE_FIT_CACHE, else the user cache directory).
func cache() *fitcache.Cache {
	fitsOnce.Do(func() { fits = fitcache.Default() })
	return fits
}

// noticeCache says, once per program, when new fits cannot go where the cache is (a read-only shared
// cache) and where they go instead.
func noticeCache() {
	if n := cache().Notice(); n != "" {
		noticeOnce.Do(func() { say("note: %s\n", n) })
	}
}

// ClearCache deletes every cached fit, so the next cells train from scratch.
func ClearCache() {
	n, err := cache().Clear()
	if err != nil {
		report("clearing the fit cache", err)
		return
	}
	say("removed %d cached fits from %s\n", n, cache())
}

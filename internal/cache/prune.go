package cache

import (
	"context"
	"time"
)

// Pruner is a Store that can drop what no one needs any more: entries that
// expired before now, lock files of keys without a live entry, and the
// temporary files of writers that died. It never removes an entry or a
// lock file whose lock is held (its holder is refreshing it), so it may be
// called by a process that holds one key's lock: that key is left alone.
// It is cold-path work: call it after a write, never on a cache hit.
type Pruner interface {
	Prune(ctx context.Context, now time.Time) (removed int, err error)
}

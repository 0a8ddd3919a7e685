package creds

import (
	"context"
	"fmt"

	"github.com/kagi-cli/kagi/internal/cache"
)

// warnf says something the user should know although the run goes on: it
// goes to the --debug log and to Deps.Warn. A cache that cannot be written
// or locked costs an MFA prompt on every run; saying so only under --debug
// left people wondering why.
func (r *run) warnf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.log.Printf("%s", msg)
	if r.deps.Warn != nil {
		r.deps.Warn(msg)
	}
}

// tidy prunes the cache after a write, off the warm path: expired entries,
// idle lock files and temporary files of writers that died. The caller
// holds one key's lock; Prune leaves that key alone. Retrieves that share
// Deps.Tidied prune once between them.
func (r *run) tidy(ctx context.Context, store cache.Store) {
	p, ok := store.(cache.Pruner)
	if !ok {
		return
	}
	if r.deps.Tidied != nil {
		r.deps.Tidied.Do(func() { r.prune(ctx, p) })
		return
	}
	r.prune(ctx, p)
}

func (r *run) prune(ctx context.Context, p cache.Pruner) {
	if n, err := p.Prune(ctx, r.now()); err != nil {
		r.log.Printf("cache: prune: %v", err)
	} else if n > 0 {
		r.log.Printf("cache: pruned %d expired entries", n)
	}
}

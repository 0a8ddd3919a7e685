package cli

import (
	"context"
	"fmt"
	"sync"

	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/creds"
	"github.com/kagi-cli/kagi/internal/keyring"
)

// keyIDs is the memory of which keys the keyring holds for each profile
// (public key ids in the user's state directory): cached sessions are keyed
// by the keys' identity, found without opening the keyring.
func (a *app) keyIDs() *keyring.KeyIDs {
	backend := a.backend
	if backend == "" {
		backend, _ = a.io.LookupEnv("KAGI_BACKEND")
	}
	dir, _ := a.io.LookupEnv("KAGI_FILE_DIR")
	return keyring.NewKeyIDs(keyring.Options{Backend: backend, Env: a.io.LookupEnv, FileDir: dir})
}

// keysChanged records that profile's stored keys are now newID ("" after
// remove) instead of the keys with the ids in old, and drops every cached
// session made from those old keys: the MFA sessions and the roles chained
// from them. It says how many sessions it dropped.
func (a *app) keysChanged(ctx context.Context, profile, newID string, old ...string) (int, error) {
	ids := a.keyIDs()
	if remembered, ok := ids.KeyID(profile); ok {
		old = append(old, remembered)
	}
	if newID == "" {
		if err := ids.Forget(profile); err != nil {
			return 0, err
		}
	} else if err := ids.SetKeyID(profile, newID); err != nil {
		// The keys are stored; kagi finds their id in the keyring instead.
		fmt.Fprintf(a.io.Err, "kagi: warning: %v; every run opens the keyring\n", err)
	}
	var roots []string
	for _, id := range old {
		if id != "" && id != newID {
			roots = append(roots, creds.KeyringRoot(id))
		}
	}
	if len(roots) == 0 {
		return 0, nil
	}
	store, err := a.cache()
	if err != nil {
		// A cache that cannot be opened serves no session either.
		a.log().Printf("cache: %v", err)
		return 0, nil
	}
	n := 0
	seen := map[string]bool{}
	for _, root := range roots {
		if seen[root] {
			continue
		}
		seen[root] = true
		d, err := cache.DeleteRoot(ctx, store, root)
		n += d
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// keyIDMemo reads each profile's remembered key id once and keeps what is
// set: the runs of exec --profiles share one, so fifty runs from one user
// read one small file, not fifty.
type keyIDMemo struct {
	ids creds.KeyIDs
	mu  sync.Mutex
	got map[string]keyIDRead
}

type keyIDRead struct {
	id string
	ok bool
}

func newKeyIDMemo(ids creds.KeyIDs) *keyIDMemo {
	return &keyIDMemo{ids: ids, got: map[string]keyIDRead{}}
}

func (m *keyIDMemo) KeyID(profile string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, seen := m.got[profile]
	if !seen {
		r.id, r.ok = m.ids.KeyID(profile)
		m.got[profile] = r
	}
	return r.id, r.ok
}

// SetKeyID remembers id for the runs to come even when it cannot be
// written: they use the keys just read, whose id it is.
func (m *keyIDMemo) SetKeyID(profile, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.got[profile] = keyIDRead{id: id, ok: true}
	return m.ids.SetKeyID(profile, id)
}

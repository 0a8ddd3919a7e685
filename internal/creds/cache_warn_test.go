package creds_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/creds"
)

// brokenCache is a memCache whose writes and locks fail, as a read-only or
// full runtime directory does.
type brokenCache struct {
	*memCache
	lockErr, putErr error
}

func (b *brokenCache) Put(ctx context.Context, key string, e cache.Entry) error {
	if b.putErr != nil {
		return b.putErr
	}
	return b.memCache.Put(ctx, key, e)
}

func (b *brokenCache) Lock(ctx context.Context, key string) (func(), error) {
	if b.lockErr != nil {
		return nil, b.lockErr
	}
	return b.memCache.Lock(ctx, key)
}

type warnLog struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnLog) warn(msg string) { w.mu.Lock(); w.msgs = append(w.msgs, msg); w.mu.Unlock() }

// A cache that cannot be written or locked costs an MFA prompt on every
// run; that was said only under --debug. Now it reaches Deps.Warn, once
// per failing step, without a secret; the run itself still succeeds.
func TestCacheThatCannotBeWrittenOrLockedWarns(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		store      *brokenCache
	}{
		{"read-only", "cannot cache", &brokenCache{memCache: newCache(), putErr: errors.New("write cache entry: read-only file system")}},
		{"unlockable", "cannot lock", &brokenCache{memCache: newCache(), lockErr: errors.New("open lock file: permission denied")}},
		{"healthy", "", &brokenCache{memCache: newCache()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startEmu(t) // each its own: a TOTP code is good once
			chain := e.aliceChain(config.RoleHop{Profile: "work", RoleARN: roleAdmin, SessionName: "alice-admin", Duration: time.Hour})
			var w warnLog
			deps := e.deps(newKeyring(t, "alice", aliceKey, aliceSecret), tc.store, e.totpSource(aliceSerial))
			deps.Warn = w.warn
			c, err := creds.Retrieve(context.Background(), chain, deps)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				if len(w.msgs) != 0 {
					t.Fatalf("a healthy cache warned: %q", w.msgs)
				}
				return
			}
			// Two steps (MFA session, role), one warning each.
			if len(w.msgs) != 2 {
				t.Fatalf("warnings %q, want one per step", w.msgs)
			}
			for _, m := range w.msgs {
				if !strings.Contains(m, tc.want) || strings.Contains(m, "\n") {
					t.Errorf("warning %q, want one line saying %q", m, tc.want)
				}
				for _, s := range []string{aliceSecret, c.SecretAccessKey, c.SessionToken} {
					if strings.Contains(m, s) {
						t.Errorf("warning leaks a secret: %q", m)
					}
				}
			}
		})
	}
}

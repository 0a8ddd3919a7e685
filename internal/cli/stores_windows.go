//go:build windows

package cli

import (
	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/debug"
	"github.com/kagi-cli/kagi/internal/keyring"
)

// openCache: DPAPI-sealed files under %LOCALAPPDATA%\kagi\cache, with
// their locks (LockFileEx) beside them. The keyring is not needed: the
// Credential Manager holds only the long-term keys (see docs/design.md,
// "Windows").
func openCache(env func(string) (string, bool), _ keyring.Keyring, _ func(string), log *debug.Log) (cache.Store, error) {
	loc, err := cache.SealedDir(env)
	if err != nil {
		return nil, err
	}
	return openSealedCache(loc, cache.DPAPI(), log)
}

// fallbackLockDir: on Windows kagi's cache is always a directory (sealed
// with DPAPI), which holds the locks.
func fallbackLockDir(func(string) (string, bool)) string { return "" }

//go:build unix

package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/debug"
	"github.com/kagi-cli/kagi/internal/keyring"
)

// openCache: a tmpfs runtime directory when there is one (never persistent
// disk), else the encrypted keyring, with lock files beside it.
func openCache(env func(string) (string, bool), kr keyring.Keyring, warn func(string), log *debug.Log) (cache.Store, error) {
	loc, err := cache.RuntimeDir(env)
	if err != nil {
		return nil, err
	}
	return chooseCache(loc, lockDir(env), kr, warn, log)
}

// chooseCache opens the runtime directory loc and falls back to the
// encrypted keyring (locks in lockDir) when there is none or the default
// one cannot be trusted: another local user can create /dev/shm/kagi-UID
// first, as their directory or as a symbolic link to persistent disk, and
// that must neither stop kagi nor put credentials on disk. Each departure
// from "a private directory in memory" is one warning line.
func chooseCache(loc cache.Location, lockDir string, kr keyring.Keyring, warn func(string), log *debug.Log) (cache.Store, error) {
	if loc.Dir != "" {
		s, err := cache.OpenDir(loc.Dir)
		switch {
		case err != nil && loc.Chosen:
			return nil, fmt.Errorf("KAGI_CACHE_DIR: %w", err)
		case err != nil:
			warn(fmt.Sprintf("%v; cached sessions are kept in the encrypted keyring instead", err))
		case !s.InMemory() && loc.Chosen:
			// The user's choice, but a visible one: it is plaintext on disk.
			warn(fmt.Sprintf("KAGI_CACHE_DIR %q is not on tmpfs: cached sessions and role keys are written to disk unencrypted", loc.Dir))
			log.Printf("cache: %s", loc.Dir)
			return s, nil
		case !s.InMemory():
			warn(fmt.Sprintf("cache directory %q is not on tmpfs; cached sessions are kept in the encrypted keyring instead", loc.Dir))
		default:
			log.Printf("cache: %s", loc.Dir)
			return s, nil
		}
	}
	// Lock files hold no secrets, but a lock directory another user
	// controls would let them hold every lock (a hang) or swap the files.
	// Locks only save work, so without them kagi goes on, and says so.
	if err := cache.CheckLockDir(lockDir); err != nil {
		warn(fmt.Sprintf("%v; going on without cross-process locks, so concurrent runs may each ask for an MFA code", err))
		lockDir = ""
	}
	log.Printf("cache: the encrypted keyring, locks in %q", lockDir)
	return cache.NewKeyringStore(kr, lockDir, keyring.ErrNotFound), nil
}

// lockDir holds lock files (no secrets): $XDG_CACHE_HOME/kagi/locks or
// ~/.cache/kagi/locks, or kagi-UID in the temporary directory without a
// HOME (chooseCache checks it: another user can create that name first).
func lockDir(env func(string) (string, bool)) string {
	base, _ := env("XDG_CACHE_HOME")
	if !filepath.IsAbs(base) { // the XDG spec ignores a relative path
		home, _ := env("HOME")
		if !filepath.IsAbs(home) {
			return filepath.Join(os.TempDir(), fmt.Sprintf("kagi-%d", os.Getuid()))
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "kagi", "locks")
}

// fallbackLockDir is where locks live when kagi's cache is not a
// directory: the keyring cache's lock directory.
func fallbackLockDir(env func(string) (string, bool)) string { return lockDir(env) }

package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/debug"
	"github.com/kagi-cli/kagi/internal/keyring"
)

// keyring returns the keyring, opened on first use: a warm call served
// from the cache never opens it (no D-Bus round trip, no passphrase KDF).
func (a *app) keyring() keyring.Keyring {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.kr == nil {
		a.kr = &lazyKeyring{open: a.openKeyring}
	}
	return a.kr
}

func (a *app) openKeyring(ctx context.Context) (keyring.Keyring, error) {
	backend := a.backend
	if backend == "" {
		backend, _ = a.io.LookupEnv("KAGI_BACKEND")
	}
	dir, _ := a.io.LookupEnv("KAGI_FILE_DIR")
	kr, err := keyring.Open(ctx, keyring.Options{
		Backend:    backend,
		Env:        a.io.LookupEnv,
		FileDir:    dir,
		Passphrase: a.filePassphrase,
	})
	if err != nil {
		return nil, err
	}
	a.log().Printf("keyring: %s backend", kr.Backend())
	return kr, nil
}

// filePassphrase is the file backend's passphrase: KAGI_FILE_PASSPHRASE,
// else asked on the terminal (hidden), else an error saying what to set.
func (a *app) filePassphrase(ctx context.Context) (string, error) {
	if p, ok := a.io.LookupEnv("KAGI_FILE_PASSPHRASE"); ok {
		a.log().Secret(p)
		return p, nil
	}
	p, err := readHidden(ctx, "Passphrase for kagi's file keyring: ")
	if err != nil && ctx.Err() != nil {
		return "", err // interrupted: Main says so and exits 130
	}
	if err != nil {
		return "", &hintError{
			err:  fmt.Errorf("the file keyring needs a passphrase and no terminal can be opened to ask: %w", err),
			hint: "set KAGI_FILE_PASSPHRASE, or choose another backend with KAGI_BACKEND",
		}
	}
	a.log().Secret(p)
	return p, nil
}

// lazyKeyring opens the real keyring on the first call.
type lazyKeyring struct {
	open func(context.Context) (keyring.Keyring, error)
	once sync.Once
	kr   keyring.Keyring
	err  error
}

func (l *lazyKeyring) get(ctx context.Context) (keyring.Keyring, error) {
	l.once.Do(func() { l.kr, l.err = l.open(ctx) })
	return l.kr, l.err
}

func (l *lazyKeyring) Get(ctx context.Context, name string) ([]byte, error) {
	kr, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return kr.Get(ctx, name)
}

func (l *lazyKeyring) Set(ctx context.Context, name string, data []byte) error {
	kr, err := l.get(ctx)
	if err != nil {
		return err
	}
	return kr.Set(ctx, name, data)
}

func (l *lazyKeyring) Remove(ctx context.Context, name string) error {
	kr, err := l.get(ctx)
	if err != nil {
		return err
	}
	return kr.Remove(ctx, name)
}

func (l *lazyKeyring) List(ctx context.Context) ([]string, error) {
	kr, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return kr.List(ctx)
}

func (l *lazyKeyring) Backend() string {
	if l.kr != nil {
		return l.kr.Backend()
	}
	return "unopened"
}

// cache is where temporary credentials wait between processes: a tmpfs
// runtime directory when there is one (never persistent disk), else the
// encrypted keyring, with lock files beside it.
func (a *app) cache() (cache.Store, error) {
	log := a.log() // before the lock: log() takes it too
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.store != nil {
		return a.store, nil
	}
	loc, err := cache.RuntimeDir(a.io.LookupEnv)
	if err != nil {
		return nil, err
	}
	if a.kr == nil {
		a.kr = &lazyKeyring{open: a.openKeyring}
	}
	s, err := chooseCache(loc, lockDir(a.io.LookupEnv), a.kr, a.warn, log)
	if err != nil {
		return nil, err
	}
	a.store = s
	return s, nil
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

// warnings prints each distinct warning once per run, as one line
// "kagi: warning: ..." on stderr: a run that refreshes several steps, or
// serves several profiles, says a thing once.
type warnings struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (a *app) warn(msg string) {
	w := &a.warnings
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seen[msg] {
		return
	}
	if w.seen == nil {
		w.seen = map[string]bool{}
	}
	w.seen[msg] = true
	fmt.Fprintf(a.io.Err, "kagi: warning: %s\n", msg)
}

package cli

import (
	"context"
	"fmt"
	"sync"

	"github.com/kagi-cli/kagi/internal/cache"
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

// cache is where temporary credentials wait between processes, opened on
// first use: see openCache, one per system.
func (a *app) cache() (cache.Store, error) {
	log := a.log() // before the lock: log() takes it too
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.store != nil {
		return a.store, nil
	}
	if a.kr == nil {
		a.kr = &lazyKeyring{open: a.openKeyring}
	}
	s, err := openCache(a.io.LookupEnv, a.kr, a.warn, log)
	if err != nil {
		return nil, err
	}
	a.store = s
	return s, nil
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

package cli

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"sync"

	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/keyring"
	"github.com/kagi-cli/kagi/internal/termtext"
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
	tries := passphraseTries
	if _, ok := a.io.LookupEnv("KAGI_FILE_PASSPHRASE"); ok {
		tries = 1 // asking again would get the same
	}
	kr, err := keyring.Open(ctx, keyring.Options{
		Backend:         backend,
		Env:             a.io.LookupEnv,
		FileDir:         dir,
		Passphrase:      a.filePassphrase,
		PassphraseTries: tries,
	})
	if err != nil {
		return nil, err
	}
	a.log().Printf("keyring: %s backend", kr.Backend())
	return kr, nil
}

// passphraseTries is how many times a person at the terminal is asked for
// the file keyring's passphrase, or for a new one twice alike, as sudo and
// ssh-keygen do.
const passphraseTries = 3

// filePassphrase is the file backend's passphrase: KAGI_FILE_PASSPHRASE,
// else asked on the terminal (hidden), else an error saying what to set.
// For a new keyring, the terminal says where it will be and asks twice.
func (a *app) filePassphrase(ctx context.Context, req keyring.PassphraseRequest) (string, error) {
	if p, ok := a.io.LookupEnv("KAGI_FILE_PASSPHRASE"); ok {
		a.log().Secret(p)
		return p, nil
	}
	var p string
	var err error
	if req.New {
		p, err = askNewPassphrase(ctx, req.Dir)
	} else {
		question := "Passphrase for kagi's file keyring: "
		if req.Retry > 0 {
			question = fmt.Sprintf("kagi: wrong passphrase, try again (%d of %d)\n%s", req.Retry+1, passphraseTries, question)
		}
		p, err = readHidden(ctx, question)
	}
	if err != nil && ctx.Err() != nil {
		return "", err // interrupted: Main says so and exits 130
	}
	var mismatch *passphraseMismatchError
	if errors.As(err, &mismatch) {
		return "", err
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

// passphraseMismatchError: the new passphrase was never typed the same
// twice.
type passphraseMismatchError struct{ tries int }

func (e *passphraseMismatchError) Error() string {
	return fmt.Sprintf("the new passphrases did not match (%d tries); nothing was stored", e.tries)
}

// askNewPassphrase asks for the passphrase of a new file keyring in dir
// twice, and again while the two differ.
func askNewPassphrase(ctx context.Context, dir string) (string, error) {
	intro := fmt.Sprintf("kagi: a new file keyring in %s: choose its passphrase\n", dir)
	for try := 1; try <= passphraseTries; try++ {
		p, err := readHidden(ctx, intro+"New passphrase for kagi's file keyring: ")
		if err != nil {
			return "", err
		}
		if p == "" {
			intro = "kagi: the passphrase cannot be empty\n"
			continue
		}
		again, err := readHidden(ctx, "Repeat the passphrase: ")
		if err != nil {
			return "", err
		}
		if subtle.ConstantTimeCompare([]byte(p), []byte(again)) == 1 {
			return p, nil
		}
		intro = "kagi: the passphrases do not match, try again\n"
	}
	return "", &passphraseMismatchError{passphraseTries}
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
	data, err := kr.Get(ctx, name)
	return data, wrongPassphraseHint(err)
}

func (l *lazyKeyring) Set(ctx context.Context, name string, data []byte) error {
	kr, err := l.get(ctx)
	if err != nil {
		return err
	}
	return wrongPassphraseHint(kr.Set(ctx, name, data))
}

// wrongPassphraseHint adds the next step to the file keyring's
// ErrWrongPassphrase.
func wrongPassphraseHint(err error) error {
	if !errors.Is(err, keyring.ErrWrongPassphrase) {
		return err
	}
	return &hintError{err: err, hint: "give the passphrase the keyring was made with (KAGI_FILE_PASSPHRASE, when set, is used instead of asking)"}
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
	fmt.Fprintf(a.io.Err, "kagi: warning: %s\n", termtext.Lines(msg))
}

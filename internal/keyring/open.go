package keyring

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Backend names, as --backend and KAGI_BACKEND take them.
const (
	BackendFile          = "file"
	BackendSecretService = "secret-service"
	BackendKeychain      = "keychain"
	BackendWinCred       = "wincred"
	BackendKWallet       = "kwallet"
	BackendPass          = "pass"
	BackendKeyctl        = "keyctl"
)

// Backends lists every backend name Open accepts.
func Backends() []string {
	return []string{BackendFile, BackendSecretService, BackendKeychain, BackendWinCred, BackendKWallet, BackendPass, BackendKeyctl}
}

// Default time limits for calls into OS stores.
const (
	DefaultTimeout       = 10 * time.Second
	DefaultPromptTimeout = 2 * time.Minute
	// probeTimeout bounds the check for a Secret Service when choosing the
	// default backend: a desktop answers in milliseconds, and a hung bus
	// must not delay falling back to the file backend by much.
	probeTimeout = 2 * time.Second
)

// Options say which store Open returns and how it reaches it.
type Options struct {
	// Backend is one of Backends(); empty chooses the platform's default.
	Backend string
	// Env looks up environment variables (DBUS_SESSION_BUS_ADDRESS, HOME,
	// XDG_DATA_HOME, KAGI_FILE_DIR, PASSWORD_STORE_DIR); nil means none set.
	Env func(string) (string, bool)
	// FileDir is the file backend's directory; empty means KAGI_FILE_DIR,
	// else $XDG_DATA_HOME/kagi/keyring, else ~/.local/share/kagi/keyring
	// (on Windows %LOCALAPPDATA%\kagi\keyring).
	FileDir string
	// Passphrase returns the file backend's passphrase. It is called
	// only when an item is read or written, once per Keyring unless the
	// passphrase does not open the keyring (see PassphraseTries).
	Passphrase func(ctx context.Context, req PassphraseRequest) (string, error)
	// PassphraseTries is how many passphrases the file backend takes, one
	// after the other, while each opens nothing: a person at a terminal
	// may mistype, a passphrase from the environment stays what it is.
	// Zero means one.
	PassphraseTries int
	// FileKDF sets the cost of deriving new items' key; zero means
	// DefaultKDF(). Tests pass LowSecurityKDFForTests().
	FileKDF KDFParams
	// Timeout bounds each call into an OS store that does not wait for
	// the user; zero means DefaultTimeout.
	Timeout time.Duration
	// PromptTimeout bounds a call that may wait for the user to unlock the
	// store in a dialog of the OS (Secret Service prompt, gpg pinentry,
	// Keychain); zero means DefaultPromptTimeout.
	PromptTimeout time.Duration
	// GOOS replaces runtime.GOOS when choosing the default; for tests.
	GOOS string
}

func (o *Options) env(name string) string {
	if o.Env == nil {
		return ""
	}
	v, _ := o.Env(name)
	return v
}

func (o *Options) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return DefaultTimeout
}

func (o *Options) promptTimeout() time.Duration {
	if o.PromptTimeout > 0 {
		return o.PromptTimeout
	}
	return DefaultPromptTimeout
}

func (o *Options) goos() string {
	if o.GOOS != "" {
		return o.GOOS
	}
	return runtime.GOOS
}

// UnknownBackendError is a backend name Open does not know.
type UnknownBackendError struct{ Name string }

func (e *UnknownBackendError) Error() string {
	return fmt.Sprintf("unknown keyring backend %q (valid: %s)", e.Name, strings.Join(Backends(), ", "))
}

// Open returns the store opts name, or the platform's default: on macOS
// the Keychain, on Windows the Credential Manager, elsewhere the Secret
// Service when the session bus offers one, else the encrypted file backend.
func Open(ctx context.Context, opts Options) (Keyring, error) {
	switch opts.Backend {
	case "":
		return openDefault(ctx, opts)
	case BackendFile:
		return openFile(opts)
	case BackendSecretService:
		return openSecretService(ctx, opts, nil, nil)
	case BackendKWallet:
		return openKWallet(ctx, opts)
	case BackendPass:
		return openPass(ctx, opts)
	case BackendKeyctl:
		return openKeyctl(ctx, opts)
	case BackendKeychain:
		return openKeychain(ctx, opts)
	case BackendWinCred:
		return openWinCred(ctx, opts)
	}
	return nil, &UnknownBackendError{opts.Backend}
}

func openDefault(ctx context.Context, opts Options) (Keyring, error) {
	switch opts.goos() {
	case "darwin", "ios":
		return openKeychain(ctx, opts)
	case "windows":
		return openWinCred(ctx, opts)
	}
	if opts.env("DBUS_SESSION_BUS_ADDRESS") != "" {
		if bus, closeBus, err := probeSecretService(ctx, opts); err == nil {
			return openSecretService(ctx, opts, bus, closeBus)
		}
	}
	return openFile(opts)
}

func openFile(opts Options) (Keyring, error) {
	dir, err := FileDir(opts)
	if err != nil {
		return nil, err
	}
	return newFileKeyring(dir, opts.FileKDF, opts.Passphrase, opts.PassphraseTries), nil
}

// FileDir is the directory the file backend uses with opts.
func FileDir(opts Options) (string, error) {
	dir := opts.FileDir
	if dir == "" {
		dir = opts.env("KAGI_FILE_DIR")
	}
	if dir != "" {
		return filepath.Abs(dir)
	}
	if base := opts.env("XDG_DATA_HOME"); filepath.IsAbs(base) {
		return filepath.Join(base, "kagi", "keyring"), nil
	}
	if opts.goos() == "windows" {
		if base := localAppData(opts); base != "" {
			return filepath.Join(base, "kagi", "keyring"), nil
		}
		return "", errors.New("no directory for the file keyring: set KAGI_FILE_DIR or LOCALAPPDATA")
	}
	home := opts.env("HOME")
	if home == "" {
		return "", errors.New("no directory for the file keyring: set KAGI_FILE_DIR or HOME")
	}
	return filepath.Join(home, ".local", "share", "kagi", "keyring"), nil
}

// localAppData is Windows's per-user, per-machine data directory:
// %LOCALAPPDATA%, else %USERPROFILE%\AppData\Local; "" when neither is an
// absolute path. Unlike %APPDATA% it does not roam to other machines.
func localAppData(opts Options) string {
	if base := opts.env("LOCALAPPDATA"); filepath.IsAbs(base) {
		return base
	}
	if home := opts.env("USERPROFILE"); filepath.IsAbs(home) {
		return filepath.Join(home, "AppData", "Local")
	}
	return ""
}

// bounded runs fn, returning early with ctx's error when ctx is done or
// when d has passed: for OS calls that take no context (syscalls, Windows
// API). A call that is abandoned goes on in its goroutine until it
// returns; kagi is a short-lived process, and not hanging matters more.
func bounded[T any](ctx context.Context, d time.Duration, what string, fn func() (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		v, err := fn()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("%s: no answer: %w", what, ctx.Err())
	}
}

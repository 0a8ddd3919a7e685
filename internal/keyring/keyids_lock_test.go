//go:build unix

package keyring_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/kagi-cli/kagi/internal/keyring"
)

// The red team's attack on kagi rotate's lock: the state directory holding
// it is one another user can write (a shared XDG_STATE_HOME, a squatted
// directory) or a symbolic link. A lock there protects nothing (the other
// user can hold it for ever or plant it as a link), so LockPath refuses
// it with a typed error, and rotate must not run without it.
func TestLockPathRefusesAnUnsafeStateDirectory(t *testing.T) {
	for name, prepare := range map[string]func(t *testing.T, state string){
		"writable by others": func(t *testing.T, state string) {
			if err := os.MkdirAll(filepath.Join(state, "kagi", "key-ids"), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(filepath.Join(state, "kagi", "key-ids"), 0o777); err != nil {
				t.Fatal(err)
			}
		},
		"sticky and writable by all": func(t *testing.T, state string) {
			if err := os.MkdirAll(filepath.Join(state, "kagi", "key-ids"), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(filepath.Join(state, "kagi", "key-ids"), 0o1777); err != nil {
				t.Fatal(err)
			}
		},
		"a symbolic link": func(t *testing.T, state string) {
			elsewhere := t.TempDir()
			if err := os.MkdirAll(filepath.Join(state, "kagi"), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(elsewhere, filepath.Join(state, "kagi", "key-ids")); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			state := t.TempDir()
			prepare(t, state)
			ids := keyring.NewKeyIDs(keyring.Options{Backend: "file", Env: envMap(map[string]string{"HOME": t.TempDir(), "XDG_STATE_HOME": state})})
			p, err := ids.LockPath("rotate", "jump")
			var ue *keyring.UnsafeDirError
			if !errors.As(err, &ue) {
				t.Fatalf("LockPath = %q, %v; want an UnsafeDirError", p, err)
			}
			if ue.Hint() == "" {
				t.Error("no hint")
			}
		})
	}
	// The control: a directory of the user's own.
	ids := keyring.NewKeyIDs(keyring.Options{Backend: "file", Env: envMap(map[string]string{"HOME": t.TempDir(), "XDG_STATE_HOME": t.TempDir()})})
	if _, err := ids.LockPath("rotate", "jump"); err != nil {
		t.Fatalf("own directory: %v", err)
	}
}

package keyring

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The tests on a real keychain run only on a Mac, and only when
// KAGI_TEST_KEYCHAIN=1: they create a keychain file of their own in a
// temporary directory (never the login keychain), but the last one may
// show a macOS dialog on a desktop session.

func realKeychainItems(t *testing.T) (*secItems, string) {
	t.Helper()
	if os.Getenv("KAGI_TEST_KEYCHAIN") != "1" {
		t.Skip("set KAGI_TEST_KEYCHAIN=1 to run against a temporary keychain file")
	}
	x, err := loadSecItems()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kagi-test.keychain-db")
	remove, err := x.createKeychain(path, "kagi-test-password")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := remove(); err != nil {
			t.Error(err)
		}
	})
	return x, path
}

// NewTempKeychainForTests returns an opener of Keychain stores on one
// temporary keychain file, for the conformance suite.
func NewTempKeychainForTests(t *testing.T) func() Keyring {
	x, _ := realKeychainItems(t)
	return func() Keyring { return newKeychainStore(x, Options{}) }
}

// TestKeychainSecurityCannotReadSilently is issue 10's check on a real
// keychain: an item kagi writes is not given to /usr/bin/security without
// the user's consent. Without a desktop session the keychain refuses at
// once; with one, it shows a dialog, which nobody answers here.
func TestKeychainSecurityCannotReadSilently(t *testing.T) {
	x, path := realKeychainItems(t)
	kc := newKeychainStore(x, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const secret = "kagi-test-secret-not-for-security"
	if err := kc.Set(ctx, "keys:acl-test", []byte(secret)); err != nil {
		t.Fatal(err)
	}
	if got, err := kc.Get(ctx, "keys:acl-test"); err != nil || string(got) != secret {
		t.Fatalf("Get = %q, %v", got, err)
	}
	// security searches the test's keychain file, named last.
	cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
	defer ccancel()
	out, err := exec.CommandContext(cctx, "/usr/bin/security", "find-generic-password", "-s", keychainService, "-a", "keys:acl-test", "-w", path).Output()
	if err == nil || strings.Contains(string(out), secret) || strings.Contains(string(out), string(keychainEncode([]byte(secret)))) {
		t.Fatalf("security read kagi's item without a dialog: %v", err)
	}
}

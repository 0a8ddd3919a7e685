package keyring

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pass (and the gpg it runs) never gets kagi's secrets in its environment.
func TestPassGetsNoKagiSecrets(t *testing.T) {
	bin, store := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "pass"), []byte("#!/bin/sh\nenv\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(store, ".gpg-id"), []byte("test\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":/usr/bin:/bin")
	t.Setenv("KAGI_FILE_PASSPHRASE", "hunter2-passphrase")
	t.Setenv("KAGI_MFA_TOKEN", "123456")
	kr, err := openPass(context.Background(), Options{Env: func(k string) (string, bool) {
		if k == "PASSWORD_STORE_DIR" {
			return store, true
		}
		return "", false
	}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := kr.(*passStore).run(context.Background(), 10*time.Second, nil, "show", "kagi/x")
	if err != nil {
		t.Fatal(err)
	}
	env := string(out)
	if !strings.Contains(env, "PASSWORD_STORE_DIR="+store) {
		t.Fatalf("the fake pass did not run with the store:\n%s", env)
	}
	for _, bad := range []string{"KAGI_FILE_PASSPHRASE", "hunter2-passphrase", "KAGI_MFA_TOKEN"} {
		if strings.Contains(env, bad) {
			t.Errorf("pass's environment holds %s", bad)
		}
	}
}

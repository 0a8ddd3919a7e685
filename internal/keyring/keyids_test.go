//go:build unix

package keyring_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/kagi-cli/kagi/internal/keyring"
)

func TestKeyIDsRememberPerKeyringAndProfile(t *testing.T) {
	home := t.TempDir()
	env := envMap(map[string]string{"HOME": home})
	file := keyring.NewKeyIDs(keyring.Options{Backend: "file", Env: env})
	if _, ok := file.KeyID("jump"); ok {
		t.Fatal("remembered something before anything was stored")
	}
	if err := file.SetKeyID("jump", "AKIAJUMPUSEREXAMPLE1"); err != nil {
		t.Fatal(err)
	}
	if id, ok := file.KeyID("jump"); !ok || id != "AKIAJUMPUSEREXAMPLE1" {
		t.Fatalf("KeyID = %q, %v", id, ok)
	}
	// Another profile, another keyring (backend, file directory), another
	// HOME: nothing remembered.
	others := map[string]*keyring.KeyIDs{
		"profile":  nil,
		"backend":  keyring.NewKeyIDs(keyring.Options{Backend: "secret-service", Env: env}),
		"default":  keyring.NewKeyIDs(keyring.Options{Env: env}),
		"file dir": keyring.NewKeyIDs(keyring.Options{Backend: "file", Env: envMap(map[string]string{"HOME": home, "KAGI_FILE_DIR": t.TempDir()})}),
		"home":     keyring.NewKeyIDs(keyring.Options{Backend: "file", Env: envMap(map[string]string{"HOME": t.TempDir()})}),
	}
	for name, k := range others {
		profile := "jump"
		if k == nil {
			k, profile = file, "jump2"
		}
		if id, ok := k.KeyID(profile); ok {
			t.Errorf("%s: remembered %q", name, id)
		}
	}

	dir := filepath.Join(home, ".local", "state", "kagi", "key-ids")
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("state directory: %v %v", fi.Mode(), err)
	}
	des, _ := os.ReadDir(dir)
	if len(des) != 1 {
		t.Fatalf("files %v", des)
	}
	path := filepath.Join(dir, des[0].Name())
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v", fi.Mode())
	}

	// Replaced, then forgotten.
	if err := file.SetKeyID("jump", "AKIAJUMPUSEREXAMPLE2"); err != nil {
		t.Fatal(err)
	}
	if id, _ := file.KeyID("jump"); id != "AKIAJUMPUSEREXAMPLE2" {
		t.Fatalf("after replacing: %q", id)
	}
	if err := file.Forget("jump"); err != nil {
		t.Fatal(err)
	}
	if _, ok := file.KeyID("jump"); ok {
		t.Fatal("remembered after Forget")
	}
	if err := file.Forget("jump"); err != nil {
		t.Fatalf("Forget of nothing: %v", err)
	}

	// What is not a memory of ours reads as nothing: corrupt, another
	// profile's, not an access key id, a FIFO.
	for name, content := range map[string]string{
		"corrupt":      "{",
		"other":        `{"profile":"other","access_key_id":"AKIAJUMPUSEREXAMPLE1"}`,
		"not a key id": `{"profile":"jump","access_key_id":"secret"}`,
	} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if id, ok := file.KeyID("jump"); ok {
			t.Errorf("%s: KeyID = %q", name, id)
		}
	}
	os.Remove(path)
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if id, ok := file.KeyID("jump"); ok {
		t.Errorf("FIFO: KeyID = %q", id)
	}
}

func TestKeyIDsWithoutHome(t *testing.T) {
	k := keyring.NewKeyIDs(keyring.Options{Backend: "file", Env: envMap(map[string]string{"KAGI_FILE_DIR": t.TempDir()})})
	if err := k.SetKeyID("jump", "AKIAJUMPUSEREXAMPLE1"); err == nil {
		t.Fatal("SetKeyID without a state directory succeeded")
	}
	if _, ok := k.KeyID("jump"); ok {
		t.Fatal("KeyID without a state directory")
	}
	state := t.TempDir()
	k = keyring.NewKeyIDs(keyring.Options{Backend: "file", Env: envMap(map[string]string{"XDG_STATE_HOME": state, "KAGI_FILE_DIR": t.TempDir()})})
	if err := k.SetKeyID("jump", "AKIAJUMPUSEREXAMPLE1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(state, "kagi", "key-ids")); err != nil {
		t.Fatal(err)
	}
}

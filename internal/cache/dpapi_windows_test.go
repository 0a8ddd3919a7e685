package cache_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/cache/cachetest"
)

// The store Windows uses, with the real DPAPI and the real Windows file
// primitives (LockFileEx, CreateFile, the DACL checks). Runs only on
// Windows; elsewhere TestSealedDirStore runs the same store with a fake.
func TestSealedDirStoreDPAPI(t *testing.T) {
	cachetest.Conformance(t, cachetest.Subject{
		Open: func(t *testing.T, dir string) cache.Store {
			s, err := cache.OpenSealedDir(filepath.Join(dir, "kagi"), cache.DPAPI())
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		WriteRaw: func(t *testing.T, s cache.Store, key string, data []byte) {
			sealed, err := cache.DPAPI().Seal(data, "kagi cache entry "+key)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(s.(*cache.DirStore).Dir(), key+".sealed"), sealed, 0o600); err != nil {
				t.Fatal(err)
			}
		},
		Sealed: true,
	})
}

func TestDPAPISealer(t *testing.T) {
	d := cache.DPAPI()
	plain := []byte(`{"secret_access_key":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}`)
	sealed, err := d.Seal(plain, "label a")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("wJalrXUtnFEMI")) {
		t.Fatal("the sealed blob holds the secret in clear")
	}
	got, err := d.Unseal(sealed, "label a")
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Unseal = %q, %v", got, err)
	}
	if _, err := d.Unseal(sealed, "label b"); err == nil {
		t.Fatal("a blob opened under another label")
	}
	changed := bytes.Clone(sealed)
	changed[len(changed)-5] ^= 1
	if _, err := d.Unseal(changed, "label a"); err == nil {
		t.Fatal("a changed blob opened")
	}
	if _, err := d.Unseal(nil, "label a"); err == nil {
		t.Fatal("an empty blob opened")
	}
}

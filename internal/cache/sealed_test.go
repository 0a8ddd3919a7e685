package cache_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/cache/cachetest"
)

// fakeSealer stands in for DPAPI where it does not exist, with the
// properties the store relies on: the output hides the input, and Unseal
// fails for another label or any changed byte. (Its "encryption" is a
// XOR: enough to keep secrets out of the files, not a cipher.)
type fakeSealer struct {
	fail error // returned by every call when set
}

const fakeMagic = "fakeseal1:"

func (f fakeSealer) mac(plain []byte, label string) []byte {
	h := sha256.New()
	h.Write([]byte(label))
	h.Write([]byte{0})
	h.Write(plain)
	return h.Sum(nil)
}

func (f fakeSealer) Seal(plain []byte, label string) ([]byte, error) {
	if f.fail != nil {
		return nil, f.fail
	}
	out := append([]byte(fakeMagic), f.mac(plain, label)...)
	for _, c := range plain {
		out = append(out, c^0x5a)
	}
	return out, nil
}

func (f fakeSealer) Unseal(sealed []byte, label string) ([]byte, error) {
	if f.fail != nil {
		return nil, f.fail
	}
	rest, ok := bytes.CutPrefix(sealed, []byte(fakeMagic))
	if !ok || len(rest) < sha256.Size {
		return nil, errors.New("fake sealer: not a sealed blob")
	}
	sum, body := rest[:sha256.Size], rest[sha256.Size:]
	plain := make([]byte, len(body))
	for i, c := range body {
		plain[i] = c ^ 0x5a
	}
	if !bytes.Equal(sum, f.mac(plain, label)) {
		return nil, errors.New("fake sealer: the blob does not open under this label")
	}
	return plain, nil
}

func openSealed(t testing.TB, dir string, sl cache.Sealer) *cache.DirStore {
	t.Helper()
	s, err := cache.OpenSealedDir(dir, sl)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The store Windows uses (DirStore with DPAPI), run here with a fake
// sealer: everything but the DPAPI calls and the Windows file primitives
// is the same code.
func TestSealedDirStore(t *testing.T) {
	cachetest.Conformance(t, cachetest.Subject{
		Open: func(t *testing.T, dir string) cache.Store {
			return openSealed(t, filepath.Join(dir, "kagi"), fakeSealer{})
		},
		// Raw data goes in sealed, so the suite's corrupt entries reach
		// the decoding after Unseal.
		WriteRaw: func(t *testing.T, s cache.Store, key string, data []byte) {
			ds := s.(*cache.DirStore)
			sealed, err := fakeSealer{}.Seal(data, "kagi cache entry "+key)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(ds.Dir(), key+".sealed"), sealed, 0o600); err != nil {
				t.Fatal(err)
			}
		},
		Sealed: true,
	})
}

const secretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"

func sealedEntry() cache.Entry {
	e := testEntry(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	e.SecretAccessKey = secretKey
	return e
}

// What a sealed store cannot open is corrupt: removed, and read as a miss.
func TestSealedDirStoreUnopenableEntryIsRemoved(t *testing.T) {
	ctx := context.Background()
	const key2 = "00000000000000000000000000000000000000000000000000000000000000a2"
	for _, tc := range []struct {
		name  string
		plant func(t *testing.T, dir string)
	}{
		{"plain JSON, never sealed", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, key1+".sealed"), []byte(`{"access_key_id":"ASIAEXAMPLE","secret_access_key":"s","expiration":"2030-01-01T00:00:00Z"}`), 0o600)
		}},
		{"sealed for another key, renamed", func(t *testing.T, dir string) {
			if err := openSealed(t, dir, fakeSealer{}).Put(ctx, key2, sealedEntry()); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(filepath.Join(dir, key2+".sealed"), filepath.Join(dir, key1+".sealed")); err != nil {
				t.Fatal(err)
			}
		}},
		{"a byte changed", func(t *testing.T, dir string) {
			if err := openSealed(t, dir, fakeSealer{}).Put(ctx, key1, sealedEntry()); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, key1+".sealed")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			data[len(data)-3] ^= 1
			os.WriteFile(path, data, 0o600)
		}},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "kagi")
			s := openSealed(t, dir, fakeSealer{})
			tc.plant(t, dir)
			_, err := s.Get(ctx, key1)
			if !errors.Is(err, cache.ErrNotFound) {
				t.Fatalf("Get = %v, want ErrNotFound", err)
			}
			if strings.Contains(err.Error(), secretKey) {
				t.Fatalf("error %q reveals the secret", err)
			}
			if _, err := os.Stat(filepath.Join(dir, key1+".sealed")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the entry that did not open is still there: %v", err)
			}
		})
	}
}

// A sealer that fails (DPAPI refusing, say) fails Put without writing,
// and without the secret in the error.
func TestSealedDirStoreSealerFails(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "kagi")
	broken := errors.New("protect: the system is out of sorts")
	s := openSealed(t, dir, fakeSealer{fail: broken})
	err := s.Put(ctx, key1, sealedEntry())
	if !errors.Is(err, broken) || strings.Contains(err.Error(), secretKey) {
		t.Fatalf("Put with a failing sealer = %v", err)
	}
	des, _ := os.ReadDir(dir)
	if len(des) != 0 {
		t.Fatalf("a failed Put left %v", des)
	}
}

// Plain and sealed entries in one directory do not see each other: a
// sealed store never reads plaintext as an entry, and a plain one never
// serves a blob.
func TestSealedAndPlainEntriesApart(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "kagi")
	sealed := openSealed(t, dir, fakeSealer{})
	plain, err := cache.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !sealed.Sealed() || plain.Sealed() {
		t.Fatal("Sealed() is wrong")
	}
	if err := sealed.Put(ctx, key1, sealedEntry()); err != nil {
		t.Fatal(err)
	}
	if _, err := plain.Get(ctx, key1); !errors.Is(err, cache.ErrNotFound) {
		t.Fatalf("the plain store read a sealed entry: %v", err)
	}
	if infos, err := plain.List(ctx); err != nil || len(infos) != 0 {
		t.Fatalf("the plain store lists %v, %v", infos, err)
	}
	if _, err := cache.OpenSealedDir(dir, nil); err == nil {
		t.Fatal("OpenSealedDir without a sealer succeeded")
	}
}

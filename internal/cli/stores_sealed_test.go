package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/cache"
)

// xorSealer stands in for DPAPI: enough to tell a sealed store from a
// plain one.
type xorSealer struct{}

func (xorSealer) Seal(p []byte, label string) ([]byte, error) {
	out := []byte(label + "\x00")
	for _, c := range p {
		out = append(out, c^0x5a)
	}
	return out, nil
}

func (xorSealer) Unseal(s []byte, label string) ([]byte, error) {
	body, ok := strings.CutPrefix(string(s), label+"\x00")
	if !ok {
		return nil, errors.New("not sealed under this label")
	}
	out := []byte(body)
	for i := range out {
		out[i] ^= 0x5a
	}
	return out, nil
}

// Windows's choice of cache, with a fake sealer in place of DPAPI.
func TestOpenSealedCache(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "kagi", "cache")
	s, err := openSealedCache(cache.Location{Dir: dir}, xorSealer{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ds, ok := s.(*cache.DirStore)
	if !ok || !ds.Sealed() || ds.Dir() != dir {
		t.Fatalf("store %T %+v, want a sealed DirStore in %s", s, s, dir)
	}
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSEALEDKEY"
	key := strings.Repeat("ab", 32)
	if err := s.Put(ctx, key, cache.Entry{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: secret, Expiration: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		if data, _ := os.ReadFile(filepath.Join(dir, de.Name())); strings.Contains(string(data), secret) {
			t.Fatalf("%s holds the secret in clear", de.Name())
		}
	}

	// No place at all: an error that says what to set.
	_, err = openSealedCache(cache.Location{}, xorSealer{}, nil)
	var he *hintError
	if !errors.As(err, &he) || !strings.Contains(he.Hint(), "KAGI_CACHE_DIR") {
		t.Fatalf("no directory: %v; want a hint naming KAGI_CACHE_DIR", err)
	}
	// A KAGI_CACHE_DIR that cannot be used is the user's to fix.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = openSealedCache(cache.Location{Dir: file, Chosen: true}, xorSealer{}, nil)
	var ue *cache.UnsafeDirError
	if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), "KAGI_CACHE_DIR: ") {
		t.Fatalf("KAGI_CACHE_DIR naming a file: %v", err)
	}
}

package cache_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/cache/cachetest"
)

func TestDirStore(t *testing.T) {
	cachetest.Conformance(t, cachetest.Subject{
		Open: func(t *testing.T, dir string) cache.Store {
			// A subdirectory, so OpenDir creates it.
			s, err := cache.OpenDir(filepath.Join(dir, "kagi"))
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		WriteRaw: func(t *testing.T, s cache.Store, key string, data []byte) {
			path := filepath.Join(s.(*cache.DirStore).Dir(), key+".json")
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
		},
	})
}

const key1 = "00000000000000000000000000000000000000000000000000000000000000a1"

// openTemp opens a store in a fresh private directory (a test's temporary
// directory itself may be 0755).
func openTemp(t testing.TB) *cache.DirStore {
	t.Helper()
	s, err := cache.OpenDir(filepath.Join(t.TempDir(), "kagi"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testEntry(exp time.Time) cache.Entry {
	return cache.Entry{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "s", SessionToken: "t", Expiration: exp, Profile: "p", Kind: "role"}
}

func TestDirStoreOversizedEntryIsCorrupt(t *testing.T) {
	s := openTemp(t)
	big := `{"access_key_id":"` + strings.Repeat("A", 100<<10) + `"}`
	if err := os.WriteFile(filepath.Join(s.Dir(), key1+".json"), []byte(big), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(context.Background(), key1); !errors.Is(err, cache.ErrNotFound) {
		t.Fatalf("Get of an oversized entry: %v, want ErrNotFound", err)
	}
}

func TestDirStorePrune(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	s := openTemp(t)
	keys := make([]string, 5)
	for i := range keys {
		keys[i] = strings.Repeat("0", 63) + string(rune('1'+i))
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Put(ctx, keys[0], testEntry(now.Add(-time.Hour)))) // expired
	must(s.Put(ctx, keys[1], testEntry(now.Add(time.Hour))))  // live
	must(s.Put(ctx, keys[2], testEntry(now.Add(-time.Hour)))) // expired, but being refreshed
	unlock, err := s.Lock(ctx, keys[2])
	must(err)
	defer unlock()
	u, err := s.Lock(ctx, keys[3]) // a lock file with no entry
	must(err)
	u()
	stale := filepath.Join(s.Dir(), "."+keys[4]+".json.tmp123")
	must(os.WriteFile(stale, []byte("x"), 0o600))
	must(os.Chtimes(stale, now.Add(-time.Hour), now.Add(-time.Hour)))

	n, err := s.Prune(ctx, now)
	must(err)
	if n != 1 {
		t.Errorf("Prune removed %d entries, want 1", n)
	}
	var names []string
	des, err := os.ReadDir(s.Dir())
	must(err)
	for _, de := range des {
		names = append(names, de.Name())
	}
	want := []string{keys[1] + ".json", keys[2] + ".json", keys[2] + ".lock"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("after Prune the directory holds %q, want %q", names, want)
	}
}

func BenchmarkDirStoreGet(b *testing.B) {
	ctx := context.Background()
	s := openTemp(b)
	if err := s.Put(ctx, key1, testEntry(time.Now().Add(time.Hour))); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Get(ctx, key1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenDirAndGet(b *testing.B) {
	ctx := context.Background()
	s := openTemp(b)
	dir := s.Dir()
	if err := s.Put(ctx, key1, testEntry(time.Now().Add(time.Hour))); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		s, err := cache.OpenDir(dir)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Get(ctx, key1); err != nil {
			b.Fatal(err)
		}
	}
}

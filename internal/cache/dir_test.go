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

func TestOpenDirCreatesPrivateDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "kagi")
	if _, err := cache.OpenDir(dir); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Fatalf("mode %v, want 0700", fi.Mode())
	}
}

func TestOpenDirRefusesUnsafeDir(t *testing.T) {
	for _, mode := range []os.FileMode{0o750, 0o705, 0o777, 0o1777} {
		dir := filepath.Join(t.TempDir(), "kagi")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
		_, err := cache.OpenDir(dir)
		var ue *cache.UnsafeDirError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "other users") || !strings.Contains(ue.Hint(), "chmod 700") {
			t.Errorf("OpenDir of a %v directory: %v; want an UnsafeDirError", mode, err)
		}
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := cache.OpenDir(file); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("OpenDir of a file: %v", err)
	}
	if _, err := cache.OpenDir(""); err == nil {
		t.Errorf("OpenDir(\"\") succeeded")
	}
}

func TestDirStoreSymlinkEntryIsCorrupt(t *testing.T) {
	s := openTemp(t)
	target := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.WriteFile(target, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(s.Dir(), key1+".json")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(context.Background(), key1); !errors.Is(err, cache.ErrNotFound) {
		t.Fatalf("Get through a symlink: %v, want ErrNotFound", err)
	}
	if _, err := os.Lstat(filepath.Join(s.Dir(), key1+".json")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("symlink left in place: %v", err)
	}
	if _, err := os.Stat(target); err != nil {
		t.Fatalf("the symlink's target was touched: %v", err)
	}
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

// A waiter that opened a lock file before Prune unlinked it must not think
// it holds the lock while someone else holds the new file's.
func TestLockSurvivesPruneOfLockFile(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	unlock, err := s.Lock(ctx, key1)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan func(), 1)
	go func() {
		u, err := s.Lock(ctx, key1)
		if err != nil {
			t.Error(err)
		}
		got <- u
	}()
	// Let the waiter open the old file, then replace it and hold the new
	// one, as Prune followed by a new locker would.
	deadline := time.Now().Add(100 * time.Millisecond)
	for time.Now().Before(deadline) {
		select {
		case <-got:
			t.Fatal("waiter took a held lock")
		default:
		}
	}
	if err := os.Remove(filepath.Join(s.Dir(), key1+".lock")); err != nil {
		t.Fatal(err)
	}
	unlock2, err := s.Lock(ctx, key1)
	if err != nil {
		t.Fatal(err)
	}
	unlock() // the waiter now gets the old, unlinked file's lock
	select {
	case u := <-got:
		u()
		t.Fatal("waiter took the lock of an unlinked file while the current one is held")
	case <-time.After(200 * time.Millisecond):
	}
	unlock2()
	select {
	case u := <-got:
		u()
	case <-time.After(10 * time.Second):
		t.Fatal("waiter never got the lock")
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

//go:build unix

package cache_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/cache"
)

// Tests of Unix semantics: mode bits, symbolic links any user may make, a
// lock file unlinked while open. Windows has its own (see diracl_test.go).

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

func TestKeyringStoreRefusesSharedLockDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "locks")
	s := cache.NewKeyringStore(newFakeKeyring(), dir, errMissing)
	if u, err := s.Lock(context.Background(), key1); err != nil {
		t.Fatal(err)
	} else {
		u()
	}
	if err := chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if u, err := s.Lock(context.Background(), key1); err == nil {
		u()
		t.Fatal("locked in a world-writable directory")
	}
}

func chmod(path string, mode fs.FileMode) error { return os.Chmod(path, mode) }

//go:build unix

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
	"github.com/kagi-cli/kagi/internal/interop"
)

// shmDir is a fresh private directory on /dev/shm (tmpfs on Linux), or ""
// where there is none.
func shmDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("/dev/shm", "kagi-cache-test-")
	if err != nil {
		return ""
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, de := range des {
		out = append(out, de.Name())
	}
	return out
}

// Another user plants a symbolic link where the cache directory should be,
// pointing at a directory on persistent disk: kagi must not write through
// it, not even when what it points to looks perfectly private.
func TestOpenDirRefusesSymlink(t *testing.T) {
	base := t.TempDir()
	for _, mode := range []os.FileMode{0o700, 0o777} {
		target := filepath.Join(base, "target"+mode.String())
		if err := os.Mkdir(target, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(target, mode); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(base, "kagi"+mode.String())
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		s, err := cache.OpenDir(link)
		var ue *cache.UnsafeDirError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "symbolic link") {
			t.Fatalf("OpenDir of a symlink to a %v directory: %v, %v; want an UnsafeDirError", mode, s, err)
		}
		if strings.Contains(ue.Hint(), "chmod") {
			t.Errorf("hint %q asks for a chmod that cannot help", ue.Hint())
		}
		if got := names(t, target); len(got) != 0 {
			t.Errorf("OpenDir wrote through the symlink: %q", got)
		}
	}
	// A dangling link (the attacker's directory is not there yet) is not
	// followed to create it either.
	dangling := filepath.Join(base, "dangling")
	if err := os.Symlink(filepath.Join(base, "later"), dangling); err != nil {
		t.Fatal(err)
	}
	if _, err := cache.OpenDir(dangling); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("OpenDir of a dangling symlink: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(base, "later")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("OpenDir created the symlink's target: %v", err)
	}
}

// A parent directory others can write (and is not sticky) lets them rename
// the cache directory away after the check and put a link in its place.
func TestOpenDirRefusesReplaceableParent(t *testing.T) {
	for _, tc := range []struct {
		mode    os.FileMode
		refused bool
	}{
		{0o700, false},
		{0o755, false},
		{0o777, true},
		{0o770, true},
		{0o777 | os.ModeSticky, false},
	} {
		parent := filepath.Join(t.TempDir(), "parent")
		if err := os.Mkdir(parent, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(parent, tc.mode); err != nil {
			t.Fatal(err)
		}
		_, err := cache.OpenDir(filepath.Join(parent, "kagi"))
		if refused := err != nil; refused != tc.refused || (refused && !strings.Contains(err.Error(), "parent")) {
			t.Errorf("parent %v: %v; refused want %v", tc.mode, err, tc.refused)
		}
	}
}

func TestOpenDirRefusesRelative(t *testing.T) {
	if _, err := cache.OpenDir("kagi-relative"); err == nil || !strings.Contains(err.Error(), "absolute") {
		t.Fatalf("OpenDir of a relative path: %v", err)
	}
	if _, err := os.Stat("kagi-relative"); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("OpenDir created a relative directory")
	}
}

// As root, a directory of another user stands in for what a second local
// user creates first: refused whatever its mode, with a hint that does not
// ask the victim for a chmod they cannot make. This checks a security
// promise, so with KAGI_INTEROP_REQUIRED=1 (CI) it must run, not skip.
func TestOpenDirRefusesOtherOwner(t *testing.T) {
	if os.Getuid() != 0 {
		interop.Missing(t, "needs root to give a directory to another user")
	}
	for _, mode := range []os.FileMode{0o700, 0o777, 0o777 | os.ModeSticky} {
		dir := filepath.Join(t.TempDir(), "kagi")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, 65534, 65534); err != nil {
			interop.Missing(t, "chown: "+err.Error())
		}
		_, err := cache.OpenDir(dir)
		var ue *cache.UnsafeDirError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "owned by uid 65534") {
			t.Fatalf("OpenDir of another user's %v directory: %v", mode, err)
		}
		if strings.Contains(ue.Hint(), "chmod") {
			t.Errorf("hint %q asks for a chmod the victim cannot make", ue.Hint())
		}
	}
}

// A writer killed between creating its temporary file and the rename leaves
// live credentials in it. Writers hold the key's lock, so whoever takes the
// lock next (the next writer) removes them, whatever their age; another
// key's are left to their own writer.
func TestDirStoreLockRemovesDeadWritersTemps(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	other := strings.Repeat("0", 63) + "b"
	dead := filepath.Join(s.Dir(), "."+key1+".json.tmp4242")
	alive := filepath.Join(s.Dir(), "."+other+".json.tmp4343")
	for _, p := range []string{dead, alive} {
		if err := os.WriteFile(p, []byte(`{"secret_access_key":"live"}`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	unlock, err := s.Lock(ctx, key1)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if _, err := os.Stat(dead); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a dead writer's temporary file survived the next Lock: %v", err)
	}
	if _, err := os.Stat(alive); err != nil {
		t.Errorf("another key's temporary file was removed: %v", err)
	}
	if err := s.Put(ctx, key1, testEntry(time.Now().Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	for _, n := range names(t, s.Dir()) {
		if strings.HasPrefix(n, "."+key1) {
			t.Errorf("left behind: %s", n)
		}
	}
}

// The keyring store's lock directory is checked like a cache directory:
// another user's link or directory there is refused, and "" means no locks.
func TestKeyringStoreLockDir(t *testing.T) {
	ctx := context.Background()
	base := t.TempDir()
	target := filepath.Join(base, "elsewhere")
	if err := os.Mkdir(target, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(base, "locks")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := cache.CheckLockDir(link); err == nil || !strings.Contains(err.Error(), "refusing lock directory") {
		t.Errorf("CheckLockDir of a symlink: %v", err)
	}
	s := cache.NewKeyringStore(newFakeKeyring(), link, errMissing)
	if u, err := s.Lock(ctx, key1); err == nil {
		u()
		t.Error("Lock through a symlinked lock directory")
	}
	if got := names(t, target); len(got) != 0 {
		t.Errorf("lock files written through the symlink: %q", got)
	}

	none := cache.NewKeyringStore(newFakeKeyring(), "", errMissing)
	u1, err := none.Lock(ctx, key1)
	if err != nil {
		t.Fatal(err)
	}
	u2, err := none.Lock(ctx, key1) // no lock: does not wait
	if err != nil {
		t.Fatal(err)
	}
	u1()
	u2()
	if err := none.Put(ctx, key1, testEntry(time.Now().Add(-time.Hour))); err != nil {
		t.Fatal(err)
	}
	if n, err := none.Prune(ctx, time.Now()); n != 0 || err != nil {
		t.Errorf("Prune without locks = %d, %v; want 0, nil", n, err)
	}
	if _, err := os.Stat("locks"); !errors.Is(err, os.ErrNotExist) {
		t.Error("a store without a lock directory made one in the working directory")
	}
}

// Prune also removes the lock files of keys with no live entry, unless
// their lock is held.
func TestKeyringStorePruneRemovesIdleLockFiles(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	dir := filepath.Join(t.TempDir(), "locks")
	s := cache.NewKeyringStore(newFakeKeyring(), dir, errMissing)
	live := strings.Repeat("0", 63) + "2"
	held := strings.Repeat("0", 63) + "3"
	if err := s.Put(ctx, live, testEntry(now.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{key1, live} {
		u, err := s.Lock(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		u()
	}
	u, err := s.Lock(ctx, held)
	if err != nil {
		t.Fatal(err)
	}
	defer u()
	if _, err := s.Prune(ctx, now); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(names(t, dir), " ")
	if want := live + ".lock " + held + ".lock"; got != want {
		t.Errorf("lock files after Prune: %s; want %s", got, want)
	}
}

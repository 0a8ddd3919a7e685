//go:build linux

package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/config"
)

func onTmpfs(path string) bool {
	var st unix.Statfs_t
	return unix.Statfs(path, &st) == nil && st.Type == unix.TMPFS_MAGIC
}

// diskDir is a fresh directory on persistent disk, or skips where the
// test's temporary directories are all on tmpfs.
func diskDir(t *testing.T) string {
	t.Helper()
	if d := t.TempDir(); !onTmpfs(d) {
		return d
	}
	d, err := os.MkdirTemp("/var/tmp", "kagi-disk-")
	if err != nil || onTmpfs(d) {
		t.Skip("no directory on persistent disk to test with")
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func shmTemp(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("/dev/shm", "kagi-cli-test-")
	if err != nil || !onTmpfs(d) {
		t.Skip("no tmpfs at /dev/shm")
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

type warned struct{ msgs []string }

func (w *warned) warn(m string) { w.msgs = append(w.msgs, m) }

// The default cache directory (XDG_RUNTIME_DIR/kagi, /dev/shm/kagi-UID) is
// a name another local user can take first: as a directory of theirs, as a
// symbolic link to persistent disk, or as anything this user cannot use.
// kagi must go on from the encrypted keyring, say so in one line, and
// write nothing where the name points.
func TestSquattedDefaultCacheFallsBackToKeyring(t *testing.T) {
	shm := shmTemp(t)
	disk := diskDir(t)
	for _, tc := range []struct {
		name  string
		plant func(dir string) (watch string)
	}{
		{"symlink to disk", func(dir string) string {
			target := filepath.Join(disk, "attacker")
			must(t, os.Mkdir(target, 0o777))
			must(t, os.Chmod(target, 0o777))
			must(t, os.Symlink(target, dir))
			return target
		}},
		{"directory open to all", func(dir string) string {
			must(t, os.Mkdir(dir, 0o777))
			must(t, os.Chmod(dir, 0o777))
			return dir
		}},
		{"a file", func(dir string) string {
			must(t, os.WriteFile(dir, nil, 0o644))
			return ""
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(shm, strings.ReplaceAll(tc.name, " ", "-"))
			watch := tc.plant(dir)
			locks := filepath.Join(t.TempDir(), "locks")
			var w warned
			s, err := chooseCache(cache.Location{Dir: dir}, locks, nil, w.warn, nil)
			if err != nil {
				t.Fatalf("a squatted default directory stopped kagi: %v", err)
			}
			if _, ok := s.(*cache.KeyringStore); !ok {
				t.Fatalf("store %T, want the keyring store", s)
			}
			if len(w.msgs) != 1 || !strings.Contains(w.msgs[0], "encrypted keyring") || !strings.Contains(w.msgs[0], dir) {
				t.Fatalf("warnings %q, want one naming %s and the keyring", w.msgs, dir)
			}
			if watch != "" {
				if des, _ := os.ReadDir(watch); len(des) != 0 {
					t.Fatalf("files written where the squatter points: %v", des)
				}
			}
			// The keyring store's locks work.
			u, err := s.Lock(context.Background(), strings.Repeat("a", 64))
			if err != nil {
				t.Fatal(err)
			}
			u()
		})
	}
}

// KAGI_CACHE_DIR is the user's own choice: on disk it is used, with a
// warning on every run; one that cannot be used is an error with a hint,
// not a silent move to the keyring.
func TestChosenCacheDir(t *testing.T) {
	disk := filepath.Join(diskDir(t), "kagi")
	var w warned
	s, err := chooseCache(cache.Location{Dir: disk, Chosen: true}, "", nil, w.warn, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ds, ok := s.(*cache.DirStore); !ok || ds.Dir() != disk {
		t.Fatalf("store %T, want the DirStore in %s", s, disk)
	}
	if len(w.msgs) != 1 || !strings.Contains(w.msgs[0], "not on tmpfs") || !strings.Contains(w.msgs[0], "KAGI_CACHE_DIR") {
		t.Fatalf("warnings %q, want one about KAGI_CACHE_DIR not on tmpfs", w.msgs)
	}

	w = warned{}
	mem := filepath.Join(shmTemp(t), "kagi")
	if _, err := chooseCache(cache.Location{Dir: mem, Chosen: true}, "", nil, w.warn, nil); err != nil || len(w.msgs) != 0 {
		t.Fatalf("KAGI_CACHE_DIR on tmpfs: %v, warnings %q", err, w.msgs)
	}

	open := filepath.Join(shmTemp(t), "open")
	must(t, os.Mkdir(open, 0o700))
	must(t, os.Chmod(open, 0o777))
	_, err = chooseCache(cache.Location{Dir: open, Chosen: true}, "", nil, w.warn, nil)
	var h hinter
	if err == nil || !errors.As(err, &h) || !strings.Contains(err.Error(), "KAGI_CACHE_DIR") {
		t.Fatalf("unusable KAGI_CACHE_DIR: %v, want an error with a hint", err)
	}
}

// A relative KAGI_CACHE_DIR, through the command line: exit 1, one error
// line and the fix; no directory made.
func TestRelativeKagiCacheDirIsAnError(t *testing.T) {
	home := t.TempDir()
	writeFile(t, filepath.Join(home, "config"), "[profile p]\nregion = us-east-1\n")
	io, _, errOut := testIO(map[string]string{
		"HOME":            home,
		"AWS_CONFIG_FILE": filepath.Join(home, "config"),
		"KAGI_CACHE_DIR":  "kagi-cache",
		"KAGI_BACKEND":    "file", "KAGI_FILE_PASSPHRASE": "x",
	})
	if code := Main(context.Background(), []string{"clear"}, io); code != ExitError {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, ExitError, errOut)
	}
	lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `kagi: error: KAGI_CACHE_DIR "kagi-cache" is a relative path`) || !strings.HasPrefix(lines[1], "kagi: hint: ") {
		t.Fatalf("stderr:\n%s", errOut)
	}
	if _, err := os.Stat("kagi-cache"); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a relative cache directory was made")
	}
}

// The lock directory of the keyring store is checked like a cache
// directory; when another user has it, kagi goes on without locks and
// says so, instead of failing.
func TestSquattedLockDirMeansNoLocks(t *testing.T) {
	shm := shmTemp(t)
	target := filepath.Join(diskDir(t), "attacker")
	must(t, os.Mkdir(target, 0o777))
	locks := filepath.Join(shm, "kagi-locks")
	must(t, os.Symlink(target, locks))
	var w warned
	s, err := chooseCache(cache.Location{}, locks, nil, w.warn, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.msgs) != 1 || !strings.Contains(w.msgs[0], "without cross-process locks") {
		t.Fatalf("warnings %q", w.msgs)
	}
	u, err := s.Lock(context.Background(), strings.Repeat("a", 64))
	if err != nil {
		t.Fatalf("Lock without a lock directory: %v", err)
	}
	u()
	if des, _ := os.ReadDir(target); len(des) != 0 {
		t.Fatalf("lock files written through the symlink: %v", des)
	}
}

func TestLockDir(t *testing.T) {
	tmp := filepath.Join(os.TempDir(), "kagi-"+strconv.Itoa(os.Getuid()))
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"XDG_CACHE_HOME": "/c", "HOME": "/h"}, "/c/kagi/locks"},
		{map[string]string{"HOME": "/h"}, "/h/.cache/kagi/locks"},
		{map[string]string{"XDG_CACHE_HOME": "rel", "HOME": "/h"}, "/h/.cache/kagi/locks"},
		{map[string]string{}, tmp},
		{map[string]string{"HOME": "rel"}, tmp},
	} {
		if got := lockDir(config.MapEnv(tc.env)); got != tc.want {
			t.Errorf("lockDir(%v) = %q, want %q", tc.env, got, tc.want)
		}
	}
}

// Each distinct warning is printed once per run, as one line.
func TestWarnOncePerRun(t *testing.T) {
	var buf bytes.Buffer
	a := &app{io: &IO{Err: &buf}}
	a.warn("a")
	a.warn("b")
	a.warn("a")
	if got := buf.String(); got != "kagi: warning: a\nkagi: warning: b\n" {
		t.Fatalf("stderr %q", got)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

package cache_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kagi-cli/kagi/internal/cache"
)

func onTmpfs(path string) bool {
	var st unix.Statfs_t
	return unix.Statfs(path, &st) == nil && st.Type == unix.TMPFS_MAGIC
}

func TestRuntimeDir(t *testing.T) {
	type test struct {
		name   string
		env    map[string]string
		want   string
		chosen bool // KAGI_CACHE_DIR named it
		shm    bool // with the /dev/shm fallback
	}
	tests := []test{
		{name: "KAGI_CACHE_DIR wins", env: map[string]string{"KAGI_CACHE_DIR": "/x/y", "XDG_RUNTIME_DIR": "/dev/shm"}, want: "/x/y", chosen: true},
		{name: "KAGI_CACHE_DIR is cleaned", env: map[string]string{"KAGI_CACHE_DIR": "/x//y/"}, want: "/x/y", chosen: true},
		{name: "XDG missing", env: map[string]string{"XDG_RUNTIME_DIR": "/nonexistent/run/user/1000"}},
		{name: "XDG relative", env: map[string]string{"XDG_RUNTIME_DIR": "dev/shm"}},
		{name: "XDG empty", env: map[string]string{"XDG_RUNTIME_DIR": ""}},
		{name: "empty KAGI_CACHE_DIR is unset", env: map[string]string{"KAGI_CACHE_DIR": ""}},
		{name: "nothing"},
	}
	// Real directories: /dev/shm is tmpfs on most Linux systems, and a
	// test's temporary directory usually is not.
	if onTmpfs("/dev/shm") {
		tests = append(tests,
			test{name: "XDG on tmpfs", env: map[string]string{"XDG_RUNTIME_DIR": "/dev/shm"}, want: "/dev/shm/kagi"},
			test{name: "no XDG: /dev/shm/kagi-UID", shm: true, want: fmt.Sprintf("/dev/shm/kagi-%d", os.Getuid())},
			test{name: "XDG on tmpfs beats /dev/shm", shm: true, env: map[string]string{"XDG_RUNTIME_DIR": "/dev/shm"}, want: "/dev/shm/kagi"},
		)
	} else {
		t.Log("/dev/shm is not tmpfs here; not testing the tmpfs case")
	}
	if disk := t.TempDir(); !onTmpfs(disk) {
		tests = append(tests, test{name: "XDG on disk", env: map[string]string{"XDG_RUNTIME_DIR": disk}})
	}
	tmpfsFile := filepath.Join("/dev/shm", "no-such-dir")
	tests = append(tests, test{name: "XDG names nothing on tmpfs", env: map[string]string{"XDG_RUNTIME_DIR": tmpfsFile}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shm := ""
			if tt.shm {
				shm = "/dev/shm"
			}
			env := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			got, err := cache.RuntimeDirWithShm(env, shm)
			if want := (cache.Location{Dir: tt.want, Chosen: tt.chosen}); got != want || err != nil {
				t.Fatalf("RuntimeDir = %+v, %v; want %+v", got, err, want)
			}
		})
	}
}

// A relative KAGI_CACHE_DIR names another directory in every working
// directory: an error that says how to fix it, never a cache in ".".
func TestRuntimeDirRefusesRelativeKagiCacheDir(t *testing.T) {
	for _, d := range []string{"cache", "./kagi", "../x", "~/kagi"} {
		env := func(k string) (string, bool) {
			if k == "KAGI_CACHE_DIR" {
				return d, true
			}
			return "", false
		}
		loc, err := cache.RuntimeDirWithShm(env, "/dev/shm")
		var re *cache.RelativeDirError
		if !errors.As(err, &re) || loc.Dir != "" {
			t.Fatalf("KAGI_CACHE_DIR=%q: %+v, %v; want a RelativeDirError", d, loc, err)
		}
		if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, strconv.Quote(d)) || !strings.Contains(re.Hint(), "absolute path") {
			t.Errorf("KAGI_CACHE_DIR=%q: error %q, hint %q", d, msg, re.Hint())
		}
	}
}

// InMemory is taken from the directory opened: /dev/shm is tmpfs, a test's
// temporary directory usually is not.
func TestOpenDirInMemory(t *testing.T) {
	if d := shmDir(t); d != "" && onTmpfs(d) {
		s, err := cache.OpenDir(filepath.Join(d, "kagi"))
		if err != nil {
			t.Fatal(err)
		}
		if !s.InMemory() {
			t.Error("a directory on /dev/shm is not InMemory")
		}
	}
	if disk := t.TempDir(); !onTmpfs(disk) {
		s, err := cache.OpenDir(filepath.Join(disk, "kagi"))
		if err != nil {
			t.Fatal(err)
		}
		if s.InMemory() {
			t.Error("a directory on disk is InMemory")
		}
	}
}

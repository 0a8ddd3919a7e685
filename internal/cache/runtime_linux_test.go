package cache_test

import (
	"fmt"
	"os"
	"path/filepath"
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
		wantOK bool
		shm    bool // with the /dev/shm fallback
	}
	tests := []test{
		{name: "KAGI_CACHE_DIR wins", env: map[string]string{"KAGI_CACHE_DIR": "/x/y", "XDG_RUNTIME_DIR": "/dev/shm"}, want: "/x/y", wantOK: true},
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
			test{name: "XDG on tmpfs", env: map[string]string{"XDG_RUNTIME_DIR": "/dev/shm"}, want: "/dev/shm/kagi", wantOK: true},
			test{name: "no XDG: /dev/shm/kagi-UID", shm: true, want: fmt.Sprintf("/dev/shm/kagi-%d", os.Getuid()), wantOK: true},
			test{name: "XDG on tmpfs beats /dev/shm", shm: true, env: map[string]string{"XDG_RUNTIME_DIR": "/dev/shm"}, want: "/dev/shm/kagi", wantOK: true},
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
			if tt.shm {
				env := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
				got, ok := cache.RuntimeDirWithShm(env, "/dev/shm")
				if got != tt.want || ok != tt.wantOK {
					t.Fatalf("RuntimeDir = %q, %v; want %q, %v", got, ok, tt.want, tt.wantOK)
				}
				return
			}
			env := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			got, ok := cache.RuntimeDirWithShm(env, "")
			if got != tt.want || ok != tt.wantOK {
				t.Fatalf("RuntimeDir = %q, %v; want %q, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

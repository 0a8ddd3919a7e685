package cache_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kagi-cli/kagi/internal/cache"
)

// Where Windows keeps sealed entries. Paths are this system's absolute
// paths: filepath.IsAbs is the one Windows uses there.
func TestSealedDir(t *testing.T) {
	abs := func(parts ...string) string {
		return filepath.Join(append([]string{string(filepath.Separator) + "x"}, parts...)...)
	}
	for _, tc := range []struct {
		name   string
		env    map[string]string
		want   string
		chosen bool
	}{
		{"KAGI_CACHE_DIR wins", map[string]string{"KAGI_CACHE_DIR": abs("c"), "LOCALAPPDATA": abs("l")}, abs("c"), true},
		{"LOCALAPPDATA", map[string]string{"LOCALAPPDATA": abs("l"), "USERPROFILE": abs("u")}, abs("l", "kagi", "cache"), false},
		{"USERPROFILE without LOCALAPPDATA", map[string]string{"USERPROFILE": abs("u")}, abs("u", "AppData", "Local", "kagi", "cache"), false},
		{"relative LOCALAPPDATA is ignored", map[string]string{"LOCALAPPDATA": "l", "USERPROFILE": abs("u")}, abs("u", "AppData", "Local", "kagi", "cache"), false},
		{"XDG_RUNTIME_DIR is no Windows place", map[string]string{"XDG_RUNTIME_DIR": "/dev/shm"}, "", false},
		{"nothing", nil, "", false},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			env := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			got, err := cache.SealedDir(env)
			if want := (cache.Location{Dir: tc.want, Chosen: tc.chosen}); got != want || err != nil {
				t.Fatalf("SealedDir = %+v, %v; want %+v", got, err, want)
			}
		})
	}
	env := func(k string) (string, bool) {
		return map[string]string{"KAGI_CACHE_DIR": "cache"}[k], k == "KAGI_CACHE_DIR"
	}
	var re *cache.RelativeDirError
	if _, err := cache.SealedDir(env); !errors.As(err, &re) {
		t.Fatalf("a relative KAGI_CACHE_DIR: %v, want a RelativeDirError", err)
	}
}

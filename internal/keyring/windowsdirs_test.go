package keyring

import (
	"path/filepath"
	"strings"
	"testing"
)

// Where Windows keeps the file keyring and the key-id memory: under
// %LOCALAPPDATA% (per user, per machine, never roaming), not under a
// HOME that Windows does not set. Paths are this system's absolute paths:
// filepath.IsAbs is the one Windows uses there.
func TestWindowsDirs(t *testing.T) {
	root := string(filepath.Separator)
	l := filepath.Join(root, "Users", "me", "AppData", "Local")
	u := filepath.Join(root, "Users", "me")
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	for _, tc := range []struct {
		name          string
		env           map[string]string
		file, state   string // "" for none
		fileErrSubstr string
	}{
		{"LOCALAPPDATA", map[string]string{"LOCALAPPDATA": l, "USERPROFILE": u, "HOME": "/h"},
			filepath.Join(l, "kagi", "keyring"), filepath.Join(l, "kagi", "key-ids"), ""},
		{"USERPROFILE only", map[string]string{"USERPROFILE": u},
			filepath.Join(u, "AppData", "Local", "kagi", "keyring"), filepath.Join(u, "AppData", "Local", "kagi", "key-ids"), ""},
		{"relative LOCALAPPDATA is ignored", map[string]string{"LOCALAPPDATA": "rel", "USERPROFILE": u},
			filepath.Join(u, "AppData", "Local", "kagi", "keyring"), filepath.Join(u, "AppData", "Local", "kagi", "key-ids"), ""},
		{"XDG variables still win", map[string]string{"LOCALAPPDATA": l, "XDG_DATA_HOME": "/d", "XDG_STATE_HOME": "/s"},
			filepath.Join("/d", "kagi", "keyring"), filepath.Join("/s", "kagi", "key-ids"), ""},
		{"HOME alone is not Windows's", map[string]string{"HOME": "/h"}, "", "", "LOCALAPPDATA"},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			opts := Options{GOOS: "windows", Env: env(tc.env)}
			got, err := FileDir(opts)
			if tc.file == "" {
				if err == nil || !strings.Contains(err.Error(), tc.fileErrSubstr) {
					t.Errorf("FileDir = %q, %v; want an error naming %s", got, err, tc.fileErrSubstr)
				}
			} else if err != nil || got != tc.file {
				t.Errorf("FileDir = %q, %v; want %q", got, err, tc.file)
			}
			if got := stateDir(opts); got != tc.state {
				t.Errorf("stateDir = %q, want %q", got, tc.state)
			}
			if tc.state == "" {
				err := NewKeyIDs(opts).SetKeyID("p", "AKIAIOSFODNN7EXAMPLE")
				if err == nil || !strings.Contains(err.Error(), "LOCALAPPDATA is not set") {
					t.Errorf("SetKeyID without a state directory: %v", err)
				}
			}
		})
	}
}

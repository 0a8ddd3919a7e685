//go:build windows

package config

import (
	"path/filepath"
	"testing"
)

// Written for Windows and not run where kagi is developed: the default
// files are under USERPROFILE, whatever HOME says (Git Bash sets it).
func TestDefaultFilesUnderUserProfile(t *testing.T) {
	profile, home := t.TempDir(), t.TempDir()
	env := MapEnv(map[string]string{"USERPROFILE": profile, "HOME": home})
	for path, want := range map[string]string{
		defaultConfigPath:      filepath.Join(profile, ".aws", "config"),
		defaultCredentialsPath: filepath.Join(profile, ".aws", "credentials"),
		`~\.aws\config`:        filepath.Join(profile, ".aws", "config"),
	} {
		if got, err := ExpandPath(env, path); err != nil || got != want {
			t.Errorf("ExpandPath(%q) = %q, %v; want %q", path, got, err, want)
		}
	}
}

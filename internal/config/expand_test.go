package config

import (
	"path/filepath"
	"runtime"
	"testing"
)

// The shared files are where the AWS CLI and SDKs look on each system:
// ~ is HOME on Unix and USERPROFILE on Windows (HOMEDRIVE+HOMEPATH
// without it, as Python's expanduser), never HOME there.
func TestExpandPathPerSystem(t *testing.T) {
	win := map[string]string{"USERPROFILE": `C:\Users\alice`, "HOME": "/c/Users/alice-from-git-bash"}
	for _, tc := range []struct {
		goos string
		env  map[string]string
		path string
		want string
		err  string
	}{
		{"linux", map[string]string{"HOME": "/home/alice"}, defaultConfigPath, "/home/alice/.aws/config", ""},
		{"darwin", map[string]string{"HOME": "/Users/alice/"}, "~/.aws/credentials", "/Users/alice/.aws/credentials", ""},
		{"linux", map[string]string{"HOME": "/home/alice"}, "~", "/home/alice", ""},
		{"linux", map[string]string{"HOME": "/home/alice"}, "~bob/x", "~bob/x", ""},
		{"linux", map[string]string{"HOME": "/home/alice"}, `~\x`, `~\x`, ""}, // a file name on Unix
		{"linux", map[string]string{"HOME": "/home/alice"}, "/etc/aws", "/etc/aws", ""},
		{"linux", map[string]string{"USERPROFILE": `C:\Users\alice`}, "~/.aws/config", "", `cannot expand "~/.aws/config": HOME is not set`},

		{"windows", win, defaultConfigPath, `C:\Users\alice\.aws\config`, ""},
		{"windows", win, defaultCredentialsPath, `C:\Users\alice\.aws\credentials`, ""},
		{"windows", win, `~\.aws\config`, `C:\Users\alice\.aws\config`, ""},
		{"windows", win, "~", `C:\Users\alice`, ""},
		{"windows", map[string]string{"USERPROFILE": `C:\Users\alice\`}, "~/token", `C:\Users\alice\token`, ""},
		{"windows", map[string]string{"HOMEDRIVE": "D:", "HOMEPATH": `\home\alice`}, "~/.aws/config", `D:\home\alice\.aws\config`, ""},
		{"windows", win, `C:\aws\config`, `C:\aws\config`, ""},
		{"windows", win, `~bob\x`, `~bob\x`, ""},
		{"windows", map[string]string{"HOME": `C:\Users\alice`}, "~/.aws/config", "", `cannot expand "~/.aws/config": USERPROFILE is not set`},
		{"windows", map[string]string{"HOMEDRIVE": "D:"}, "~/x", "", `cannot expand "~/x": USERPROFILE is not set`},
	} {
		got, err := expandPath(tc.goos, MapEnv(tc.env), tc.path)
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && err.Error() != tc.err {
			t.Errorf("expandPath(%s, %v, %q) = %q, %v; want %q, %q", tc.goos, tc.env, tc.path, got, err, tc.want, tc.err)
		}
	}
}

// Load finds the default files under the home directory of this system.
func TestLoadDefaultFilesUnderThisSystemsHome(t *testing.T) {
	home := t.TempDir()
	env := map[string]string{"HOME": home}
	if runtime.GOOS == "windows" {
		env = map[string]string{"USERPROFILE": home}
	}
	p, err := ExpandPath(MapEnv(env), defaultConfigPath)
	if want := filepath.Join(home, ".aws", "config"); err != nil || p != want {
		t.Fatalf("ExpandPath(%q) = %q, %v; want %q", defaultConfigPath, p, err, want)
	}
}

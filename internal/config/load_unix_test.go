//go:build unix

package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/fsguard"
)

// loadWithin runs Load and fails the test if it has not returned by the
// deadline: a FIFO with no writer must not block it.
func loadWithin(t *testing.T, env map[string]string) (*Files, error) {
	t.Helper()
	type result struct {
		fs  *Files
		err error
	}
	done := make(chan result, 1)
	go func() {
		fs, err := Load(MapEnv(env))
		done <- result{fs, err}
	}()
	select {
	case r := <-done:
		return r.fs, r.err
	case <-time.After(10 * time.Second):
		t.Fatalf("Load(%v) still running after 10s", env)
		return nil, nil
	}
}

// TestLoadRefusesWhatIsNotAFile: AWS_CONFIG_FILE=/dev/zero used to read
// until memory ran out, and a FIFO blocked until a writer came.
func TestLoadRefusesWhatIsNotAFile(t *testing.T) {
	home := t.TempDir()
	fifo := filepath.Join(home, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(home, "big")
	writeFile(t, big, "")
	if err := os.Truncate(big, fsguard.MaxConfig+1); err != nil { // sparse: costs no disk
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(home, ".aws", "credentials"), "")
	if err := os.Remove(filepath.Join(home, ".aws", "credentials")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(fifo, filepath.Join(home, ".aws", "credentials")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"HOME": t.TempDir(), "AWS_CONFIG_FILE": "/dev/zero"}, "AWS_CONFIG_FILE: /dev/zero is a character device, not a regular file"},
		{map[string]string{"HOME": t.TempDir(), "AWS_CONFIG_FILE": fifo}, "AWS_CONFIG_FILE: " + fifo + " is a FIFO, not a regular file"},
		{map[string]string{"HOME": t.TempDir(), "AWS_SHARED_CREDENTIALS_FILE": "/dev/zero"}, "AWS_SHARED_CREDENTIALS_FILE: /dev/zero is a character device, not a regular file"},
		{map[string]string{"HOME": home}, "credentials file: " + filepath.Join(home, ".aws", "credentials") + " is a FIFO, not a regular file"},
		{map[string]string{"HOME": t.TempDir(), "AWS_CONFIG_FILE": big}, "AWS_CONFIG_FILE: " + big + " is larger than 16 MiB, more than such a file can hold"},
	} {
		_, err := loadWithin(t, tc.env)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Load(%v) = %v, want %s", tc.env, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("error of more than one line: %q", err)
		}
	}
}

// TestLoadDevNullIsEmpty: ~/.aws/credentials -> /dev/null is how people
// switch the file off; it reads as empty, as it does to the AWS CLI.
func TestLoadDevNullIsEmpty(t *testing.T) {
	home := t.TempDir()
	writeFile(t, filepath.Join(home, ".aws", "config"), "[profile a]\nregion = x\n")
	if err := os.Symlink(os.DevNull, filepath.Join(home, ".aws", "credentials")); err != nil {
		t.Fatal(err)
	}
	for _, env := range []map[string]string{
		{"HOME": home},
		{"HOME": home, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_CONFIG_FILE": os.DevNull},
	} {
		fs, err := loadWithin(t, env)
		if err != nil {
			t.Errorf("Load(%v): %v", env, err)
			continue
		}
		if len(fs.Credentials.Sections) != 0 {
			t.Errorf("Load(%v): /dev/null has sections", env)
		}
	}
}

// TestLoadRefusesFilesOthersCanWrite: another user who can append to the
// config could make this user run their credential_process.
func TestLoadRefusesFilesOthersCanWrite(t *testing.T) {
	home := t.TempDir()
	cfg := filepath.Join(home, ".aws", "config")
	creds := filepath.Join(home, ".aws", "credentials")
	writeFile(t, cfg, "[profile a]\ncredential_process = ./x\n")
	writeFile(t, creds, "[a]\n")
	for _, tc := range []struct {
		file    string
		mode    os.FileMode
		env     map[string]string
		refused string // the error, or "" when the file is used
	}{
		{cfg, 0o644, map[string]string{"HOME": home}, ""},
		{cfg, 0o600, map[string]string{"HOME": home}, ""},
		{cfg, 0o666, map[string]string{"HOME": home}, "refusing config file " + cfg + ": it is writable by every user"},
		{cfg, 0o664, map[string]string{"HOME": home}, "refusing config file " + cfg + ": it is writable by its group"},
		{cfg, 0o646, map[string]string{"HOME": home, "AWS_CONFIG_FILE": cfg}, "refusing AWS_CONFIG_FILE " + cfg + ": it is writable by every user"},
		{creds, 0o620, map[string]string{"HOME": home}, "refusing credentials file " + creds + ": it is writable by its group"},
	} {
		if tc.mode&0o022 == 0o020 && !groupShared(t, tc.file) {
			continue
		}
		if err := os.Chmod(tc.file, tc.mode); err != nil {
			t.Fatal(err)
		}
		_, err := Load(MapEnv(tc.env))
		switch {
		case tc.refused == "" && err != nil:
			t.Errorf("%s at %v: %v", filepath.Base(tc.file), tc.mode, err)
		case tc.refused != "" && (err == nil || err.Error() != tc.refused):
			t.Errorf("%s at %v: got %v, want %s", filepath.Base(tc.file), tc.mode, err, tc.refused)
		case tc.refused != "":
			var we *fsguard.WritableError
			if !errors.As(err, &we) || !strings.Contains(we.Hint(), `chmod go-w "`+tc.file+`"`) {
				t.Errorf("%s at %v: no chmod hint in %v", filepath.Base(tc.file), tc.mode, err)
			}
		}
		os.Chmod(tc.file, 0o600)
	}
}

// TestLoadRefusesAConfigOwnedByAnotherUser: as root (CI), a config owned
// by another user is theirs to change, and so refused like a writable one.
func TestLoadRefusesAConfigOwnedByAnotherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a file away")
	}
	home := t.TempDir()
	cfg := filepath.Join(home, ".aws", "config")
	writeFile(t, cfg, "[profile a]\n")
	if err := os.Chown(cfg, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	_, err := Load(MapEnv(map[string]string{"HOME": home}))
	var we *fsguard.WritableError
	if !errors.As(err, &we) || err.Error() != "refusing config file "+cfg+": it is owned by uid 4242, not by you (uid 0) or root" {
		t.Fatalf("got %v", err)
	}
}

// groupShared gives path a group other than this user's private group, so
// that group-writable means writable by another user; false when this user
// has no such group.
func groupShared(t *testing.T, path string) bool {
	gids, _ := os.Getgroups()
	if os.Getuid() == 0 {
		gids = append([]int{65534}, gids...)
	}
	for _, g := range gids {
		if !fsguard.PrivateGroup(g) {
			if err := os.Chown(path, -1, g); err != nil {
				t.Fatal(err)
			}
			return true
		}
	}
	t.Logf("no group for %s but this user's private one: its group-writable case is not checked", path)
	return false
}

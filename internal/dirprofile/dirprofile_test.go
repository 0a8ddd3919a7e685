package dirprofile

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kagi-cli/kagi/internal/fsguard"
)

func write(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func TestFindWalksUpToHome(t *testing.T) {
	root := t.TempDir()
	home := filepath.Join(root, "home")
	deep := filepath.Join(home, "src", "infra", "modules", "vpc")
	if err := os.MkdirAll(deep, 0o700); err != nil {
		t.Fatal(err)
	}

	// None anywhere.
	if f, err := Find(deep, home); f != nil || err != nil {
		t.Fatalf("no file: %+v, %v", f, err)
	}
	// One above home is not looked at.
	write(t, filepath.Join(root, FileName), "above\n", 0o600)
	if f, err := Find(deep, home); f != nil || err != nil {
		t.Fatalf("file above home: %+v, %v", f, err)
	}
	// But it is outside home, walking up to the root.
	outside := filepath.Join(root, "srv", "x")
	if err := os.MkdirAll(outside, 0o700); err != nil {
		t.Fatal(err)
	}
	if f, err := Find(outside, home); err != nil || f == nil || f.Profile != "above" {
		t.Fatalf("outside home: %+v, %v", f, err)
	}
	// In home itself.
	write(t, filepath.Join(home, FileName), "# default for my work\n\n  dev  \n", 0o600)
	if f, err := Find(deep, home); err != nil || f == nil || f.Profile != "dev" || f.Path != filepath.Join(home, FileName) {
		t.Fatalf("home's: %+v, %v", f, err)
	}
	// The nearest wins.
	write(t, filepath.Join(home, "src", "infra", FileName), "\ufeffprod\r\n", 0o600)
	if f, err := Find(deep, home); err != nil || f == nil || f.Profile != "prod" {
		t.Fatalf("nearest: %+v, %v", f, err)
	}
	// Without HOME: up to the root.
	if f, err := Find(deep, ""); err != nil || f == nil || f.Profile != "prod" {
		t.Fatalf("no home: %+v, %v", f, err)
	}
}

func TestFindRefusesWhatItCannotUse(t *testing.T) {
	home := t.TempDir()
	dir := filepath.Join(home, "p")
	for _, tc := range []struct {
		content string
		want    string
	}{
		{"", "names no profile"},
		{"# only a comment\n", "names no profile"},
		{"two words\n", `"two words" is not a profile name`},
		{"two words # a comment\n", `"two words" is not a profile name`},
		{"[profile prod]\n", "is not a profile name"},
	} {
		write(t, filepath.Join(dir, FileName), tc.content, 0o600)
		_, err := Find(dir, home)
		var fe *FileError
		if !errors.As(err, &fe) || fe.Problem == "" || !contains(err.Error(), tc.want) || fe.Hint() == "" {
			t.Errorf("%q: %v, want %q", tc.content, err, tc.want)
		}
	}
	// A broken nearest file is not passed over for one further up.
	write(t, filepath.Join(home, FileName), "dev\n", 0o600)
	if f, err := Find(dir, home); err == nil {
		t.Errorf("broken nearest file passed over: %+v", f)
	}
	if runtime.GOOS == "windows" {
		return
	}
	// Writable by others: another user could choose the profile.
	write(t, filepath.Join(dir, FileName), "prod\n", 0o666)
	var we *fsguard.WritableError
	if _, err := Find(dir, home); !errors.As(err, &we) {
		t.Errorf("world-writable file: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, FileName)); err != nil {
		t.Fatal(err)
	}
	// A directory named .aws-profile is refused, not walked past.
	if err := os.Mkdir(filepath.Join(dir, FileName), 0o700); err != nil {
		t.Fatal(err)
	}
	var nr *fsguard.NotRegularError
	if _, err := Find(dir, home); !errors.As(err, &nr) {
		t.Errorf("directory: %v", err)
	}
	if _, err := Find("relative", home); err == nil {
		t.Error("relative directory accepted")
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// A '#' after white space starts an inline comment, as in the AWS config;
// one inside a word is part of it.
func TestParseInlineComments(t *testing.T) {
	for _, tc := range []struct{ content, want string }{
		{"dev  # the dev account\n", "dev"},
		{"dev\t# tab\n", "dev"},
		{"# which account\n  prod # the production account  \n", "prod"},
		{"\ufeffdev #\n", "dev"},
		{"dev#1\n", "dev#1"},
		{"dev\r\n", "dev"},
	} {
		got, err := parse(tc.content)
		if err != nil || got != tc.want {
			t.Errorf("parse(%q) = %q, %v; want %q", tc.content, got, err, tc.want)
		}
	}
}

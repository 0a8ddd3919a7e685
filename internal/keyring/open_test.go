package keyring_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kagi-cli/kagi/internal/keyring"
)

func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestOpenUnknownBackendListsTheValidOnes(t *testing.T) {
	_, err := keyring.Open(context.Background(), keyring.Options{Backend: "vault"})
	var ub *keyring.UnknownBackendError
	if !errors.As(err, &ub) || ub.Name != "vault" {
		t.Fatalf("Open(vault) = %v, want *UnknownBackendError", err)
	}
	for _, b := range keyring.Backends() {
		if !strings.Contains(err.Error(), b) {
			t.Errorf("error %q does not list %q", err, b)
		}
	}
}

func TestOpenDefault(t *testing.T) {
	home := t.TempDir()
	for _, tt := range []struct {
		name string
		opts keyring.Options
		want string
	}{
		{"linux without a session bus", keyring.Options{GOOS: "linux", Env: envMap(map[string]string{"HOME": home})}, "file"},
		{"linux with a dead session bus", keyring.Options{GOOS: "linux", Env: envMap(map[string]string{"HOME": home,
			"DBUS_SESSION_BUS_ADDRESS": "unix:path=" + filepath.Join(home, "no-such-socket")})}, "file"},
		{"freebsd", keyring.Options{GOOS: "freebsd", Env: envMap(map[string]string{"HOME": home})}, "file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			kr, err := keyring.Open(context.Background(), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if kr.Backend() != tt.want {
				t.Errorf("backend %q, want %q", kr.Backend(), tt.want)
			}
		})
	}
}

func TestFileDir(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts keyring.Options
		want string
	}{
		{"option", keyring.Options{FileDir: "/x/dir", Env: envMap(map[string]string{"KAGI_FILE_DIR": "/y", "HOME": "/h"})}, "/x/dir"},
		{"KAGI_FILE_DIR", keyring.Options{Env: envMap(map[string]string{"KAGI_FILE_DIR": "/y", "HOME": "/h"})}, "/y"},
		{"XDG_DATA_HOME", keyring.Options{Env: envMap(map[string]string{"XDG_DATA_HOME": "/d", "HOME": "/h"})}, "/d/kagi/keyring"},
		{"relative XDG_DATA_HOME is ignored", keyring.Options{Env: envMap(map[string]string{"XDG_DATA_HOME": "d", "HOME": "/h"})}, "/h/.local/share/kagi/keyring"},
		{"HOME", keyring.Options{Env: envMap(map[string]string{"HOME": "/h"})}, "/h/.local/share/kagi/keyring"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := keyring.FileDir(tt.opts)
			if err != nil || got != filepath.FromSlash(tt.want) {
				t.Errorf("FileDir = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := keyring.FileDir(keyring.Options{GOOS: "linux"}); err == nil {
		t.Error("FileDir without HOME succeeded")
	}
}

package keyring_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// hungBus is a socket that accepts connections and never answers, like a
// stuck dbus-daemon.
func hungBus(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bus")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Skipf("no unix sockets: %v", err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return "unix:path=" + path
}

func TestHungSessionBusDoesNotHang(t *testing.T) {
	addr := hungBus(t)
	env := envMap(map[string]string{"DBUS_SESSION_BUS_ADDRESS": addr, "HOME": t.TempDir()})

	start := time.Now()
	_, err := keyring.Open(context.Background(), keyring.Options{Backend: "secret-service", Env: env, Timeout: 200 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "no answer") {
		t.Errorf("Open(secret-service) on a hung bus = %v, want a no-answer error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Open(secret-service) took %v with a 200ms timeout", d)
	}

	start = time.Now()
	kr, err := keyring.Open(context.Background(), keyring.Options{GOOS: "linux", Env: env})
	if err != nil || kr.Backend() != "file" {
		t.Errorf("default on a hung bus = %v, %v; want the file backend", kr, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("choosing the default took %v on a hung bus", d)
	}

	// The caller's context ends the wait too.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start = time.Now()
	if _, err := keyring.Open(ctx, keyring.Options{Backend: "kwallet", Env: env}); err == nil {
		t.Error("Open(kwallet) on a hung bus succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Open(kwallet) took %v after its context ended", d)
	}
}

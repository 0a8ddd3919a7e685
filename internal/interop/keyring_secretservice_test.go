package interop

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/kagi-cli/kagi/internal/keyring"
	"github.com/kagi-cli/kagi/internal/keyring/keyringtest"
)

// secretServiceBus starts a private session bus and a gnome-keyring-daemon
// on it, its login keyring unlocked with a known password, and returns the
// bus address. Both stop when the test ends. Nothing of the user's own
// session or keyrings is touched: HOME and XDG_RUNTIME_DIR are fresh.
func secretServiceBus(t *testing.T) string {
	t.Helper()
	daemon := NeedTool(t, "dbus-daemon")
	gkd := NeedTool(t, "gnome-keyring-daemon")
	dir := t.TempDir()
	env := append(CleanEnv(t), "XDG_RUNTIME_DIR="+dir, "XDG_DATA_HOME="+filepath.Join(dir, "data"),
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "DISPLAY=", "WAYLAND_DISPLAY=")

	// A bus of our own, listening on a socket in the test's directory.
	config := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(config, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=`+filepath.Join(dir, "bus")+`</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`), 0o600); err != nil {
		t.Fatal(err)
	}
	bus := exec.Command(daemon, "--config-file="+config, "--nofork", "--print-address=1")
	bus.Env = env
	out, err := bus.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var busLog bytes.Buffer
	bus.Stderr = &busLog
	if err := bus.Start(); err != nil {
		t.Fatalf("start dbus-daemon: %v", err)
	}
	t.Cleanup(func() { stop(bus) })
	addrCh := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		addrCh <- strings.TrimSpace(line)
	}()
	var addr string
	select {
	case addr = <-addrCh:
	case <-time.After(10 * time.Second):
		t.Fatalf("dbus-daemon printed no address within 10s: %s", busLog.String())
	}
	if addr == "" {
		t.Fatalf("dbus-daemon printed no address: %s", busLog.String())
	}

	// --unlock reads the login keyring's password from stdin (creating the
	// keyring with it on first use); --foreground keeps the daemon ours.
	keyringd := exec.Command(gkd, "--foreground", "--unlock", "--components=secrets")
	keyringd.Env = append(env, "DBUS_SESSION_BUS_ADDRESS="+addr)
	keyringd.Stdin = strings.NewReader("kagi-test-password")
	var kdLog bytes.Buffer
	keyringd.Stdout, keyringd.Stderr = &kdLog, &kdLog
	if err := keyringd.Start(); err != nil {
		t.Fatalf("start gnome-keyring-daemon: %v", err)
	}
	t.Cleanup(func() { stop(keyringd) })

	// Poll (with a deadline) until the daemon owns the Secret Service name.
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connect to the test bus: %v", err)
	}
	defer conn.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var has bool
		if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.freedesktop.secrets").Store(&has); err != nil {
			t.Fatal(err)
		}
		if has {
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("gnome-keyring-daemon did not take org.freedesktop.secrets within 20s:\n%s", kdLog.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop ends a daemon this test started, by its own process.
func stop(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
}

func openSecretService(t *testing.T, addr string) keyring.Keyring {
	t.Helper()
	kr, err := keyring.Open(context.Background(), keyring.Options{
		Backend: keyring.BackendSecretService,
		Env: func(k string) (string, bool) {
			if k == "DBUS_SESSION_BUS_ADDRESS" {
				return addr, true
			}
			return "", false
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := kr.(interface{ Close() error }); ok {
		t.Cleanup(func() { c.Close() })
	}
	return kr
}

func TestSecretServiceConformance(t *testing.T) {
	addr := secretServiceBus(t)
	keyringtest.Run(t, func(t *testing.T) func() keyring.Keyring {
		return func() keyring.Keyring { return openSecretService(t, addr) }
	})
}

// TestSecretServiceDefaultAndSecretTool checks that Open picks the Secret
// Service when the session bus offers it, and that libsecret's own
// secret-tool reads what kagi stored and the other way round.
func TestSecretServiceDefaultAndSecretTool(t *testing.T) {
	addr := secretServiceBus(t)
	ctx := context.Background()
	kr, err := keyring.Open(ctx, keyring.Options{
		GOOS: "linux",
		Env: func(k string) (string, bool) {
			switch k {
			case "DBUS_SESSION_BUS_ADDRESS":
				return addr, true
			case "HOME":
				return t.TempDir(), true
			}
			return "", false
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if kr.Backend() != keyring.BackendSecretService {
		t.Fatalf("default backend with a Secret Service on the bus: %q", kr.Backend())
	}
	keys := keyring.AccessKeys{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	if err := keyring.SetKeys(ctx, kr, "prod", keys); err != nil {
		t.Fatal(err)
	}

	tool := NeedTool(t, "secret-tool")
	env := append(CleanEnv(t), "DBUS_SESSION_BUS_ADDRESS="+addr)
	lookup := exec.Command(tool, "lookup", "xdg:schema", "io.github.kagi-cli.kagi", "kagi.name", "keys:prod")
	lookup.Env = env
	got, err := lookup.Output()
	if err != nil {
		t.Fatalf("secret-tool lookup: %v", err)
	}
	if !strings.Contains(string(got), keys.SecretAccessKey) {
		t.Errorf("secret-tool read %d bytes without the stored secret", len(got))
	}

	store := exec.Command(tool, "store", "--label=by secret-tool", "xdg:schema", "io.github.kagi-cli.kagi", "kagi.name", "from-secret-tool")
	store.Env = env
	store.Stdin = strings.NewReader("written by libsecret")
	if out, err := store.CombinedOutput(); err != nil {
		t.Fatalf("secret-tool store: %v: %s", err, out)
	}
	data, err := kr.Get(ctx, "from-secret-tool")
	if err != nil || string(data) != "written by libsecret" {
		t.Errorf("Get of secret-tool's item = %q, %v", data, err)
	}
	if err := kr.Remove(ctx, "from-secret-tool"); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Get(ctx, "from-secret-tool"); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("Get after Remove: %v", err)
	}
}

package cli

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/keyring"
)

// sandbox is a throwaway directory for this package's tests, made by
// TestMain and removed after them. testIO gives each IO its own HOME, file
// keyring and cache directory inside it, so no test reaches the real
// cache (/dev/shm/kagi-UID, $XDG_RUNTIME_DIR/kagi), keyring or HOME, even
// one that forgets to set them (issue 9: TestListOutput read the real
// cache and failed where kagi is in daily use).
var sandbox string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	base := ""
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		base = "/dev/shm" // the cache belongs on tmpfs
	}
	dir, err := os.MkdirTemp(base, "kagi-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "cli tests: no sandbox:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	sandbox = dir
	// What reads the process's own environment (a command run without a
	// map, prompt.Choose with no Env) sees the sandbox too, and no session
	// bus: never the user's Secret Service or runtime directory.
	for k, v := range map[string]string{
		"HOME": dir, "XDG_RUNTIME_DIR": dir, "XDG_DATA_HOME": dir, "XDG_CACHE_HOME": dir, "XDG_CONFIG_HOME": dir,
		"KAGI_CACHE_DIR": dir + "/cache", "KAGI_BACKEND": "file", "KAGI_FILE_DIR": dir + "/keyring",
	} {
		os.Setenv(k, v)
	}
	for _, k := range []string{"DBUS_SESSION_BUS_ADDRESS", "KAGI_FILE_PASSPHRASE", "KAGI_MFA_TOKEN", "KAGI_PROMPT", "AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "PASSWORD_STORE_DIR"} {
		os.Unsetenv(k)
	}
	return m.Run()
}

// hermetic returns env with what it leaves unset pointed into a directory
// of its own in the sandbox: HOME, KAGI_CACHE_DIR and the file keyring
// (KAGI_BACKEND=file, KAGI_FILE_DIR). XDG_RUNTIME_DIR is never taken from
// the machine, nor DBUS_SESSION_BUS_ADDRESS: a map is all a test's IO sees.
func hermetic(env map[string]string) map[string]string {
	dir, err := os.MkdirTemp(sandbox, "io-")
	if err != nil {
		panic(fmt.Sprintf("cli tests: %v", err)) // the sandbox is gone: nothing can run
	}
	out := map[string]string{
		"HOME":           dir,
		"KAGI_CACHE_DIR": dir + "/cache",
		"KAGI_BACKEND":   "file",
		"KAGI_FILE_DIR":  dir + "/keyring",
	}
	for k, v := range env {
		out[k] = v
	}
	return out
}

// TestTestIOReachesNothingReal pins what testIO promises every test of this
// package, even one that names no store: its cache directory, file keyring
// and HOME are in the sandbox, and no session bus is reachable.
func TestTestIOReachesNothingReal(t *testing.T) {
	for _, env := range []map[string]string{nil, {"AWS_CONFIG_FILE": "/nonexistent/config"}} {
		io, _, _ := testIO(env)
		loc, err := cache.RuntimeDir(io.LookupEnv)
		if err != nil || !strings.HasPrefix(loc.Dir, sandbox+"/") {
			t.Errorf("cache directory %q (%v), want one in the sandbox %s", loc.Dir, err, sandbox)
		}
		kr, err := keyring.FileDir(keyring.Options{Env: io.LookupEnv})
		if err != nil || !strings.HasPrefix(kr, sandbox+"/") {
			t.Errorf("file keyring %q (%v), want one in the sandbox", kr, err)
		}
		if b, _ := io.LookupEnv("KAGI_BACKEND"); b != keyring.BackendFile {
			t.Errorf("KAGI_BACKEND=%q, want the file backend", b)
		}
		if h, _ := io.LookupEnv("HOME"); !strings.HasPrefix(h, sandbox+"/") {
			t.Errorf("HOME=%q, want one in the sandbox", h)
		}
		if _, ok := io.LookupEnv("DBUS_SESSION_BUS_ADDRESS"); ok {
			t.Error("the session bus is reachable")
		}
	}
}

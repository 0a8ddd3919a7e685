package keyring_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kagi-cli/kagi/internal/interop"
	"github.com/kagi-cli/kagi/internal/keyring"
	"github.com/kagi-cli/kagi/internal/keyring/keyringtest"
)

// keyctlChildEnv marks the test binary re-run inside a user namespace of
// its own; its value is the serial of the parent's user keyring.
const keyctlChildEnv = "KAGI_TEST_KEYCTL_USERNS_OF"

// TestKeyctlConformance runs the keyring suite on the keyctl backend as it
// ships (the user keyring, @u), but never on the user's real one: the test
// runs again in a new user namespace, where the kernel (5.3 and later)
// gives the same uid a user keyring of its own, empty and gone with the
// namespace. Where keyctl or user namespaces are forbidden (Docker's
// default seccomp profile forbids both) it skips, and fails under
// KAGI_INTEROP_REQUIRED=1 as the interop tests do: a green CI run means the
// backend was tested.
func TestKeyctlConformance(t *testing.T) {
	if parent, ok := os.LookupEnv(keyctlChildEnv); ok {
		keyctlSuite(t, parent)
		return
	}
	// Only the serial of the user keyring is looked up here, never its
	// contents: the child checks that its own is another keyring.
	ring, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_USER_KEYRING, false)
	if err != nil {
		interop.Missing(t, fmt.Sprintf("keyctl is not available here: %v", err))
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestKeyctlConformance$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), keyctlChildEnv+"="+strconv.Itoa(ring))
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: os.Getuid(), HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: os.Getgid(), HostID: os.Getgid(), Size: 1}},
	}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err != nil && !errors.As(err, &ee):
		interop.Missing(t, fmt.Sprintf("no user namespace to give the test a user keyring of its own: %v", err))
	case err != nil:
		t.Fatalf("keyctl suite in a user namespace: %v\n%s", err, out)
	case strings.Contains(string(out), "--- SKIP: TestKeyctlConformance"):
		interop.Missing(t, "keyctl in a user namespace: "+lastLine(string(out), "keyctl_linux_test.go"))
	case !strings.Contains(string(out), "--- PASS: TestKeyctlConformance"):
		t.Fatalf("the keyctl suite did not run in the user namespace:\n%s", out)
	}
	t.Logf("ran in a user namespace:\n%s", out)
}

func keyctlSuite(t *testing.T, parentRing string) {
	own, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_USER_KEYRING, true)
	if err != nil {
		t.Skipf("keyctl: %v", err)
	}
	if strconv.Itoa(own) == parentRing {
		t.Fatalf("the user keyring in the user namespace is the real one (%d): this kernel keeps one per uid, so the suite would write to it", own)
	}
	if _, err := keyring.Open(context.Background(), keyring.Options{Backend: keyring.BackendKeyctl}); err != nil {
		t.Skipf("keyctl not available here: %v", err)
	}
	keyringtest.Run(t, func(t *testing.T) func() keyring.Keyring {
		return func() keyring.Keyring {
			kr, err := keyring.Open(context.Background(), keyring.Options{Backend: keyring.BackendKeyctl})
			if err != nil {
				t.Fatal(err)
			}
			return kr
		}
	})
}

// lastLine is the last line of out that mentions where, trimmed.
func lastLine(out, where string) string {
	line := ""
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, where) {
			line = strings.TrimSpace(l)
		}
	}
	return line
}

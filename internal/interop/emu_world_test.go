package interop

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/awsemu"
)

// The emulator world the emu_*_test.go files share: alice with an MFA
// device, bob without one, and a role that requires MFA.
const (
	emuAliceKey    = "AKIAEXAMPLEALICE0001"
	emuAliceSecret = "alice-secret"
	emuAliceARN    = "arn:aws:iam::111111111111:user/alice"
	emuAliceSerial = "arn:aws:iam::111111111111:mfa/alice"
	emuBobKey      = "AKIAEXAMPLEBOB000001"
	emuBobSecret   = "bob-secret"
	emuAdminRole   = "arn:aws:iam::222222222222:role/admin"
)

const emuWorldJSON = `{
  "users": [
    {"account": "111111111111", "name": "alice",
     "access_keys": [{"id": "AKIAEXAMPLEALICE0001", "secret": "alice-secret"}],
     "mfa": {"serial": "arn:aws:iam::111111111111:mfa/alice", "totp_secret": "JBSWY3DPEHPK3PXP"}},
    {"account": "111111111111", "name": "bob",
     "access_keys": [{"id": "AKIAEXAMPLEBOB000001", "secret": "bob-secret"}]}
  ],
  "roles": [
    {"arn": "arn:aws:iam::222222222222:role/admin",
     "trust": {"principals": ["arn:aws:iam::111111111111:root"], "require_mfa": true},
     "max_session_duration": 3600}
  ]
}`

// writeEmuWorld writes the shared world into a temporary directory and
// returns the file's path.
func writeEmuWorld(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "world.json")
	if err := os.WriteFile(path, []byte(emuWorldJSON), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startEmu loads the shared world from a file and serves it on a loopback
// port until the test ends.
func startEmu(t testing.TB) (string, *awsemu.Server) {
	t.Helper()
	world, err := awsemu.LoadWorld(writeEmuWorld(t))
	if err != nil {
		t.Fatal(err)
	}
	srv := awsemu.New(world)
	url, stop, err := srv.Start(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return url, srv
}

// emuWrongCode is a six-digit code that alice's device shows at none of
// the steps the emulator accepts around now.
func emuWrongCode(t testing.TB) string {
	t.Helper()
	near := map[string]bool{}
	for _, d := range []time.Duration{-time.Minute, -30 * time.Second, 0, 30 * time.Second, time.Minute} {
		c, err := awsemu.TOTPCode("JBSWY3DPEHPK3PXP", time.Now().Add(d))
		if err != nil {
			t.Fatal(err)
		}
		near[c] = true
	}
	for _, c := range []string{"000000", "111111", "222222"} {
		if !near[c] {
			return c
		}
	}
	t.Fatal("no wrong code")
	return ""
}

// decodeJSON decodes a client's JSON output or fails the test, showing it.
func decodeJSON(t testing.TB, what string, out []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("%s: output is not JSON (%v):\n%s", what, err, out)
	}
}

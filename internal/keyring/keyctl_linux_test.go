package keyring_test

import (
	"context"
	"testing"

	"github.com/kagi-cli/kagi/internal/keyring"
	"github.com/kagi-cli/kagi/internal/keyring/keyringtest"
)

// The kernel keyring is the user's own; the suite only touches names it
// makes and removes them. Containers often forbid keyctl (Docker's
// default seccomp profile does), so a failing Open skips.
func TestKeyctlConformance(t *testing.T) {
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

package keyring_test

import (
	"testing"

	"github.com/kagi-cli/kagi/internal/keyring"
	"github.com/kagi-cli/kagi/internal/keyring/keyringtest"
)

// TestKeychainConformanceReal runs the conformance suite on the macOS
// keychain itself, in a temporary keychain file (KAGI_TEST_KEYCHAIN=1).
func TestKeychainConformanceReal(t *testing.T) {
	keyringtest.Run(t, func(t *testing.T) func() keyring.Keyring {
		return keyring.NewTempKeychainForTests(t)
	})
}

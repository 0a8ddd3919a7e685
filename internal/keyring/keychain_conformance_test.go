package keyring_test

import (
	"testing"

	"github.com/kagi-cli/kagi/internal/keyring"
	"github.com/kagi-cli/kagi/internal/keyring/keyringtest"
)

// TestKeychainConformance runs the conformance suite on the Keychain
// backend's logic over the fake keychain: every Keyring opened shares one
// fake, as processes share the login keychain.
func TestKeychainConformance(t *testing.T) {
	keyringtest.Run(t, func(t *testing.T) func() keyring.Keyring {
		return keyring.NewFakeKeychainForTests()
	})
}

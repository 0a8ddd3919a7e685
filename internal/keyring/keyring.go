// Package keyring stores long-term AWS keys (and, where no tmpfs runtime
// directory exists, kagi's cache of temporary credentials) in an encrypted
// store: the OS keyring or kagi's own encrypted file backend.
package keyring

import (
	"context"
	"errors"
	"fmt"
)

// ErrNotFound is returned by Get and Remove for an item that is not stored.
var ErrNotFound = errors.New("not in the keyring")

// Keyring is a store of small secret items by name.
//
// Contract, checked for every backend by the conformance suite:
//   - Get of a name never Set returns an error wrapping ErrNotFound.
//   - Set stores data under name, replacing what was there; after Set
//     returns, Get in this or any other process returns exactly data.
//   - Remove deletes name; removing a missing name wraps ErrNotFound.
//   - List returns every stored name (any order), none that was removed.
//   - Names are printable ASCII without '/' or spaces, at most 200 bytes.
//   - Every method returns by the time ctx is done (OS calls have timeouts).
//   - Data never reaches an error message or a log line.
type Keyring interface {
	Get(ctx context.Context, name string) ([]byte, error)
	Set(ctx context.Context, name string, data []byte) error
	Remove(ctx context.Context, name string) error
	List(ctx context.Context) ([]string, error)
	// Backend names the store ("file", "secret-service", ...), for messages.
	Backend() string
}

// MaxNameLen is the longest item name every backend accepts.
const MaxNameLen = 200

// ValidName reports whether name follows the rules of the Keyring contract.
func ValidName(name string) bool {
	if name == "" || len(name) > MaxNameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c > '~' || c == '/' {
			return false
		}
	}
	return true
}

// checkName is the error every backend returns for a name outside the rules.
func checkName(name string) error {
	if !ValidName(name) {
		return fmt.Errorf("invalid keyring item name %q (printable ASCII without '/' or spaces, at most %d bytes)", name, MaxNameLen)
	}
	return nil
}

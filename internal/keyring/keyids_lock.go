package keyring

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
)

// LockPath is the path of a lock file for an operation on profile's keys
// in this keyring (kagi rotate holds it for a whole rotation), beside the
// key-id memory: in the user's state directory, 0700, which it creates.
func (k *KeyIDs) LockPath(op, profile string) (string, error) {
	if k == nil || k.dir == "" {
		return "", fmt.Errorf("no state directory: %s is not set", k.unsetVar())
	}
	if err := os.MkdirAll(k.dir, 0o700); err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(k.scope + "\x00" + profile))
	return filepath.Join(k.dir, op+"-"+hex.EncodeToString(sum[:16])+".lock"), nil
}

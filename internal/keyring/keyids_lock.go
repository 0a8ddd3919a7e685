package keyring

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kagi-cli/kagi/internal/fsguard"
)

// UnsafeDirError is a state directory kagi will not put a lock in: a
// symbolic link, not a directory, or one another user can write (who
// could then hold the lock for ever, or plant it as a link). A lock there
// would protect nothing, so the operation that needs it must not run.
type UnsafeDirError struct {
	Dir string
	Err error
}

func (e *UnsafeDirError) Error() string {
	var w *fsguard.WritableError
	if errors.As(e.Err, &w) {
		return fmt.Sprintf("refusing the state directory %s for a lock: %s", e.Dir, w.Reason)
	}
	return fmt.Sprintf("refusing the state directory %s for a lock: %v", e.Dir, e.Err)
}
func (e *UnsafeDirError) Unwrap() error { return e.Err }

// Hint says how to make it safe.
func (e *UnsafeDirError) Hint() string {
	var w *fsguard.WritableError
	if errors.As(e.Err, &w) {
		return w.Hint()
	}
	return "make " + e.Dir + " a directory of your own, mode 0700 (or point XDG_STATE_HOME elsewhere)"
}

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
	fi, err := os.Lstat(k.dir)
	if err != nil {
		return "", err
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return "", &UnsafeDirError{Dir: k.dir, Err: errors.New("it is a symbolic link")}
	case !fi.IsDir():
		return "", &UnsafeDirError{Dir: k.dir, Err: errors.New("it is not a directory")}
	}
	if err := fsguard.CheckNotWritableInfo(k.dir, fi, "state directory"); err != nil {
		return "", &UnsafeDirError{Dir: k.dir, Err: err}
	}
	sum := sha256.Sum256([]byte(k.scope + "\x00" + profile))
	return filepath.Join(k.dir, op+"-"+hex.EncodeToString(sum[:16])+".lock"), nil
}

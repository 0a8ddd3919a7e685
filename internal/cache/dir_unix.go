//go:build unix

package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// UnsafeDirError refuses a cache or lock directory that other users could
// read, write or replace.
type UnsafeDirError struct {
	Dir    string
	Reason string
}

func (e *UnsafeDirError) Error() string {
	return fmt.Sprintf("refusing cache directory %q: %s", e.Dir, e.Reason)
}

// Hint says how to make the directory usable.
func (e *UnsafeDirError) Hint() string {
	return fmt.Sprintf("make %q yours with mode 0700 (chmod 700), or point KAGI_CACHE_DIR at a private directory on tmpfs", e.Dir)
}

// privateDir makes sure dir exists, is a directory, belongs to this user and
// is closed to everyone else. When it exists (the warm path) that is one
// stat(2).
func privateDir(dir string) error {
	if dir == "" {
		return errors.New("no cache directory given")
	}
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create cache directory: %w", err)
		}
		fi, err = os.Stat(dir)
	}
	if err != nil {
		return fmt.Errorf("cache directory: %w", err)
	}
	if !fi.IsDir() {
		return &UnsafeDirError{Dir: dir, Reason: "not a directory"}
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return &UnsafeDirError{Dir: dir, Reason: fmt.Sprintf("owned by uid %d, not by you (uid %d)", st.Uid, os.Getuid())}
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return &UnsafeDirError{Dir: dir, Reason: fmt.Sprintf("mode %04o lets other users in", perm)}
	}
	return nil
}

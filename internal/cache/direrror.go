package cache

import (
	"errors"
	"fmt"
	"path/filepath"
)

// cleanDirPath is the check every system makes of a cache or lock
// directory's name before opening it: given, absolute, and clean.
func cleanDirPath(dir string) (string, error) {
	if dir == "" {
		return "", errors.New("no cache directory given")
	}
	if !filepath.IsAbs(dir) {
		return "", fmt.Errorf("cache directory %q is not an absolute path", dir)
	}
	return filepath.Clean(dir), nil
}

// UnsafeDirError refuses a cache or lock directory that other users could
// read, write or replace, or that is not where it seems to be (a symbolic
// link, a junction).
type UnsafeDirError struct {
	Dir    string
	What   string // "cache directory" (when empty) or "lock directory"
	Reason string
	// Fix is what this user can do about it, when they can do it alone;
	// empty when the directory, or the name it is found under, belongs to
	// someone else.
	Fix string
}

func (e *UnsafeDirError) Error() string {
	what := e.What
	if what == "" {
		what = "cache directory"
	}
	return fmt.Sprintf("refusing %s %q: %s", what, e.Dir, e.Reason)
}

// Hint says how to make the directory usable, or what to use instead.
func (e *UnsafeDirError) Hint() string {
	if e.Fix != "" {
		return e.Fix + ", or " + privateDirAdvice
	}
	return fmt.Sprintf("%q is not yours to fix: %s, or ask an administrator to remove it", e.Dir, privateDirAdvice)
}

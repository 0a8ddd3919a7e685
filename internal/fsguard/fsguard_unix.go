//go:build unix

package fsguard

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

func openNoBlock(path string) (*os.File, error) {
	// O_NONBLOCK: opening a FIFO with no writer would block forever. It has
	// no effect on reads of a regular file.
	return os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK, 0)
}

// CheckNotWritable returns a *WritableError when a user other than this
// one and root can change path (following symlinks) or replace it: the file
// is owned by another user or writable by group or others, or a directory
// it is found through is (a sticky directory such as /tmp is fine: others
// cannot rename or remove what they do not own there). what names the file
// in the error ("config file").
func CheckNotWritable(path, what string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	return CheckNotWritableInfo(path, fi, what)
}

// CheckNotWritableInfo is CheckNotWritable for a file already opened and
// fstat-ed (fi); it still checks the directories on the way to it.
func CheckNotWritableInfo(path string, fi fs.FileInfo, what string) error {
	uid := os.Getuid()
	if reason := writableBy(fi, uid, false); reason != "" {
		return &WritableError{Path: path, What: what, Reason: "it " + reason, Fix: fix(path, fi, uid)}
	}
	// The directory of the name given (a symlink there can be replaced) and
	// of the file it resolves to.
	// A stat of the first follows links on the way to it; only a link as
	// the last element has a second directory, so the common case (no
	// link) costs one lstat rather than one per element of the path.
	dirs := []string{filepath.Dir(path)}
	if lfi, err := os.Lstat(path); err != nil || lfi.Mode()&fs.ModeSymlink != 0 {
		if real, err := filepath.EvalSymlinks(path); err == nil && filepath.Dir(real) != dirs[0] {
			dirs = append(dirs, filepath.Dir(real))
		}
	}
	for _, d := range dirs {
		dfi, err := os.Stat(d)
		if err != nil {
			return err
		}
		if reason := writableBy(dfi, uid, true); reason != "" {
			return &WritableError{Path: path, What: what, Reason: fmt.Sprintf("its directory %s %s", d, reason), Fix: fix(d, dfi, uid)}
		}
	}
	return nil
}

// writableBy says how users other than uid and root can write fi, or "".
func writableBy(fi fs.FileInfo, uid int, dir bool) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if ok && int(st.Uid) != uid && st.Uid != 0 {
		return fmt.Sprintf("is owned by uid %d, not by you (uid %d) or root", st.Uid, uid)
	}
	perm := fi.Mode()
	if dir && perm&fs.ModeSticky != 0 {
		return ""
	}
	switch {
	case perm&0o002 != 0:
		return "is writable by every user"
	case perm&0o020 != 0:
		return "is writable by its group"
	}
	return ""
}

func fix(path string, fi fs.FileInfo, uid int) string {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != uid && st.Uid != 0 {
		return fmt.Sprintf("make it yours (chown %d %q) or move it", uid, path)
	}
	return fmt.Sprintf("run: chmod go-w %q", path)
}

// IsNullDevice reports whether fi (from a stat that followed links) is the
// null device: /dev/null, or a node made with its device number. Reading it
// gives nothing, as an empty file does.
func IsNullDevice(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || fi.Mode()&fs.ModeCharDevice == 0 {
		return false
	}
	var null syscall.Stat_t
	if err := syscall.Stat(os.DevNull, &null); err != nil {
		return false
	}
	return null.Mode&syscall.S_IFMT == syscall.S_IFCHR && st.Rdev == null.Rdev
}

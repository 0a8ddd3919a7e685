//go:build unix

package fsguard

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
	case perm&0o020 != 0 && !(ok && privateGroup("/etc/passwd", "/etc/group", int(st.Gid), uid)):
		return "is writable by its group"
	}
	return ""
}

// PrivateGroup reports whether gid is this user's private group (see
// privateGroup): a file of that group that is group-writable is accepted.
func PrivateGroup(gid int) bool {
	return privateGroup("/etc/passwd", "/etc/group", gid, os.Getuid())
}

// privateGroup reports whether gid is uid's user private group: named as
// the user, the user's primary group, and no one else's, neither as a
// member nor as a primary group. Debian and Ubuntu give every user such a
// group and a umask of 002, so files made by hand are group-writable, yet
// no other user can write them; Debian's OpenSSH accepts them for the same
// reason. Only a file that is group-writable pays for reading the two
// files, and anything unreadable or unclear counts as not private.
func privateGroup(passwdPath, groupPath string, gid, uid int) bool {
	passwd, err := Read(passwdPath, MaxConfig)
	if err != nil {
		return false
	}
	group, err := Read(groupPath, MaxConfig)
	if err != nil {
		return false
	}
	name := ""
	for _, line := range strings.Split(string(passwd), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 4 {
			continue
		}
		u, errU := strconv.Atoi(f[2])
		g, errG := strconv.Atoi(f[3])
		if errU != nil || errG != nil {
			continue
		}
		switch {
		case u == uid && g == gid:
			name = f[0]
		case u == uid:
			return false // uid's primary group is another one
		case g == gid:
			return false // another user's primary group too
		}
	}
	if name == "" {
		return false
	}
	for _, line := range strings.Split(string(group), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 4 {
			continue
		}
		if g, err := strconv.Atoi(f[2]); err != nil || g != gid {
			continue
		}
		if f[0] != name {
			return false
		}
		for _, m := range strings.Split(strings.TrimSpace(f[3]), ",") {
			if m != "" && m != name {
				return false
			}
		}
		return true
	}
	return false
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

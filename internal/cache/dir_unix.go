//go:build unix

package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// privateDirAdvice ends the hint of an *UnsafeDirError.
const privateDirAdvice = "point KAGI_CACHE_DIR at a private directory on tmpfs"

// openPrivateDir makes sure dir exists (creating it 0700), and checks the
// directory actually opened, never following a symbolic link at its last
// component: it must belong to this user, be closed to group and others,
// and sit in a parent directory where no other user can rename it away or
// replace it (one owned by this user or root, and sticky if others may write
// it, as /tmp and /dev/shm are). It reports whether the directory is in
// memory (tmpfs): a caller decides what a cache on disk means.
//
// On the warm path (the directory exists) this is open, fstat, fstatfs,
// close and one stat of the parent: no process, no read.
func openPrivateDir(dir string) (inMemory bool, err error) {
	dir, err = cleanDirPath(dir)
	if err != nil {
		return false, err
	}
	fd, err := openDirNoFollow(dir)
	if errors.Is(err, unix.ENOENT) {
		if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
			return false, fmt.Errorf("create cache directory: %w", err)
		}
		// EEXIST: someone made it between the open and now; what they made
		// is checked below like anything else.
		if err := unix.Mkdir(dir, 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
			return false, fmt.Errorf("create cache directory %q: %w", dir, err)
		}
		fd, err = openDirNoFollow(dir)
	}
	switch {
	case errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR):
		// Linux says ENOTDIR for a symbolic link opened with O_DIRECTORY
		// and O_NOFOLLOW, other systems ELOOP: look at what is there.
		var st unix.Stat_t
		if unix.Lstat(dir, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
			e := &UnsafeDirError{Dir: dir, Reason: "it is a symbolic link" + linkTarget(dir) + ", and kagi never follows one to its cache"}
			if int(st.Uid) == os.Getuid() {
				e.Fix = fmt.Sprintf("name the directory itself (readlink -f %q)", dir)
			}
			return false, e
		}
		e := &UnsafeDirError{Dir: dir, Reason: "not a directory"}
		if ownedByMe(dir) {
			e.Fix = fmt.Sprintf("move %q out of the way", dir)
		}
		return false, e
	case err != nil:
		return false, fmt.Errorf("cache directory %q: %w", dir, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return false, fmt.Errorf("cache directory %q: %w", dir, err)
	}
	if int(st.Uid) != os.Getuid() {
		return false, &UnsafeDirError{Dir: dir, Reason: fmt.Sprintf("owned by uid %d, not by you (uid %d)", st.Uid, os.Getuid())}
	}
	if perm := st.Mode & 0o7777; perm&0o077 != 0 {
		return false, &UnsafeDirError{Dir: dir, Reason: fmt.Sprintf("mode %04o lets other users in", perm), Fix: fmt.Sprintf("make it private (chmod 700 %q)", dir)}
	}
	if err := checkParent(dir); err != nil {
		return false, err
	}
	return fdInMemory(fd), nil
}

func openDirNoFollow(dir string) (int, error) {
	for {
		fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// checkParent refuses a directory whose parent lets another user rename it
// and put something else (a symbolic link to disk) in its place between
// this check and a later write.
func checkParent(dir string) error {
	parent := filepath.Dir(dir)
	var st unix.Stat_t
	if err := unix.Stat(parent, &st); err != nil {
		return fmt.Errorf("cache directory %q: %w", dir, err)
	}
	uid := os.Getuid()
	if int(st.Uid) != uid && st.Uid != 0 {
		return &UnsafeDirError{Dir: dir, Reason: fmt.Sprintf("its parent %q is owned by uid %d, who could replace it", parent, st.Uid)}
	}
	if st.Mode&0o022 != 0 && st.Mode&unix.S_ISVTX == 0 {
		e := &UnsafeDirError{Dir: dir, Reason: fmt.Sprintf("its parent %q is writable by other users and not sticky, so they could replace it", parent)}
		if int(st.Uid) == uid {
			e.Fix = fmt.Sprintf("chmod go-w %q", parent)
		}
		return e
	}
	return nil
}

func linkTarget(path string) string {
	if to, err := os.Readlink(path); err == nil {
		return fmt.Sprintf(" to %q", to)
	}
	return ""
}

func ownedByMe(path string) bool {
	var st unix.Stat_t
	return unix.Lstat(path, &st) == nil && int(st.Uid) == os.Getuid()
}

// unreadable reports whether a read error means the entry itself is bad
// (and can be deleted) rather than the system being short of something.
func unreadable(err error) bool {
	return errors.Is(err, errTooBig) || errors.Is(err, unix.ELOOP) || errors.Is(err, unix.EISDIR) ||
		errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.ENXIO)
}

// readSmall reads a file of at most maxEntrySize bytes with raw system
// calls; os.Open would also register the file with the runtime poller.
func readSmall(path string) ([]byte, error) {
	var fd int
	var err error
	for {
		fd, err = unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	buf := make([]byte, 4096)
	n := 0
	for {
		m, err := unix.Read(fd, buf[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if m == 0 {
			return buf[:n], nil
		}
		n += m
		if n == len(buf) {
			if len(buf) >= maxEntrySize {
				return nil, &fs.PathError{Op: "read", Path: path, Err: errTooBig}
			}
			buf = append(buf, make([]byte, len(buf))...)
		}
	}
}

// notDir reports whether err says a component of a path is not a
// directory: the file cannot exist.
func notDir(err error) bool { return errors.Is(err, unix.ENOTDIR) }

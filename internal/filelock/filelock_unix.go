//go:build unix

package filelock

import (
	"errors"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// File is an open lock file. flock(2) locks belong to an open file
// description, so two opens in one process exclude each other just as two
// processes do. Raw system calls: os.OpenFile would also register the
// file with the runtime poller.
type File struct {
	fd   int
	path string
	once sync.Once
}

func open(path string) (*File, error) {
	for {
		fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0o600)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &File{fd: fd, path: path}, nil
	}
}

func (f *File) tryLock() (bool, error) {
	for {
		err := unix.Flock(f.fd, unix.LOCK_EX|unix.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, unix.EWOULDBLOCK):
			return false, nil
		case err != unix.EINTR:
			return false, err
		}
	}
}

// current reports whether f is still the file at path: a holder may have
// unlinked it while this one waited, and a lock on an unlinked inode
// excludes nobody.
func (f *File) current(path string) bool {
	var a, b unix.Stat_t
	if unix.Fstat(f.fd, &a) != nil || unix.Stat(path, &b) != nil {
		return false
	}
	return a.Dev == b.Dev && a.Ino == b.Ino
}

// close releases by closing: closing the only descriptor of the open file
// description drops the flock.
func (f *File) close() { unix.Close(f.fd) }

// closeAndRemove unlinks the file while still holding it: a waiter that
// opened it before notices (see current) and takes a fresh one.
func (f *File) closeAndRemove() {
	os.Remove(f.path)
	f.close()
}

//go:build windows

package filelock

import (
	"errors"
	"os"
	"sync"

	"golang.org/x/sys/windows"
)

// File is an open lock file. LockFileEx locks belong to a handle, so two
// opens in one process exclude each other just as two processes do.
// Windows releases the locks of a process that ends, however it ends.
type File struct {
	h    windows.Handle
	path string
	held bool
	once sync.Once
}

// open opens path without FILE_SHARE_DELETE: no one can remove or rename
// a lock file while anyone has it open, so a lock held is always the lock
// of the file at path (current needs no check), and FILE_FLAG_OPEN_REPARSE_POINT
// keeps it from following a link planted under the name.
func open(path string) (*File, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, err
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ|windows.GENERIC_WRITE,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE, nil, windows.OPEN_ALWAYS,
		windows.FILE_ATTRIBUTE_NORMAL|windows.FILE_FLAG_OPEN_REPARSE_POINT, 0)
	if err != nil {
		return nil, err
	}
	return &File{h: h, path: path}, nil
}

func (f *File) tryLock() (bool, error) {
	ol := new(windows.Overlapped)
	err := windows.LockFileEx(f.h, windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	switch {
	case err == nil:
		f.held = true
		return true, nil
	case errors.Is(err, windows.ERROR_LOCK_VIOLATION) || errors.Is(err, windows.ERROR_IO_PENDING):
		return false, nil
	}
	return false, err
}

// current is always true: see open.
func (f *File) current(string) bool { return true }

// close unlocks before closing: Windows drops the locks of a closed handle
// too, but "the time it takes ... depends upon available system resources"
// (LockFileEx's documentation), and a waiter should not wait for that.
func (f *File) close() {
	if f.held {
		windows.UnlockFileEx(f.h, 0, 1, 0, new(windows.Overlapped))
	}
	windows.CloseHandle(f.h)
}

// closeAndRemove releases, then removes: an open file cannot be removed on
// Windows. A waiter that opened it in between keeps it in place (the
// removal fails, and the waiter's lock is the lock of the file at path);
// one that opens it after the removal creates a new one.
func (f *File) closeAndRemove() {
	f.close()
	os.Remove(f.path)
}

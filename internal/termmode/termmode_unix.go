//go:build aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || zos

// Package termmode changes a terminal's mode and gives back what restores
// it: the hidden passphrase prompt (echo off) and the picker (raw input)
// share it.
package termmode

import (
	"os"

	"golang.org/x/sys/unix"
)

// Set applies change to f's termios and returns what puts the old one
// back. It works through SyscallConn, never Fd, so f stays non-blocking
// and a pending read ends when f is closed.
func Set(f *os.File, change func(unix.Termios) unix.Termios) (restore func(), err error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var old *unix.Termios
	if cerr := rc.Control(func(fd uintptr) {
		old, err = unix.IoctlGetTermios(int(fd), ioctlGetTermios)
		if err != nil {
			return
		}
		t := change(*old)
		err = unix.IoctlSetTermios(int(fd), ioctlSetTermios, &t)
	}); cerr != nil {
		return nil, cerr
	}
	if err != nil {
		return nil, err
	}
	return func() {
		_ = rc.Control(func(fd uintptr) { _ = unix.IoctlSetTermios(int(fd), ioctlSetTermios, old) })
	}, nil
}

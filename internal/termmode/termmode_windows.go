// Package termmode changes a console's mode and gives back what restores
// it: the hidden passphrase prompt (echo off) and the picker (raw input)
// share it.
package termmode

import (
	"os"

	"golang.org/x/sys/windows"
)

// Set applies change to f's console mode and returns what puts the old
// one back. It works through SyscallConn, so the handle stays owned by f.
func Set(f *os.File, change func(uint32) uint32) (restore func(), err error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var old uint32
	if cerr := rc.Control(func(fd uintptr) {
		if err = windows.GetConsoleMode(windows.Handle(fd), &old); err != nil {
			return
		}
		err = windows.SetConsoleMode(windows.Handle(fd), change(old))
	}); cerr != nil {
		return nil, cerr
	}
	if err != nil {
		return nil, err
	}
	return func() {
		_ = rc.Control(func(fd uintptr) { _ = windows.SetConsoleMode(windows.Handle(fd), old) })
	}, nil
}

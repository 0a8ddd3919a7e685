//go:build aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || zos

package cli

import (
	"os"

	"golang.org/x/sys/unix"
)

// echoOff turns off the echo of tty's input, as term.ReadPassword does
// (canonical mode and signals kept, so the line discipline edits the line
// and Ctrl-C still sends SIGINT), and returns what turns it back on. It
// works through SyscallConn, never Fd, so tty stays non-blocking and a
// pending read ends when it is closed.
func echoOff(tty *os.File) (restore func(), err error) {
	rc, err := tty.SyscallConn()
	if err != nil {
		return nil, err
	}
	var old *unix.Termios
	if cerr := rc.Control(func(fd uintptr) {
		old, err = unix.IoctlGetTermios(int(fd), ioctlGetTermios)
		if err != nil {
			return
		}
		t := *old
		t.Lflag &^= unix.ECHO
		t.Lflag |= unix.ICANON | unix.ISIG
		t.Iflag |= unix.ICRNL
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

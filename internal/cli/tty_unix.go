//go:build aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || zos

package cli

import (
	"os"

	"golang.org/x/sys/unix"

	"github.com/kagi-cli/kagi/internal/termmode"
)

// echoOff turns off the echo of tty's input, as term.ReadPassword does
// (canonical mode and signals kept, so the line discipline edits the line
// and Ctrl-C still sends SIGINT), and returns what turns it back on. It
// works through SyscallConn, never Fd, so tty stays non-blocking and a
// pending read ends when it is closed.
func echoOff(tty *os.File) (restore func(), err error) {
	return termmode.Set(tty, func(t unix.Termios) unix.Termios {
		t.Lflag &^= unix.ECHO
		t.Lflag |= unix.ICANON | unix.ISIG
		t.Iflag |= unix.ICRNL
		return t
	})
}

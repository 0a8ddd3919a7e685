//go:build aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || zos

package picker

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/kagi-cli/kagi/internal/termmode"
)

// makeRaw puts the terminal in raw mode (no echo, no line editing, each
// byte as it is typed, no signals from Ctrl-C, Ctrl-Z and Ctrl-\: they are
// keys to the picker, so a suspended or killed kagi never leaves the
// terminal raw) and returns what puts it back. Output processing is left
// as it is. It works through SyscallConn, never Fd, so the file stays
// non-blocking and a pending read ends when it is closed.
func makeRaw(in, _ *os.File) (restore func(), err error) {
	return termmode.Set(in, rawTermios)
}

// rawTermios is t with input raw: cfmakeraw's input and local flags,
// output flags untouched.
func rawTermios(t unix.Termios) unix.Termios {
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	return t
}

func size(f *os.File) (width, height int, err error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, 0, err
	}
	var ws *unix.Winsize
	if cerr := rc.Control(func(fd uintptr) { ws, err = unix.IoctlGetWinsize(int(fd), unix.TIOCGWINSZ) }); cerr != nil {
		return 0, 0, cerr
	}
	if err != nil {
		return 0, 0, err
	}
	return int(ws.Col), int(ws.Row), nil
}

// watchResize ticks on SIGWINCH.
func watchResize(func() (int, int)) (<-chan struct{}, func()) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGWINCH)
	out := make(chan struct{}, 1)
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-sig:
				select {
				case out <- struct{}{}:
				default:
				}
			case <-stop:
				return
			}
		}
	}()
	return out, func() { signal.Stop(sig); close(stop) }
}

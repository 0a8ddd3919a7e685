//go:build windows

package cli

import (
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// The constants of tty_console.go are Windows's.
var _ = [1]struct{}{}[consoleEchoInput^windows.ENABLE_ECHO_INPUT|
	consoleLineInput^windows.ENABLE_LINE_INPUT|
	consoleProcessedInput^windows.ENABLE_PROCESSED_INPUT]

// consoleAbortGrace is how long a console read that came back empty waits
// for Ctrl-C to reach the signal handler (interruptedRead).
const consoleAbortGrace = 500 * time.Millisecond

// terminal is the console, as Windows names it for a process whose
// standard streams are redirected: CONIN$ to read, CONOUT$ to write.
type terminal struct{ in, out *os.File }

func openTerminal() (*terminal, error) {
	// Both for reading and writing: SetConsoleMode needs GENERIC_READ and
	// GENERIC_WRITE on the input buffer.
	in, err := os.OpenFile("CONIN$", os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	out, err := os.OpenFile("CONOUT$", os.O_RDWR, 0)
	if err != nil {
		in.Close()
		return nil, err
	}
	return &terminal{in: in, out: out}, nil
}

// close closes the console's handles. A console read is not in Go's poller
// and closing its file waits for it to end: one still waiting (kagi was
// stopped by Ctrl-Break, which does not end it) is left to end with kagi.
func (t *terminal) close() {
	t.out.Close()
	go t.in.Close()
}

// echoOff turns off the echo of the console's input (hiddenConsoleMode)
// and returns what turns it back on. It works through SyscallConn, so the
// handle stays owned by t.in.
func echoOff(in *os.File) (restore func(), err error) {
	rc, err := in.SyscallConn()
	if err != nil {
		return nil, err
	}
	var old uint32
	if cerr := rc.Control(func(fd uintptr) {
		if err = windows.GetConsoleMode(windows.Handle(fd), &old); err != nil {
			return
		}
		err = windows.SetConsoleMode(windows.Handle(fd), hiddenConsoleMode(old))
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

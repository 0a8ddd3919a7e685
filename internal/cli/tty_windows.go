//go:build windows

package cli

import (
	"os"

	"golang.org/x/sys/windows"
)

// The constants of tty_console.go are Windows's.
var _ = [1]struct{}{}[consoleEchoInput^windows.ENABLE_ECHO_INPUT|
	consoleLineInput^windows.ENABLE_LINE_INPUT|
	consoleProcessedInput^windows.ENABLE_PROCESSED_INPUT]

// echoOff turns off the echo of the console's input (hiddenConsoleMode)
// and returns what turns it back on. It works through SyscallConn, so the
// handle stays owned by in.
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

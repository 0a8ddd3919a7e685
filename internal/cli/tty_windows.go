//go:build windows

package cli

import (
	"os"

	"golang.org/x/sys/windows"

	"github.com/kagi-cli/kagi/internal/termmode"
)

// The constants of tty_console.go are Windows's.
var _ = [1]struct{}{}[consoleEchoInput^windows.ENABLE_ECHO_INPUT|
	consoleLineInput^windows.ENABLE_LINE_INPUT|
	consoleProcessedInput^windows.ENABLE_PROCESSED_INPUT]

// echoOff turns off the echo of the console's input (hiddenConsoleMode)
// and returns what turns it back on. It works through SyscallConn, so the
// handle stays owned by in.
func echoOff(in *os.File) (restore func(), err error) {
	return termmode.Set(in, hiddenConsoleMode)
}

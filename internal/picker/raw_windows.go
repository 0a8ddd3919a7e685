//go:build windows

package picker

import (
	"os"
	"time"

	"golang.org/x/sys/windows"

	"github.com/kagi-cli/kagi/internal/termmode"
)

// The constants of console.go are Windows's.
var _ = [1]struct{}{}[consoleEchoInput^windows.ENABLE_ECHO_INPUT|
	consoleLineInput^windows.ENABLE_LINE_INPUT|
	consoleProcessedInput^windows.ENABLE_PROCESSED_INPUT|
	consoleVirtualTermInput^windows.ENABLE_VIRTUAL_TERMINAL_INPUT|
	consoleProcessedOutput^windows.ENABLE_PROCESSED_OUTPUT|
	consoleVirtualTermOutput^windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING]

// makeRaw sets the console's input to rawConsoleInMode and its output to
// vtConsoleOutMode, and returns what puts both back. It works through
// SyscallConn, so the handles stay owned by in and out.
func makeRaw(in, out *os.File) (restore func(), err error) {
	restoreIn, err := termmode.Set(in, rawConsoleInMode)
	if err != nil {
		return nil, err
	}
	restoreOut, err := termmode.Set(out, vtConsoleOutMode)
	if err != nil {
		restoreIn()
		return nil, err
	}
	return func() { restoreOut(); restoreIn() }, nil
}

// size is the console window's size (not its buffer's, which is taller).
func size(f *os.File) (width, height int, err error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, 0, err
	}
	var info windows.ConsoleScreenBufferInfo
	if cerr := rc.Control(func(fd uintptr) { err = windows.GetConsoleScreenBufferInfo(windows.Handle(fd), &info) }); cerr != nil {
		return 0, 0, cerr
	}
	if err != nil {
		return 0, 0, err
	}
	return int(info.Window.Right-info.Window.Left) + 1, int(info.Window.Bottom-info.Window.Top) + 1, nil
}

// watchResize polls the size: a console tells of a resize only through
// ReadConsoleInput's window events, which a plain read does not return.
func watchResize(size func() (int, int)) (<-chan struct{}, func()) {
	out := make(chan struct{}, 1)
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		w, h := size()
		for {
			select {
			case <-t.C:
				if nw, nh := size(); nw != w || nh != h {
					w, h = nw, nh
					select {
					case out <- struct{}{}:
					default:
					}
				}
			case <-stop:
				return
			}
		}
	}()
	return out, func() { close(stop) }
}

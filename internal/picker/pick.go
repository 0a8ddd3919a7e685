package picker

import (
	"context"
	"fmt"
	"os"

	"github.com/kagi-cli/kagi/internal/prompt"
)

// NoTerminalError: there is no terminal to show the picker on (a CI job,
// a service, a process without a controlling terminal).
type NoTerminalError struct{ Err error }

func (e *NoTerminalError) Error() string { return fmt.Sprintf("no terminal to choose on: %v", e.Err) }
func (e *NoTerminalError) Unwrap() error { return e.Err }

// Pick shows items on the terminal (/dev/tty; the console on Windows),
// never stdout, with prompt before the query, and returns the index of the
// item chosen. The terminal is in raw mode while the picker shows and is
// put back, and the picker's lines cleared, on every way out: Enter, Esc
// (ErrCancelled), Ctrl-C (ErrInterrupted), ctx done (SIGTERM), a panic.
// With no terminal it fails at once with a *NoTerminalError.
func Pick(ctx context.Context, promptText string, items []Item) (int, error) {
	if err := ctx.Err(); err != nil {
		return -1, err
	}
	t, err := prompt.OpenTerminal()
	if err != nil {
		return -1, &NoTerminalError{Err: err}
	}
	// Deferred calls run last in first: the lines are cleared, then the
	// modes put back, then the terminal closed (which on Unix ends the
	// read still waiting).
	defer t.Close()
	restore, err := makeRaw(t.In, t.Out)
	if err != nil {
		return -1, &NoTerminalError{Err: err}
	}
	defer restore()
	in := make(chan chunk)
	want := make(chan struct{}, 1)
	stop := make(chan struct{})
	defer close(stop)
	go readChunks(t.In, in, want, stop)
	size := func() (int, int) { return terminalSize(t.Out) }
	resized, stopResize := watchResize(size)
	defer stopResize()
	s := &session{prompt: promptText, in: in, more: func() { want <- struct{}{} }, size: size, resized: resized}
	scr := &screen{w: t.Out}
	defer scr.clear()
	return run(ctx, s, scr, items)
}

// terminalSize is the terminal's width and height, 80x24 when it cannot
// say.
func terminalSize(f *os.File) (width, height int) {
	w, h, err := size(f)
	if err != nil || w <= 0 || h <= 0 {
		return 80, 24
	}
	return w, h
}

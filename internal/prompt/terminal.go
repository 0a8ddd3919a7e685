package prompt

import (
	"context"
	"os"
	"time"
)

// Terminal is where a person is asked, never stdout: /dev/tty on Unix; on
// Windows the console, as Windows names it for a process whose standard
// streams are redirected: CONIN$ to read, CONOUT$ to write. In and Out are
// the same file on Unix.
type Terminal struct{ In, Out *os.File }

func (t *Terminal) Read(p []byte) (int, error)  { return t.In.Read(p) }
func (t *Terminal) Write(p []byte) (int, error) { return t.Out.Write(p) }

// OpenTerminal opens the terminal for reading and writing; an error means
// there is none (a CI job, a service).
func OpenTerminal() (*Terminal, error) { return openTerminal() }

// Interrupted reports whether a terminal read that ended with nothing read
// was Ctrl-C: whether ctx, cancelled by main's signal handler, is done or
// becomes done within a moment. On Windows, Ctrl-C ends a console read as
// an empty one (ReadConsole returns no characters) at the same time as it
// reaches the signal handler on another thread, so the read may come back
// first; without the wait Ctrl-C would now and then be a read error
// (exit 1) instead of an interrupt (exit 130). On Unix there is no wait:
// SIGINT never ends a read of /dev/tty by itself.
func Interrupted(ctx context.Context) bool { return interruptedWithin(ctx, consoleAbortGrace) }

func interruptedWithin(ctx context.Context, grace time.Duration) bool {
	if ctx.Err() != nil || grace <= 0 {
		return ctx.Err() != nil
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return true
	case <-t.C:
		return false
	}
}

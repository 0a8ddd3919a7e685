package cli

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"time"
)

// readHidden asks on the terminal (/dev/tty, or the console's CONIN$ and
// CONOUT$ on Windows; never stdout, so it works in pipes and under
// credential_process) and reads a line without echo.
func readHidden(ctx context.Context, question string) (string, error) {
	return askTerminal(ctx, question, true)
}

// readLine asks on the terminal and reads a line with echo.
func readLine(ctx context.Context, question string) (string, error) {
	return askTerminal(ctx, question, false)
}

// askTerminal asks question on the terminal and reads one line. It returns
// ctx's error as soon as ctx is done: Ctrl-C makes the terminal send SIGINT
// (a CTRL_C_EVENT on Windows), main's signal handler cancels ctx, and kagi
// must end at once (exit 130) rather than when Enter is pressed, as
// term.ReadPassword would. Echo is turned off before the read starts and
// back on before askTerminal returns, whichever way it does.
func askTerminal(ctx context.Context, question string, hidden bool) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	t, err := openTerminal()
	if err != nil {
		return "", err
	}
	// Deferred calls run last in first: echo comes back before the close,
	// which on Unix ends a read still waiting (the file is in Go's poller,
	// since Fd is never called on it).
	defer t.close()
	if hidden {
		restore, err := echoOff(t.in)
		if err != nil {
			return "", fmt.Errorf("turn off echo on the terminal: %w", err)
		}
		defer restore()
	}
	fmt.Fprint(t.out, question)
	type result struct {
		line string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(t.in).ReadString('\n')
		done <- result{line, err}
	}()
	select {
	case r := <-done:
		if hidden {
			fmt.Fprintln(t.out) // the Enter was not echoed
		}
		if r.err != nil && r.line == "" {
			if interruptedRead(ctx, consoleAbortGrace) {
				return "", ctx.Err()
			}
			return "", fmt.Errorf("read from the terminal: %w", r.err)
		}
		return strings.TrimSpace(r.line), nil
	case <-ctx.Done():
		fmt.Fprintln(t.out)
		return "", ctx.Err()
	}
}

// interruptedRead reports whether a terminal read that ended with nothing
// read was Ctrl-C: whether ctx is done, or becomes done within grace. On
// Windows, Ctrl-C ends a console read as an empty one (ReadConsole returns
// no characters) at the same moment as it reaches the signal handler on
// another thread, so the read may come back first; without the wait,
// Ctrl-C would be reported as a read error (exit 1) now and then instead
// of an interrupt (exit 130). On Unix grace is 0: SIGINT never ends the
// read itself.
func interruptedRead(ctx context.Context, grace time.Duration) bool {
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

package cli

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
)

// readHidden asks on the terminal (/dev/tty, never stdout, so it works in
// pipes and under credential_process) and reads a line without echo.
func readHidden(ctx context.Context, question string) (string, error) {
	return askTerminal(ctx, question, true)
}

// readLine asks on the terminal and reads a line with echo.
func readLine(ctx context.Context, question string) (string, error) {
	return askTerminal(ctx, question, false)
}

// askTerminal asks question on /dev/tty and reads one line. It returns
// ctx's error as soon as ctx is done: Ctrl-C makes the terminal send SIGINT,
// main's signal handler cancels ctx, and kagi must end at once (exit 130)
// rather than when Enter is pressed, as term.ReadPassword would. Echo is
// turned off before the read starts and back on before askTerminal
// returns, whichever way it does.
func askTerminal(ctx context.Context, question string, hidden bool) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return "", err
	}
	// Deferred calls run last in first: echo comes back before the close,
	// and the close ends a read still waiting (the file is in Go's poller,
	// since Fd is never called on it).
	defer tty.Close()
	if hidden {
		restore, err := echoOff(tty)
		if err != nil {
			return "", fmt.Errorf("turn off echo on the terminal: %w", err)
		}
		defer restore()
	}
	fmt.Fprint(tty, question)
	type result struct {
		line string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(tty).ReadString('\n')
		done <- result{line, err}
	}()
	select {
	case r := <-done:
		if hidden {
			fmt.Fprintln(tty) // the Enter was not echoed
		}
		if r.err != nil && r.line == "" {
			return "", fmt.Errorf("read from the terminal: %w", r.err)
		}
		return strings.TrimSpace(r.line), nil
	case <-ctx.Done():
		fmt.Fprintln(tty)
		return "", ctx.Err()
	}
}

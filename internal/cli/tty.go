package cli

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"github.com/kagi-cli/kagi/internal/prompt"
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
	t, err := prompt.OpenTerminal()
	if err != nil {
		return "", err
	}
	// Runs after the terminal is closed: exec --profiles holds its output
	// until then.
	defer prompt.PauseOutput(ctx)()
	// Deferred calls run last in first: echo comes back before the close,
	// which on Unix ends a read still waiting.
	defer t.Close()
	if hidden {
		restore, err := echoOff(t.In)
		if err != nil {
			return "", fmt.Errorf("turn off echo on the terminal: %w", err)
		}
		defer restore()
	}
	fmt.Fprint(t.Out, question)
	type result struct {
		line string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(t.In).ReadString('\n')
		done <- result{line, err}
	}()
	select {
	case r := <-done:
		if hidden {
			fmt.Fprintln(t.Out) // the Enter was not echoed
		}
		if r.err != nil && r.line == "" {
			if prompt.Interrupted(ctx) {
				return "", ctx.Err()
			}
			return "", fmt.Errorf("read from the terminal: %w", r.err)
		}
		return strings.TrimSpace(r.line), nil
	case <-ctx.Done():
		fmt.Fprintln(t.Out)
		return "", ctx.Err()
	}
}

//go:build windows

package prompt

import (
	"os"
	"time"
)

// consoleAbortGrace is how long a console read that came back empty waits
// for Ctrl-C to reach the signal handler (Interrupted).
const consoleAbortGrace = 500 * time.Millisecond

func openTerminal() (*Terminal, error) {
	// Both ways on the input buffer: SetConsoleMode (echo off) needs
	// GENERIC_READ and GENERIC_WRITE on it.
	in, err := os.OpenFile("CONIN$", os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	out, err := os.OpenFile("CONOUT$", os.O_RDWR, 0)
	if err != nil {
		in.Close()
		return nil, err
	}
	return &Terminal{In: in, Out: out}, nil
}

// Close closes the console's handles. A console read is not in Go's poller
// and closing its file waits for the read to end: one still waiting (kagi
// was stopped by Ctrl-Break, which does not end it, unlike Ctrl-C) is left
// to end with kagi.
func (t *Terminal) Close() error {
	err := t.Out.Close()
	go t.In.Close()
	return err
}

//go:build !windows

package prompt

import (
	"os"
	"time"
)

// consoleAbortGrace: SIGINT never ends a read of /dev/tty by itself.
const consoleAbortGrace time.Duration = 0

func openTerminal() (*Terminal, error) {
	f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	return &Terminal{In: f, Out: f}, nil
}

// Close ends a read still waiting: /dev/tty is in Go's poller (as long as
// nothing calls its Fd).
func (t *Terminal) Close() error { return t.In.Close() }

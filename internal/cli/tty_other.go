//go:build !(aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || zos || windows)

package cli

import (
	"errors"
	"os"
	"time"
)

const consoleAbortGrace time.Duration = 0

type terminal struct{ in, out *os.File }

// openTerminal has no implementation here: there is no terminal to ask on.
func openTerminal() (*terminal, error) {
	return nil, errors.New("asking on the terminal is not supported on this system")
}

func (t *terminal) close() {}

func echoOff(*os.File) (func(), error) {
	return nil, errors.New("hidden input from the terminal is not supported on this system")
}

//go:build !(aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || zos || windows)

package cli

import (
	"errors"
	"os"
)

// echoOff has no implementation here: no terminal modes to set.
func echoOff(*os.File) (func(), error) {
	return nil, errors.New("hidden input from the terminal is not supported on this system")
}

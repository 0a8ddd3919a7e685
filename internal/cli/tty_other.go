//go:build !(aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || zos)

package cli

import (
	"errors"
	"os"
)

// echoOff has no implementation here: there is no /dev/tty to ask on.
func echoOff(*os.File) (func(), error) {
	return nil, errors.New("hidden input from /dev/tty is not supported on this system")
}

//go:build !(aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || zos || windows)

package picker

import (
	"errors"
	"os"
)

var errUnsupported = errors.New("the picker is not supported on this system")

func makeRaw(_, _ *os.File) (func(), error) { return nil, errUnsupported }

func size(*os.File) (int, int, error) { return 0, 0, errUnsupported }

func watchResize(func() (int, int)) (<-chan struct{}, func()) { return nil, func() {} }

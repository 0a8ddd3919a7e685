//go:build !windows

package keyring

import (
	"context"
	"errors"
)

func openWinCred(ctx context.Context, opts Options) (Keyring, error) {
	return nil, errors.New("the wincred keyring exists only on Windows")
}

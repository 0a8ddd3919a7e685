//go:build !linux

package keyring

import (
	"context"
	"errors"
)

func openKeyctl(ctx context.Context, opts Options) (Keyring, error) {
	return nil, errors.New("the keyctl keyring exists only on Linux")
}

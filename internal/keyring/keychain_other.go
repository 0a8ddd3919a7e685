//go:build !darwin

package keyring

import (
	"context"
	"errors"
)

func openKeychain(ctx context.Context, opts Options) (Keyring, error) {
	return nil, errors.New("the keychain keyring exists only on macOS")
}

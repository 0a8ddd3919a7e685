package keyring

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/danieljoos/wincred"
)

// winCredStore keeps items as generic credentials of the Windows
// Credential Manager, target "kagi:NAME", persisted on this machine.
type winCredStore struct{ opts Options }

const winCredPrefix = "kagi:"

func openWinCred(ctx context.Context, opts Options) (Keyring, error) {
	return &winCredStore{opts}, nil
}

func (w *winCredStore) Backend() string { return BackendWinCred }

func (w *winCredStore) Get(ctx context.Context, name string) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	return bounded(ctx, w.opts.timeout(), "wincred keyring", func() ([]byte, error) {
		c, err := wincred.GetGenericCredential(winCredPrefix + name)
		if errors.Is(err, wincred.ErrElementNotFound) {
			return nil, fmt.Errorf("%q: %w", name, ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("wincred keyring: read %q: %w", name, err)
		}
		return c.CredentialBlob, nil
	})
}

func (w *winCredStore) Set(ctx context.Context, name string, data []byte) error {
	if err := checkName(name); err != nil {
		return err
	}
	_, err := bounded(ctx, w.opts.timeout(), "wincred keyring", func() (struct{}, error) {
		c := wincred.NewGenericCredential(winCredPrefix + name)
		c.CredentialBlob = data
		c.UserName = name
		c.Persist = wincred.PersistLocalMachine
		if err := c.Write(); err != nil {
			return struct{}{}, fmt.Errorf("wincred keyring: store %q: %w", name, err)
		}
		return struct{}{}, nil
	})
	return err
}

func (w *winCredStore) Remove(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	_, err := bounded(ctx, w.opts.timeout(), "wincred keyring", func() (struct{}, error) {
		c, err := wincred.GetGenericCredential(winCredPrefix + name)
		if errors.Is(err, wincred.ErrElementNotFound) {
			return struct{}{}, fmt.Errorf("%q: %w", name, ErrNotFound)
		}
		if err == nil {
			err = c.Delete()
		}
		if err != nil {
			return struct{}{}, fmt.Errorf("wincred keyring: remove %q: %w", name, err)
		}
		return struct{}{}, nil
	})
	return err
}

func (w *winCredStore) List(ctx context.Context) ([]string, error) {
	return bounded(ctx, w.opts.timeout(), "wincred keyring", func() ([]string, error) {
		creds, err := wincred.FilteredList(winCredPrefix + "*")
		if err != nil {
			return nil, fmt.Errorf("wincred keyring: list: %w", err)
		}
		var names []string
		for _, c := range creds {
			if n, ok := strings.CutPrefix(c.TargetName, winCredPrefix); ok && ValidName(n) {
				names = append(names, n)
			}
		}
		return names, nil
	})
}

package keyring

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// keyctlStore keeps items as "user" keys in the Linux kernel's user
// keyring (keyctl(2)). Items live in kernel memory until the user's last
// login session ends or the machine reboots: a store for a session, not
// for keys one expects to find next week.
type keyctlStore struct {
	ring int
	opts Options
}

const keyctlPrefix = "kagi:"

func openKeyctl(ctx context.Context, opts Options) (Keyring, error) {
	ring, err := bounded(ctx, opts.timeout(), "keyctl keyring", func() (int, error) {
		return unix.KeyctlGetKeyringID(unix.KEY_SPEC_USER_KEYRING, true)
	})
	if err != nil {
		return nil, fmt.Errorf("keyctl keyring: the user keyring is not available: %w", err)
	}
	return &keyctlStore{ring: ring, opts: opts}, nil
}

func (k *keyctlStore) Backend() string { return BackendKeyctl }

func (k *keyctlStore) find(name string) (int, error) {
	id, err := unix.KeyctlSearch(k.ring, "user", keyctlPrefix+name, 0)
	if errors.Is(err, unix.ENOKEY) || errors.Is(err, unix.EKEYREVOKED) || errors.Is(err, unix.EKEYEXPIRED) {
		return 0, fmt.Errorf("%q: %w", name, ErrNotFound)
	}
	return id, err
}

func (k *keyctlStore) Get(ctx context.Context, name string) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	return bounded(ctx, k.opts.timeout(), "keyctl keyring", func() ([]byte, error) {
		id, err := k.find(name)
		if err != nil {
			return nil, err
		}
		return keyctlRead(id)
	})
}

// keyctlRead reads a key's payload, growing the buffer until it fits.
func keyctlRead(id int) ([]byte, error) {
	buf := make([]byte, 512)
	for {
		n, err := unix.KeyctlBuffer(unix.KEYCTL_READ, id, buf, 0)
		if err != nil {
			return nil, fmt.Errorf("keyctl keyring: read: %w", err)
		}
		if n <= len(buf) {
			return buf[:n], nil
		}
		buf = make([]byte, n)
	}
}

func (k *keyctlStore) Set(ctx context.Context, name string, data []byte) error {
	if err := checkName(name); err != nil {
		return err
	}
	_, err := bounded(ctx, k.opts.timeout(), "keyctl keyring", func() (int, error) {
		// add_key(2) updates a key of the same type and description in
		// place, so a reader never sees the item missing.
		return unix.AddKey("user", keyctlPrefix+name, data, k.ring)
	})
	if err != nil {
		return fmt.Errorf("keyctl keyring: store %q: %w", name, err)
	}
	return nil
}

func (k *keyctlStore) Remove(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	_, err := bounded(ctx, k.opts.timeout(), "keyctl keyring", func() (int, error) {
		id, err := k.find(name)
		if err != nil {
			return 0, err
		}
		if _, err := unix.KeyctlInt(unix.KEYCTL_UNLINK, id, k.ring, 0, 0); err != nil {
			return 0, fmt.Errorf("keyctl keyring: remove %q: %w", name, err)
		}
		return 0, nil
	})
	return err
}

func (k *keyctlStore) List(ctx context.Context) ([]string, error) {
	return bounded(ctx, k.opts.timeout(), "keyctl keyring", func() ([]string, error) {
		raw, err := keyctlRead(k.ring)
		if err != nil {
			return nil, err
		}
		var names []string
		for i := 0; i+4 <= len(raw); i += 4 {
			// The keyring's payload is its keys' serial numbers, in the
			// machine's byte order (keyctl_read(3)).
			id := int(int32(binary.NativeEndian.Uint32(raw[i : i+4])))
			desc, err := unix.KeyctlString(unix.KEYCTL_DESCRIBE, id)
			if err != nil {
				continue // unlinked since, or not ours to see
			}
			// "type;uid;gid;perm;description"
			parts := strings.SplitN(desc, ";", 5)
			if len(parts) != 5 || parts[0] != "user" {
				continue
			}
			if n, ok := strings.CutPrefix(parts[4], keyctlPrefix); ok && ValidName(n) {
				names = append(names, n)
			}
		}
		return names, nil
	})
}

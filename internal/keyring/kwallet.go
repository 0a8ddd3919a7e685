package keyring

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

// kwalletStore keeps items in KDE Wallet, folder "kagi" of the network
// wallet, through kwalletd's D-Bus API (org.kde.KWallet). Plasma 6 runs
// kwalletd6, Plasma 5 kwalletd5; the first one on the bus is used.
type kwalletStore struct {
	bus           *dbus.Conn
	closeBus      context.CancelFunc
	obj           dbus.BusObject
	timeout       time.Duration
	promptTimeout time.Duration

	mu     sync.Mutex
	handle int32
	opened bool
}

const (
	kwIface  = "org.kde.KWallet"
	kwFolder = "kagi"
	kwAppID  = "kagi"
)

func openKWallet(ctx context.Context, opts Options) (Keyring, error) {
	bus, closeBus, err := connectSessionBus(ctx, opts, opts.timeout())
	if err != nil {
		return nil, fmt.Errorf("kwallet keyring: %w", err)
	}
	k := &kwalletStore{bus: bus, closeBus: closeBus, timeout: opts.timeout(), promptTimeout: opts.promptTimeout()}
	for _, v := range []string{"6", "5"} {
		var has bool
		cctx, cancel := context.WithTimeout(ctx, k.timeout)
		err := bus.BusObject().CallWithContext(cctx, "org.freedesktop.DBus.NameHasOwner", 0, "org.kde.kwalletd"+v).Store(&has)
		cancel()
		if err == nil && has {
			k.obj = bus.Object("org.kde.kwalletd"+v, dbus.ObjectPath("/modules/kwalletd"+v))
			return k, nil
		}
	}
	k.Close()
	return nil, errors.New("kwallet keyring: kwalletd is not running on the session bus")
}

func (k *kwalletStore) Backend() string { return BackendKWallet }

// Close ends the connection to the session bus.
func (k *kwalletStore) Close() error {
	err := k.bus.Close()
	k.closeBus()
	return err
}

func (k *kwalletStore) call(ctx context.Context, d time.Duration, method string, out []any, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	err := k.obj.CallWithContext(ctx, kwIface+"."+method, 0, args...).Store(out...)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("kwallet keyring: %s: no answer within %v", method, d)
		}
		return fmt.Errorf("kwallet keyring: %s: %w", method, err)
	}
	return nil
}

// open opens the network wallet (which may ask the user for the wallet's
// password) and makes kagi's folder, once per Keyring.
func (k *kwalletStore) open(ctx context.Context) (int32, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.opened {
		return k.handle, nil
	}
	var wallet string
	if err := k.call(ctx, k.timeout, "networkWallet", []any{&wallet}); err != nil {
		return 0, err
	}
	var h int32
	if err := k.call(ctx, k.promptTimeout, "open", []any{&h}, wallet, int64(0), kwAppID); err != nil {
		return 0, err
	}
	if h < 0 {
		return 0, fmt.Errorf("kwallet keyring: wallet %q was not opened (refused or cancelled)", wallet)
	}
	var has bool
	if err := k.call(ctx, k.timeout, "hasFolder", []any{&has}, h, kwFolder, kwAppID); err != nil {
		return 0, err
	}
	if !has {
		var ok bool
		if err := k.call(ctx, k.timeout, "createFolder", []any{&ok}, h, kwFolder, kwAppID); err != nil {
			return 0, err
		}
	}
	k.handle, k.opened = h, true
	return h, nil
}

func (k *kwalletStore) has(ctx context.Context, h int32, name string) (bool, error) {
	var has bool
	err := k.call(ctx, k.timeout, "hasEntry", []any{&has}, h, kwFolder, name, kwAppID)
	return has, err
}

func (k *kwalletStore) Get(ctx context.Context, name string) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	h, err := k.open(ctx)
	if err != nil {
		return nil, err
	}
	if ok, err := k.has(ctx, h, name); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("%q: %w", name, ErrNotFound)
		}
		return nil, err
	}
	var data []byte
	if err := k.call(ctx, k.timeout, "readEntry", []any{&data}, h, kwFolder, name, kwAppID); err != nil {
		return nil, err
	}
	return data, nil
}

func (k *kwalletStore) Set(ctx context.Context, name string, data []byte) error {
	if err := checkName(name); err != nil {
		return err
	}
	h, err := k.open(ctx)
	if err != nil {
		return err
	}
	var rc int32
	if err := k.call(ctx, k.timeout, "writeEntry", []any{&rc}, h, kwFolder, name, data, kwAppID); err != nil {
		return err
	}
	if rc != 0 {
		return fmt.Errorf("kwallet keyring: store %q: kwalletd returned %d", name, rc)
	}
	return nil
}

func (k *kwalletStore) Remove(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	h, err := k.open(ctx)
	if err != nil {
		return err
	}
	if ok, err := k.has(ctx, h, name); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("%q: %w", name, ErrNotFound)
		}
		return err
	}
	var rc int32
	if err := k.call(ctx, k.timeout, "removeEntry", []any{&rc}, h, kwFolder, name, kwAppID); err != nil {
		return err
	}
	if rc != 0 {
		return fmt.Errorf("kwallet keyring: remove %q: kwalletd returned %d", name, rc)
	}
	return nil
}

func (k *kwalletStore) List(ctx context.Context) ([]string, error) {
	h, err := k.open(ctx)
	if err != nil {
		return nil, err
	}
	var entries []string
	if err := k.call(ctx, k.timeout, "entryList", []any{&entries}, h, kwFolder, kwAppID); err != nil {
		return nil, err
	}
	var names []string
	for _, n := range entries {
		if ValidName(n) {
			names = append(names, n)
		}
	}
	return names, nil
}

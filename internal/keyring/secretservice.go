package keyring

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

// The Secret Service API (GNOME Keyring, KeePassXC, KWallet 5.97+):
// https://specifications.freedesktop.org/secret-service-spec/latest/
const (
	ssBusName    = "org.freedesktop.secrets"
	ssPath       = dbus.ObjectPath("/org/freedesktop/secrets")
	ssService    = "org.freedesktop.Secret.Service"
	ssCollection = "org.freedesktop.Secret.Collection"
	ssItem       = "org.freedesktop.Secret.Item"
	ssPrompt     = "org.freedesktop.Secret.Prompt"
	ssNoPrompt   = dbus.ObjectPath("/")

	// kagi's items carry these attributes; secret-tool can find them with
	// `secret-tool search xdg:schema io.github.kagi-cli.kagi`.
	ssAttrSchema = "xdg:schema"
	ssSchema     = "io.github.kagi-cli.kagi"
	ssAttrName   = "kagi.name"
)

// ssSecret is the spec's Secret struct, D-Bus signature (oayays).
type ssSecret struct {
	Session     dbus.ObjectPath
	Parameters  []byte
	Value       []byte
	ContentType string
}

// secretService stores items in the Secret Service's default collection.
// The secret travels over the session bus in a "plain" session: the bus
// is a socket only this user can reach, which is what libsecret's own
// tools rely on too.
type secretService struct {
	bus           *dbus.Conn
	closeBus      context.CancelFunc
	timeout       time.Duration
	promptTimeout time.Duration
	signals       chan *dbus.Signal

	mu      sync.Mutex
	session dbus.ObjectPath
}

// connectSessionBus connects to the session bus in the environment,
// giving up after d (a stuck bus daemon must not hang kagi).
func connectSessionBus(ctx context.Context, opts Options, d time.Duration) (*dbus.Conn, context.CancelFunc, error) {
	addr := opts.env("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" {
		return nil, nil, errors.New("DBUS_SESSION_BUS_ADDRESS is not set: no session bus to reach the keyring through")
	}
	// The connection lives until busCtx is cancelled; cancel it if
	// connecting takes longer than d or ctx ends first.
	busCtx, cancel := context.WithCancel(context.Background())
	timer := time.AfterFunc(d, cancel)
	stop := context.AfterFunc(ctx, cancel)
	bus, err := dbus.Connect(addr, dbus.WithContext(busCtx))
	timer.Stop()
	stop()
	if err == nil && busCtx.Err() != nil {
		bus.Close()
		err = busCtx.Err()
	}
	if err != nil {
		cancel()
		if busCtx.Err() != nil {
			return nil, nil, fmt.Errorf("session bus: no answer within %v", d)
		}
		return nil, nil, fmt.Errorf("session bus: %w", err)
	}
	return bus, cancel, nil
}

// probeSecretService connects to the session bus and checks, briefly,
// that a Secret Service runs on it or can be started by it. The caller
// owns the returned connection and its cancel func.
func probeSecretService(ctx context.Context, opts Options) (*dbus.Conn, context.CancelFunc, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	bus, closeBus, err := connectSessionBus(ctx, opts, probeTimeout)
	if err != nil {
		return nil, nil, err
	}
	var has bool
	err = bus.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, ssBusName).Store(&has)
	if err == nil && !has {
		var names []string
		err = bus.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.ListActivatableNames", 0).Store(&names)
		has = slices.Contains(names, ssBusName)
	}
	if err != nil || !has {
		bus.Close()
		closeBus()
		return nil, nil, errors.New("no Secret Service on the session bus")
	}
	return bus, closeBus, nil
}

// openSecretService returns the backend over bus, or over a new
// connection when bus is nil.
func openSecretService(ctx context.Context, opts Options, bus *dbus.Conn, closeBus context.CancelFunc) (Keyring, error) {
	if bus == nil {
		var err error
		bus, closeBus, err = connectSessionBus(ctx, opts, opts.timeout())
		if err != nil {
			return nil, fmt.Errorf("secret-service keyring: %w", err)
		}
	}
	s := &secretService{
		bus:           bus,
		closeBus:      closeBus,
		timeout:       opts.timeout(),
		promptTimeout: opts.promptTimeout(),
		signals:       make(chan *dbus.Signal, 16),
	}
	bus.Signal(s.signals)
	return s, nil
}

func (s *secretService) Backend() string { return BackendSecretService }

// Close ends the connection to the session bus.
func (s *secretService) Close() error {
	err := s.bus.Close()
	s.closeBus()
	return err
}

// call makes one D-Bus call that must not wait for the user.
func (s *secretService) call(ctx context.Context, path dbus.ObjectPath, method string, args ...any) *dbus.Call {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	c := s.bus.Object(ssBusName, path).CallWithContext(ctx, method, 0, args...)
	if c.Err != nil && ctx.Err() != nil {
		c.Err = fmt.Errorf("secret-service keyring: %s: no answer within %v: %w", method, s.timeout, ctx.Err())
	}
	return c
}

func (s *secretService) property(ctx context.Context, path dbus.ObjectPath, iface, name string) (dbus.Variant, error) {
	var v dbus.Variant
	err := s.call(ctx, path, "org.freedesktop.DBus.Properties.Get", iface, name).Store(&v)
	return v, err
}

func (s *secretService) openSession(ctx context.Context) (dbus.ObjectPath, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.session != "" {
		return s.session, nil
	}
	var out dbus.Variant
	var session dbus.ObjectPath
	if err := s.call(ctx, ssPath, ssService+".OpenSession", "plain", dbus.MakeVariant("")).Store(&out, &session); err != nil {
		return "", fmt.Errorf("secret-service keyring: open session: %w", err)
	}
	s.session = session
	return session, nil
}

// prompt shows the Secret Service's prompt p (an unlock dialog) and waits
// for the user to answer, at most promptTimeout.
func (s *secretService) prompt(ctx context.Context, p dbus.ObjectPath) error {
	if p == ssNoPrompt || p == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.promptTimeout)
	defer cancel()
	match := []dbus.MatchOption{dbus.WithMatchObjectPath(p), dbus.WithMatchInterface(ssPrompt), dbus.WithMatchMember("Completed")}
	if err := s.bus.AddMatchSignalContext(ctx, match...); err != nil {
		return fmt.Errorf("secret-service keyring: watch prompt: %w", err)
	}
	defer s.bus.RemoveMatchSignalContext(context.WithoutCancel(ctx), match...)
	if err := s.call(ctx, p, ssPrompt+".Prompt", "").Err; err != nil {
		return fmt.Errorf("secret-service keyring: prompt: %w", err)
	}
	for {
		select {
		case sig := <-s.signals:
			if sig.Path != p || sig.Name != ssPrompt+".Completed" {
				continue
			}
			if len(sig.Body) > 0 {
				if dismissed, _ := sig.Body[0].(bool); dismissed {
					return errors.New("secret-service keyring: the unlock prompt was dismissed")
				}
			}
			return nil
		case <-ctx.Done():
			return fmt.Errorf("secret-service keyring: waiting for the unlock prompt: %w", ctx.Err())
		}
	}
}

func (s *secretService) unlock(ctx context.Context, paths []dbus.ObjectPath) error {
	if len(paths) == 0 {
		return nil
	}
	var unlocked []dbus.ObjectPath
	var p dbus.ObjectPath
	if err := s.call(ctx, ssPath, ssService+".Unlock", paths).Store(&unlocked, &p); err != nil {
		return fmt.Errorf("secret-service keyring: unlock: %w", err)
	}
	return s.prompt(ctx, p)
}

// search returns kagi's items matching attrs, unlocking locked ones when
// unlock is set.
func (s *secretService) search(ctx context.Context, attrs map[string]string, unlock bool) ([]dbus.ObjectPath, error) {
	var unlocked, locked []dbus.ObjectPath
	if err := s.call(ctx, ssPath, ssService+".SearchItems", attrs).Store(&unlocked, &locked); err != nil {
		return nil, fmt.Errorf("secret-service keyring: search: %w", err)
	}
	if unlock {
		if err := s.unlock(ctx, locked); err != nil {
			return nil, err
		}
	}
	return append(unlocked, locked...), nil
}

func itemAttrs(name string) map[string]string {
	return map[string]string{ssAttrSchema: ssSchema, ssAttrName: name}
}

func (s *secretService) Get(ctx context.Context, name string) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	items, err := s.search(ctx, itemAttrs(name), true)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("%q: %w", name, ErrNotFound)
	}
	session, err := s.openSession(ctx)
	if err != nil {
		return nil, err
	}
	var sec ssSecret
	if err := s.call(ctx, items[0], ssItem+".GetSecret", session).Store(&sec); err != nil {
		return nil, fmt.Errorf("secret-service keyring: read %q: %w", name, err)
	}
	return sec.Value, nil
}

func (s *secretService) Set(ctx context.Context, name string, data []byte) error {
	if err := checkName(name); err != nil {
		return err
	}
	var coll dbus.ObjectPath
	if err := s.call(ctx, ssPath, ssService+".ReadAlias", "default").Store(&coll); err != nil {
		return fmt.Errorf("secret-service keyring: find the default collection: %w", err)
	}
	if coll == ssNoPrompt {
		return errors.New("secret-service keyring: there is no default collection (create a \"login\" keyring, e.g. with Seahorse)")
	}
	locked, err := s.property(ctx, coll, ssCollection, "Locked")
	if err != nil {
		return fmt.Errorf("secret-service keyring: %w", err)
	}
	if l, _ := locked.Value().(bool); l {
		if err := s.unlock(ctx, []dbus.ObjectPath{coll}); err != nil {
			return err
		}
	}
	session, err := s.openSession(ctx)
	if err != nil {
		return err
	}
	props := map[string]dbus.Variant{
		ssItem + ".Label":      dbus.MakeVariant("kagi: " + name),
		ssItem + ".Attributes": dbus.MakeVariant(itemAttrs(name)),
	}
	sec := ssSecret{Session: session, Parameters: []byte{}, Value: data, ContentType: "application/octet-stream"}
	var item, p dbus.ObjectPath
	if err := s.call(ctx, coll, ssCollection+".CreateItem", props, sec, true).Store(&item, &p); err != nil {
		return fmt.Errorf("secret-service keyring: store %q: %w", name, err)
	}
	return s.prompt(ctx, p)
}

func (s *secretService) Remove(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	items, err := s.search(ctx, itemAttrs(name), true)
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return fmt.Errorf("%q: %w", name, ErrNotFound)
	}
	for _, it := range items {
		var p dbus.ObjectPath
		if err := s.call(ctx, it, ssItem+".Delete").Store(&p); err != nil {
			return fmt.Errorf("secret-service keyring: delete %q: %w", name, err)
		}
		if err := s.prompt(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

func (s *secretService) List(ctx context.Context) ([]string, error) {
	// Attributes are readable on locked items too: listing asks for no
	// unlock.
	items, err := s.search(ctx, map[string]string{ssAttrSchema: ssSchema}, false)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, it := range items {
		v, err := s.property(ctx, it, ssItem, "Attributes")
		if err != nil {
			return nil, fmt.Errorf("secret-service keyring: %w", err)
		}
		attrs, _ := v.Value().(map[string]string)
		if n := attrs[ssAttrName]; ValidName(n) && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names, nil
}

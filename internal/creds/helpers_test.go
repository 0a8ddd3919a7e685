package creds_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/awsemu"
	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/creds"
	"github.com/kagi-cli/kagi/internal/keyring"
	"github.com/kagi-cli/kagi/internal/prompt"
)

// The test world: alice has an MFA device, bob has none.
const (
	acctUsers = "111111111111"

	aliceKey    = "AKIAEXAMPLEALICE0001"
	aliceSecret = "alice-secret-wJalrXUtnFEMI"
	aliceSerial = "arn:aws:iam::111111111111:mfa/alice"
	bobKey      = "AKIAEXAMPLEBOB000001"
	bobSecret   = "bob-secret-K7MDENGbPxRfiCY"

	roleAdmin    = "arn:aws:iam::222222222222:role/admin"    // MFA, max 12h
	roleLong     = "arn:aws:iam::222222222222:role/long"     // no MFA
	roleUsername = "arn:aws:iam::222222222222:role/deploy"   // session name = ${aws:username}
	roleExternal = "arn:aws:iam::222222222222:role/partner"  // external id
	roleReadonly = "arn:aws:iam::333333333333:role/readonly" // trusts sessions of admin, MFA, max 12h
	roleCI       = "arn:aws:iam::222222222222:role/ci"       // web identity

	issuer   = "https://token.example"
	audience = "sts.amazonaws.com"
)

// oidcKeys is one RSA key pair for the test binary: making one is slow.
var oidcKeys = sync.OnceValues(func() ([2]string, error) {
	priv, pub, err := awsemu.NewOIDCKey()
	return [2]string{priv, pub}, err
})

func testWorld(t testing.TB) *awsemu.World {
	t.Helper()
	keys, err := oidcKeys()
	if err != nil {
		t.Fatal(err)
	}
	return &awsemu.World{
		Users: []awsemu.User{
			{Account: acctUsers, Name: "alice",
				AccessKeys: []awsemu.AccessKey{{ID: aliceKey, Secret: aliceSecret}},
				MFA:        &awsemu.MFADevice{Serial: aliceSerial, TOTPSecret: "JBSWY3DPEHPK3PXP"}},
			{Account: acctUsers, Name: "bob",
				AccessKeys: []awsemu.AccessKey{{ID: bobKey, Secret: bobSecret}}},
		},
		Roles: []awsemu.Role{
			{ARN: roleAdmin, MaxSessionDuration: 43200,
				Trust: awsemu.Trust{Principals: []string{"arn:aws:iam::111111111111:root"}, RequireMFA: true}},
			{ARN: roleLong, MaxSessionDuration: 43200,
				Trust: awsemu.Trust{Principals: []string{"arn:aws:iam::111111111111:root"}}},
			{ARN: roleUsername,
				Trust: awsemu.Trust{Principals: []string{"arn:aws:iam::111111111111:root"}, SessionName: "${aws:username}"}},
			{ARN: roleExternal,
				Trust: awsemu.Trust{Principals: []string{"arn:aws:iam::111111111111:root"}, ExternalID: "ext-4711"}},
			{ARN: roleReadonly, MaxSessionDuration: 43200,
				Trust: awsemu.Trust{Principals: []string{roleAdmin}, RequireMFA: true}},
			{ARN: roleCI, Trust: awsemu.Trust{
				Principals: []string{"arn:aws:iam::222222222222:oidc-provider/token.example"},
				Subjects:   []string{"repo:kagi-cli/kagi:*"}}},
		},
		OIDC: []awsemu.OIDCProvider{{Issuer: issuer, Audience: audience, PublicKeyPEM: keys[1], PrivateKeyPEM: keys[0]}},
	}
}

// emu is a running emulator.
type emu struct {
	srv   *awsemu.Server
	url   string
	world *awsemu.World
	// keyIDs is the one HOME's memory of stored key ids, shared by every
	// "process" (Retrieve) of a test.
	keyIDs *memKeyIDs
}

func startEmu(t *testing.T, opts ...awsemu.Option) *emu {
	t.Helper()
	w := testWorld(t)
	srv := awsemu.New(w, opts...)
	ctx, cancel := context.WithCancel(context.Background())
	url, stop, err := srv.Start(ctx, "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(); cancel() })
	return &emu{srv: srv, url: url, world: w, keyIDs: newKeyIDs()}
}

// stats returns the emulator's counters, without zero entries.
func (e *emu) stats() map[string]int { return e.srv.Stats() }

// memKeyring is an in-memory keyring.Keyring that counts Gets.
type memKeyring struct {
	mu    sync.Mutex
	items map[string][]byte
	gets  atomic.Int32
}

func newKeyring(t *testing.T, profile, id, secret string) *memKeyring {
	kr := &memKeyring{items: map[string][]byte{}}
	if profile != "" {
		if err := keyring.SetKeys(context.Background(), kr, profile, keyring.AccessKeys{AccessKeyID: id, SecretAccessKey: secret}); err != nil {
			t.Fatal(err)
		}
	}
	return kr
}

func (k *memKeyring) Get(_ context.Context, name string) ([]byte, error) {
	k.gets.Add(1)
	k.mu.Lock()
	defer k.mu.Unlock()
	d, ok := k.items[name]
	if !ok {
		return nil, keyring.ErrNotFound
	}
	return append([]byte(nil), d...), nil
}

func (k *memKeyring) Set(_ context.Context, name string, data []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.items[name] = append([]byte(nil), data...)
	return nil
}

func (k *memKeyring) Remove(_ context.Context, name string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.items[name]; !ok {
		return keyring.ErrNotFound
	}
	delete(k.items, name)
	return nil
}

func (k *memKeyring) List(context.Context) ([]string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []string
	for n := range k.items {
		out = append(out, n)
	}
	return out, nil
}

func (k *memKeyring) Backend() string { return "memory" }

// memCache is a cache.Store kept as serialized bytes, as on disk, with
// per-key locks that exclude each other for real (a one-slot channel per
// key), so concurrent Retrieves behave as processes sharing a directory.
type memCache struct {
	mu      sync.Mutex
	entries map[string][]byte
	locks   map[string]chan struct{}
	gets    map[string]int
	puts    int
	fails   map[string][]byte // failure records, serialized
}

func newCache() *memCache {
	return &memCache{entries: map[string][]byte{}, locks: map[string]chan struct{}{}, gets: map[string]int{}, fails: map[string][]byte{}}
}

func (c *memCache) Get(_ context.Context, key string) (cache.Entry, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gets[key]++
	data, ok := c.entries[key]
	if !ok {
		return cache.Entry{}, cache.ErrNotFound
	}
	var e cache.Entry
	if err := json.Unmarshal(data, &e); err != nil {
		return cache.Entry{}, err
	}
	return e, nil
}

func (c *memCache) Put(_ context.Context, key string, e cache.Entry) error {
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[key] = data
	c.puts++
	return nil
}

func (c *memCache) Delete(_ context.Context, key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, key)
	return nil
}

func (c *memCache) List(ctx context.Context) ([]cache.Info, error) {
	c.mu.Lock()
	keys := make([]string, 0, len(c.entries))
	for k := range c.entries {
		keys = append(keys, k)
	}
	c.mu.Unlock()
	sort.Strings(keys)
	var out []cache.Info
	for _, k := range keys {
		var e cache.Entry
		c.mu.Lock()
		_ = json.Unmarshal(c.entries[k], &e)
		c.mu.Unlock()
		out = append(out, cache.Info{Key: k, Profile: e.Profile, Kind: e.Kind, Detail: e.Detail, Root: e.Root, Expiration: e.Expiration})
	}
	return out, nil
}

func (c *memCache) Lock(ctx context.Context, key string) (func(), error) {
	c.mu.Lock()
	ch := c.locks[key]
	if ch == nil {
		ch = make(chan struct{}, 1)
		c.locks[key] = ch
	}
	c.mu.Unlock()
	select {
	case ch <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-ch }) }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *memCache) PutFailure(_ context.Context, key string, f cache.Failure) error {
	data, err := json.Marshal(f)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fails[key] = data
	return nil
}

func (c *memCache) DeleteFailure(_ context.Context, key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.fails, key)
	return nil
}

func (c *memCache) GetFailure(_ context.Context, key string) (cache.Failure, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	data, ok := c.fails[key]
	if !ok {
		return cache.Failure{}, cache.ErrNotFound
	}
	var f cache.Failure
	err := json.Unmarshal(data, &f)
	return f, err
}

// byKind returns the entries of kind ("session", "role").
func (c *memCache) byKind(t *testing.T, kind string) []cache.Info {
	t.Helper()
	all, _ := c.List(context.Background())
	var out []cache.Info
	for _, i := range all {
		if i.Kind == kind {
			out = append(out, i)
		}
	}
	return out
}

// fakeSource is a prompt.Source whose codes come from a function.
type fakeSource struct {
	interactive bool
	code        func(req prompt.Request) (string, error)
	mu          sync.Mutex
	reqs        []prompt.Request
}

func (s *fakeSource) Code(_ context.Context, req prompt.Request) (string, error) {
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	s.mu.Unlock()
	return s.code(req)
}

func (s *fakeSource) Interactive() bool { return s.interactive }

func (s *fakeSource) asked() []prompt.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]prompt.Request(nil), s.reqs...)
}

// totpSource gives the emulator's current unused code.
func (e *emu) totpSource(serial string) *fakeSource {
	return &fakeSource{interactive: true, code: func(prompt.Request) (string, error) { return e.srv.FreshTOTP(serial) }}
}

// wrongCode is a six-digit code that is none of serial's valid ones now.
func (e *emu) wrongCode(t *testing.T, serial string) string {
	t.Helper()
	good, err := e.srv.TOTP(serial)
	if err != nil {
		t.Fatal(err)
	}
	b := []byte(good)
	for i := range b {
		b[i] = '0' + (b[i]-'0'+5)%10
	}
	return string(b)
}

// deps returns Deps for the emulator with src as the prompt.
func (e *emu) deps(kr keyring.Keyring, store cache.Store, src prompt.Source) creds.Deps {
	return creds.Deps{
		Keyring:    kr,
		KeyIDs:     e.keyIDs,
		Cache:      store,
		Env:        config.MapEnv(nil),
		HTTPClient: &http.Client{Timeout: 20 * time.Second},
		Prompt: func(context.Context, string, string) (prompt.Source, error) {
			if src == nil {
				return nil, errors.New("no prompt in this test")
			}
			return src, nil
		},
	}
}

// aliceChain: alice's keyring keys, an MFA session, then roles.
func (e *emu) aliceChain(roles ...config.RoleHop) *config.Chain {
	return &config.Chain{
		Profile:     "work",
		Source:      config.Source{Kind: config.KeyringKeys, Profile: "alice"},
		MFA:         &config.MFASession{Serial: aliceSerial, Duration: 12 * time.Hour, Profile: "alice"},
		Roles:       roles,
		STSEndpoint: e.url,
	}
}

// noSecrets fails when an error text holds a secret.
func noSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	if h, ok := err.(interface{ Hint() string }); ok {
		msg += h.Hint()
	}
	for _, s := range append(secrets, aliceSecret, bobSecret) {
		if s != "" && strings.Contains(msg, s) {
			t.Fatalf("error leaks a secret: %q", msg)
		}
	}
}

func within(t *testing.T, got, want time.Time, slack time.Duration) {
	t.Helper()
	if d := got.Sub(want); d > slack || d < -slack {
		t.Fatalf("expiration %s, want %s ± %s", got, want, slack)
	}
}

// memKeyIDs is a creds.KeyIDs in memory.
type memKeyIDs struct {
	mu  sync.Mutex
	ids map[string]string
	err error // returned by SetKeyID when set
}

func newKeyIDs() *memKeyIDs { return &memKeyIDs{ids: map[string]string{}} }

func (m *memKeyIDs) KeyID(profile string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id, ok := m.ids[profile]
	return id, ok
}

func (m *memKeyIDs) SetKeyID(profile, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	m.ids[profile] = id
	return nil
}

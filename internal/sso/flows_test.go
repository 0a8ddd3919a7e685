package sso_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/awsemu"
	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/debug"
	"github.com/kagi-cli/kagi/internal/sso"
)

const (
	startURL = "https://example.awsapps.com/start"
	alice    = "alice@example.com"
	acctProd = "222222222222"
)

// emu is the emulator with Identity Center, on 127.0.0.1.
type emu struct {
	srv *awsemu.Server
	url string
}

func newEmu(t *testing.T, opts ...awsemu.Option) *emu {
	t.Helper()
	w := &awsemu.World{SSO: &awsemu.SSO{StartURL: startURL, Region: "us-east-1", Users: []awsemu.SSOUser{{
		Name: alice, Assignments: []awsemu.SSOAssignment{{Account: acctProd, AccountName: "prod", Role: "AdministratorAccess"}},
	}}}}
	srv := awsemu.New(w, opts...)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &emu{srv: srv, url: ts.URL}
}

func (e *emu) env(name string) (string, bool) {
	if name == "AWS_ENDPOINT_URL" {
		return e.url, true
	}
	return "", false
}

func (e *emu) count(action string) int { return e.srv.Stats()[action] }

// syncBuffer is Out for a sign-in running in another goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var session = config.SSOSession{Name: "my-sso", StartURL: startURL, Region: "us-east-1", Scopes: []string{"sso:account:access"}}

func newTokens(t *testing.T, e *emu, home string) *sso.Tokens {
	return &sso.Tokens{
		Dir:     filepath.Join(home, ".aws", "sso", "cache"),
		LockDir: filepath.Join(home, "locks"),
		Env:     e.env,
		Out:     &syncBuffer{},
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var userCodeRe = regexp.MustCompile(`user code: ([A-Z0-9]{4}-[A-Z0-9]{4})`)

// approveDevice waits for the user code on out and approves it on the
// emulator's verification page, as a person would submit its form.
func approveDevice(t *testing.T, e *emu, out *syncBuffer) {
	t.Helper()
	var code string
	waitFor(t, "the user code", 10*time.Second, func() bool {
		m := userCodeRe.FindStringSubmatch(out.String())
		if m != nil {
			code = m[1]
		}
		return m != nil
	})
	resp, err := http.Get(e.url + "/device?user_code=" + url.QueryEscape(code))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = http.PostForm(e.url+"/device", url.Values{"user_code": {code}, "user": {alice}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("approving the device code: %s", resp.Status)
	}
}

// The device code flow signs in against the emulator: the token is cached
// in the AWS CLI's file with its fields, 0600 in a 0700 directory, and
// the next Token is served from it with no call.
func TestDeviceCodeLogin(t *testing.T) {
	e := newEmu(t)
	home := t.TempDir()
	tk := newTokens(t, e, home)
	out := tk.Out.(*syncBuffer)
	logged := &syncBuffer{}
	tk.Log = debug.New(logged)
	done := make(chan error, 1)
	go func() { done <- tk.Login(context.Background(), session, true) }()
	approveDevice(t, e, out)
	if err := <-done; err != nil {
		t.Fatalf("Login: %v\n%s", err, out)
	}
	path := sso.TokenPath(tk.Dir, session.CacheKey())
	tok, ok, err := sso.ReadToken(path)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if tok.StartURL != startURL || tok.Region != "us-east-1" || tok.AccessToken == "" || tok.RefreshToken == "" ||
		tok.ClientID == "" || tok.ClientSecret == "" || tok.RegistrationExpiresAt.IsZero() || time.Until(tok.ExpiresAt) < 10*time.Minute {
		t.Fatalf("cached token lacks fields: start %q region %q refresh %v client %v", tok.StartURL, tok.Region, tok.RefreshToken != "", tok.ClientID != "")
	}
	if runtime.GOOS != "windows" {
		fi, _ := os.Stat(path)
		di, _ := os.Stat(tk.Dir)
		if fi.Mode().Perm() != 0o600 || di.Mode().Perm() != 0o700 {
			t.Fatalf("modes: file %v dir %v", fi.Mode(), di.Mode())
		}
	}
	for _, secret := range []string{tok.AccessToken, tok.RefreshToken, tok.ClientSecret} {
		if strings.Contains(out.String(), secret) || strings.Contains(logged.String(), secret) {
			t.Fatalf("a secret reached the output or the debug log:\n%s\n%s", out, logged)
		}
	}
	if !strings.Contains(logged.String(), "sso: registering a client") {
		t.Fatalf("debug log: %s", logged)
	}
	before := e.srv.Stats()
	tk.Interactive = false
	got, err := tk.Token(context.Background(), session)
	if err != nil || got != tok.AccessToken {
		t.Fatalf("Token: %v", err)
	}
	if after := e.srv.Stats(); len(after) != len(before) || after["CreateToken"] != before["CreateToken"] {
		t.Fatalf("a cached token made calls: %v then %v", before, after)
	}
	// A second sign-in reuses the cached client registration.
	out2 := &syncBuffer{}
	tk.Out = out2
	go func() { done <- tk.Login(context.Background(), session, true) }()
	approveDevice(t, e, out2)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if c := e.count("RegisterClient"); c != 1 {
		t.Fatalf("RegisterClient calls: %d, want 1 (the registration is cached)", c)
	}
}

// With no token and no one to ask, Token fails at once with the command
// to run, and calls nothing.
func TestTokenNonInteractiveFailsFast(t *testing.T) {
	e := newEmu(t)
	tk := newTokens(t, e, t.TempDir())
	_, err := tk.Token(context.Background(), session)
	var lr *sso.LoginRequiredError
	if !errors.As(err, &lr) || lr.Hint() != "run kagi sso login --sso-session my-sso" {
		t.Fatalf("error %v", err)
	}
	legacy := config.SSOSession{StartURL: startURL, Region: "us-east-1"}
	_, err = tk.Token(context.Background(), legacy)
	if !errors.As(err, &lr) || !strings.Contains(lr.Hint(), "--profile") {
		t.Fatalf("legacy error %v", err)
	}
	if n := len(e.srv.Stats()); n != 0 {
		t.Fatalf("calls made: %v", e.srv.Stats())
	}
}

// cacheExpired writes the session's cache as `aws sso login` leaves it an
// hour later: the access token expired, the refresh token and the client
// registration valid.
func cacheExpired(t *testing.T, e *emu, tk *sso.Tokens) sso.Token {
	t.Helper()
	m, err := e.srv.MintSSOTokenWithRefresh(alice, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	tok := sso.Token{StartURL: startURL, Region: "us-east-1", AccessToken: m.AccessToken,
		ExpiresAt: time.Now().Add(-time.Minute), ClientID: m.ClientID, ClientSecret: m.ClientSecret,
		RegistrationExpiresAt: time.Unix(m.ClientSecretExpiresAt, 0), RefreshToken: m.RefreshToken}
	if err := sso.WriteToken(sso.TokenPath(tk.Dir, session.CacheKey()), tok); err != nil {
		t.Fatal(err)
	}
	return tok
}

// Many callers with an expired access token and a valid refresh token:
// one CreateToken, every caller gets the new token, the rotated refresh
// token is cached. Each caller has its own Tokens (as processes would),
// sharing only the directories.
func TestConcurrentRefreshIsOneCall(t *testing.T) {
	e := newEmu(t)
	home := t.TempDir()
	old := cacheExpired(t, e, newTokens(t, e, home))
	const n = 12
	tokens := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tokens[i], errs[i] = newTokens(t, e, home).Token(context.Background(), session)
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || tokens[i] != tokens[0] || tokens[i] == old.AccessToken {
			t.Fatalf("caller %d: %v (same as first: %v)", i, errs[i], tokens[i] == tokens[0])
		}
	}
	if c := e.count("CreateToken"); c != 1 {
		t.Fatalf("CreateToken calls: %d, want 1", c)
	}
	tok, _, _ := sso.ReadToken(sso.TokenPath(filepath.Join(home, ".aws", "sso", "cache"), session.CacheKey()))
	if tok.AccessToken != tokens[0] || tok.RefreshToken == old.RefreshToken || tok.RefreshToken == "" || time.Until(tok.ExpiresAt) < 10*time.Minute {
		t.Fatalf("cache after refresh: rotated %v", tok.RefreshToken != old.RefreshToken)
	}
}

// A refresh token the service refuses (spent: another client rotated it)
// with no one to ask: the error says to sign in.
func TestRefusedRefreshNeedsSignIn(t *testing.T) {
	e := newEmu(t)
	home := t.TempDir()
	tk := newTokens(t, e, home)
	old := cacheExpired(t, e, tk)
	if _, err := tk.Token(context.Background(), session); err != nil {
		t.Fatal(err)
	}
	// Put the spent refresh token back, as a stale copy of the file would.
	if err := sso.WriteToken(sso.TokenPath(tk.Dir, session.CacheKey()), old); err != nil {
		t.Fatal(err)
	}
	calls := e.count("CreateToken")
	_, err := tk.Token(context.Background(), session)
	var lr *sso.LoginRequiredError
	if !errors.As(err, &lr) || !strings.Contains(lr.Reason, "refused") {
		t.Fatalf("error %v, want a LoginRequiredError", err)
	}
	if e.count("CreateToken") != calls+1 {
		t.Fatalf("CreateToken calls %d, want %d", e.count("CreateToken"), calls+1)
	}
	// The dead refresh token is not tried again, by this process or any
	// other: callers after it fail at once, with no call.
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := newTokens(t, e, home).Token(context.Background(), session); !errors.As(err, new(*sso.LoginRequiredError)) {
				t.Errorf("error %v, want a LoginRequiredError", err)
			}
		}()
	}
	wg.Wait()
	if e.count("CreateToken") != calls+1 {
		t.Fatalf("CreateToken calls %d after the refusal, want none", e.count("CreateToken")-calls-1)
	}
}

// Logout revokes the token at the portal and removes its file.
func TestLogout(t *testing.T) {
	e := newEmu(t)
	home := t.TempDir()
	tk := newTokens(t, e, home)
	cacheExpired(t, e, tk)
	tok, err := tk.Token(context.Background(), session)
	if err != nil {
		t.Fatal(err)
	}
	removed, err := tk.LogoutAll(context.Background())
	if err != nil || len(removed) != 1 || !removed[0].Revoked || removed[0].StartURL != startURL {
		t.Fatalf("LogoutAll: %+v %v", removed, err)
	}
	if _, err := os.Stat(removed[0].Path); !os.IsNotExist(err) {
		t.Fatalf("token file still there: %v", err)
	}
	if e.count("Logout") != 1 {
		t.Fatalf("stats %v", e.srv.Stats())
	}
	_ = tok
}

// A device code that expires before anyone approves it ends the sign-in
// with that reason (the service's expired_token), and nothing is cached.
func TestDeviceCodeExpires(t *testing.T) {
	var skew atomic.Int64
	e := newEmu(t, awsemu.WithClock(func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }))
	tk := newTokens(t, e, t.TempDir())
	out := tk.Out.(*syncBuffer)
	done := make(chan error, 1)
	go func() { done <- tk.Login(context.Background(), session, true) }()
	waitFor(t, "the user code", 10*time.Second, func() bool { return userCodeRe.MatchString(out.String()) })
	skew.Store(int64(11 * time.Minute)) // the emulator's device codes last 10 minutes
	err := <-done
	if err == nil || !strings.Contains(err.Error(), "the device code expired before it was approved") {
		t.Fatalf("Login: %v", err)
	}
	if _, ok, _ := sso.ReadToken(sso.TokenPath(tk.Dir, session.CacheKey())); ok {
		t.Fatal("a token was cached")
	}
}

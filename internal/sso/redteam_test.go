package sso_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/kagi-cli/kagi/internal/sso"
)

// loopbackLink is the one-time redirect kagi opens the browser on.
var loopbackLink = regexp.MustCompile(`^http://127\.0\.0\.1:\d+/[A-Za-z0-9_-]{43}$`)

// hookTransport runs before on each CreateToken request (POST /token),
// then sends it on.
type hookTransport struct{ before func() }

func (h hookTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == "/token" && h.before != nil {
		h.before()
	}
	return http.DefaultTransport.RoundTrip(r)
}

// Found by the red team: the AWS CLI (or an SDK) takes no kagi lock. When
// it refreshes the token while kagi is refreshing with the same refresh
// token, kagi's refresh is refused (the token was spent), and kagi then
// wrote its own stale copy, without a refresh token, over the file the
// AWS CLI had just written: the new, valid refresh token was lost, and the
// user had to sign in again. kagi must keep the file another program wrote
// meanwhile, and use its token.
func TestRefusedRefreshKeepsATokenAnotherProgramWroteMeanwhile(t *testing.T) {
	e := newEmu(t)
	home := t.TempDir()
	tk := newTokens(t, e, home)
	stale := cacheExpired(t, e, tk)
	if _, err := tk.Token(context.Background(), session); err != nil {
		t.Fatal(err)
	}
	path := sso.TokenPath(tk.Dir, session.CacheKey())
	fresh, ok, err := sso.ReadToken(path) // what "the AWS CLI" refreshed to
	if err != nil || !ok || fresh.RefreshToken == stale.RefreshToken {
		t.Fatalf("after the first refresh: %v %v, refresh token rotated: %v", ok, err, fresh.RefreshToken != stale.RefreshToken)
	}
	// kagi starts from the stale file (spent refresh token); while its
	// CreateToken is on the way, the other program writes its fresh file.
	if err := sso.WriteToken(path, stale); err != nil {
		t.Fatal(err)
	}
	racer := newTokens(t, e, home)
	racer.HTTPClient = &http.Client{Transport: hookTransport{before: func() {
		if err := sso.WriteToken(path, fresh); err != nil {
			t.Error(err)
		}
	}}}
	got, err := racer.Token(context.Background(), session)
	if err != nil {
		t.Fatalf("Token: %v; want the token the other program wrote", err)
	}
	if got != fresh.AccessToken {
		t.Errorf("Token returned another access token than the other program's")
	}
	after, ok, err := sso.ReadToken(path)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if after.RefreshToken != fresh.RefreshToken {
		t.Errorf("the file's refresh token was replaced (empty: %v): the valid one is lost", after.RefreshToken == "")
	}
}

// The red team's attack on the device flow: the verification URL the
// browser is opened on carries the user code, and a process's argv is
// readable by every user of the machine; another user who is also a user
// of the same Identity Center could approve the code as themselves first,
// and this process would be signed in as them. The browser is given a
// one-time loopback link instead, which redirects (once, to this user's
// processes) to the verification URL.
func TestDeviceFlowOpensNoUserCodeInArgv(t *testing.T) {
	e := newEmu(t)
	home := t.TempDir()
	tk := newTokens(t, e, home)
	out := tk.Out.(*syncBuffer)
	opened := make(chan string, 1)
	tk.Opener = func(ctx context.Context, u string) (<-chan error, error) { opened <- u; return nil, nil }
	done := make(chan error, 1)
	go func() { done <- tk.Login(context.Background(), session, true) }()
	var u string
	select {
	case u = <-opened:
	case err := <-done:
		t.Fatalf("Login ended before opening a browser: %v", err)
	}
	if !loopbackLink.MatchString(u) || strings.Contains(u, "user_code") {
		t.Errorf("the browser's argv holds %q, want a one-time loopback link", u)
	}
	// The link sends this user's browser on to the verification page.
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, e.url+"/device") || !strings.Contains(loc, "user_code=") {
		t.Errorf("the link answered %d %q, want a redirect to the verification page with the code", resp.StatusCode, loc)
	}
	approveDevice(t, e, out)
	if err := <-done; err != nil {
		t.Fatalf("Login: %v", err)
	}
}

package sso_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/kagi-cli/kagi/internal/sso"
)

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

package creds_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/awsemu"
	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/creds"
	"github.com/kagi-cli/kagi/internal/debug"
)

const (
	ssoStart = "https://example.awsapps.com/start"
	ssoUser  = "alice@example.com"
	ssoAcct  = "222222222222"
	ssoRole  = "AdministratorAccess"
	// roleFromSSO trusts alice's Identity Center role in ssoAcct by its ARN.
	roleFromSSO = "arn:aws:iam::444444444444:role/deploy"
)

// startSSOEmu is the test world plus Identity Center: alice is assigned
// AdministratorAccess in 222222222222, and a role in 444444444444 trusts it.
func startSSOEmu(t *testing.T) *emu {
	t.Helper()
	w := testWorld(t)
	w.SSO = &awsemu.SSO{StartURL: ssoStart, Region: "eu-west-1", Users: []awsemu.SSOUser{{Name: ssoUser,
		Assignments: []awsemu.SSOAssignment{{Account: ssoAcct, AccountName: "prod", Role: ssoRole}}}}}
	w.Roles = append(w.Roles, awsemu.Role{ARN: roleFromSSO, Trust: awsemu.Trust{Principals: []string{awsemu.SSORoleARN("eu-west-1", ssoAcct, ssoRole)}}})
	srv := awsemu.New(w)
	ctx, cancel := context.WithCancel(context.Background())
	url, stop, err := srv.Start(ctx, "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(); cancel() })
	return &emu{srv: srv, url: url, world: w, keyIDs: newKeyIDs()}
}

// tokens is a Deps.SSOToken that hands out one minted token and counts
// its calls.
type tokens struct {
	tok   string
	err   error
	calls atomic.Int32
	mu    sync.Mutex
	seen  []config.SSOSession
}

func (e *emu) tokens(t *testing.T) *tokens {
	t.Helper()
	tok, err := e.srv.MintSSOToken(ssoUser, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return &tokens{tok: tok}
}

func (k *tokens) token(_ context.Context, s config.SSOSession) (string, error) {
	k.calls.Add(1)
	k.mu.Lock()
	k.seen = append(k.seen, s)
	k.mu.Unlock()
	return k.tok, k.err
}

var corpSession = &config.SSOSession{Name: "corp", StartURL: ssoStart, Region: "eu-west-1"}

func ssoChain(e *emu, roles ...config.RoleHop) *config.Chain {
	return &config.Chain{
		Profile:     "prod-admin",
		Source:      config.Source{Kind: config.SSO, Profile: "prod-admin", SSO: corpSession, SSOAccountID: ssoAcct, SSORoleName: ssoRole, File: "config", Line: 3},
		Roles:       roles,
		STSEndpoint: e.url,
		SSOEndpoint: e.url,
	}
}

// ssoDeps: the portal is reached through AWS_ENDPOINT_URL, as the SDKs do.
func (e *emu) ssoDeps(store *memCache, tk *tokens) creds.Deps {
	d := e.deps(nil, store, nil)
	d.Env = config.MapEnv(map[string]string{"AWS_ENDPOINT_URL": e.url})
	if tk != nil {
		d.SSOToken = tk.token
	}
	return d
}

func TestSSORoleCredentialsThenWarm(t *testing.T) {
	e := startSSOEmu(t)
	ctx := context.Background()
	store := newCache()
	tk := e.tokens(t)
	var logBuf bytes.Buffer
	deps := e.ssoDeps(store, tk)
	deps.Log = debug.New(&logBuf)
	c, err := creds.Retrieve(ctx, ssoChain(e), deps)
	if err != nil {
		t.Fatal(err)
	}
	arn := e.callerARN(t, c)
	want := "arn:aws:sts::" + ssoAcct + ":assumed-role/" + awsemu.SSORoleName(ssoAcct, ssoRole) + "/" + ssoUser
	if arn != want || !strings.Contains(arn, "assumed-role/AWSReservedSSO_AdministratorAccess_") {
		t.Fatalf("caller %s, want %s", arn, want)
	}
	if tk.calls.Load() != 1 || tk.seen[0].Name != "corp" || tk.seen[0].StartURL != ssoStart {
		t.Fatalf("SSOToken calls %d %+v", tk.calls.Load(), tk.seen)
	}
	if got := e.stats(); got["GetRoleCredentials"] != 1 {
		t.Fatalf("stats %v", got)
	}
	if strings.Contains(logBuf.String(), tk.tok) || strings.Contains(logBuf.String(), c.SecretAccessKey) {
		t.Fatal("the debug log shows a secret")
	}
	entries := store.byKind(t, "sso")
	if len(entries) != 1 || entries[0].Profile != "prod-admin" || entries[0].Detail != ssoAcct+"/"+ssoRole {
		t.Fatalf("sso entries %+v", entries)
	}
	keys, err := creds.StepKeys(ctx, ssoChain(e), creds.Deps{Env: deps.Env})
	if err != nil || len(keys) != 1 || keys[0] != entries[0].Key {
		t.Fatalf("StepKeys %q, %v; entry %s", keys, err, entries[0].Key)
	}

	// Warm: another process, the same cache. No token, no portal.
	before := fmt.Sprint(e.stats())
	warm := e.ssoDeps(store, tk)
	warm.SSOToken = func(context.Context, config.SSOSession) (string, error) {
		t.Error("a warm run asked for an access token")
		return "", errors.New("no")
	}
	c2, err := creds.Retrieve(ctx, ssoChain(e), warm)
	if err != nil {
		t.Fatal(err)
	}
	if c2.AccessKeyID != c.AccessKeyID {
		t.Fatalf("warm run got %s, want the cached %s", c2.AccessKeyID, c.AccessKeyID)
	}
	if after := fmt.Sprint(e.stats()); after != before {
		t.Fatalf("warm run called AWS: %s -> %s", before, after)
	}
}

func TestSSOChainedRole(t *testing.T) {
	e := startSSOEmu(t)
	ctx := context.Background()
	store := newCache()
	tk := e.tokens(t)
	hop := config.RoleHop{Profile: "deploy", RoleARN: roleFromSSO, SessionName: "alice-deploy", Chained: true}
	c, err := creds.Retrieve(ctx, ssoChain(e, hop), e.ssoDeps(store, tk))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.callerARN(t, c); got != "arn:aws:sts::444444444444:assumed-role/deploy/alice-deploy" {
		t.Fatalf("caller %s", got)
	}
	if st := e.stats(); st["GetRoleCredentials"] != 1 || st["AssumeRole"] != 1 {
		t.Fatalf("stats %v", st)
	}
	keys, err := creds.StepKeys(ctx, ssoChain(e, hop), creds.Deps{Env: config.MapEnv(map[string]string{"AWS_ENDPOINT_URL": e.url})})
	if err != nil || len(keys) != 2 {
		t.Fatalf("StepKeys %q, %v", keys, err)
	}
	if r := store.byKind(t, "role"); len(r) != 1 || r[0].Key != keys[1] || r[0].Root == "" || r[0].Root != store.byKind(t, "sso")[0].Root {
		t.Fatalf("role entries %+v", r)
	}

	// The role's entry goes: it is made again from the cached SSO role
	// credentials, with no new token and no portal call.
	if err := store.Delete(ctx, keys[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := creds.Retrieve(ctx, ssoChain(e, hop), e.ssoDeps(store, tk)); err != nil {
		t.Fatal(err)
	}
	if st := e.stats(); st["GetRoleCredentials"] != 1 || st["AssumeRole"] != 2 || tk.calls.Load() != 1 {
		t.Fatalf("stats %v, token calls %d", st, tk.calls.Load())
	}
}

func TestSSOTokenRefused(t *testing.T) {
	e := startSSOEmu(t)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		sess *config.SSOSession
		hint string
	}{
		{"session", corpSession, "kagi sso login --sso-session corp"},
		{"legacy", &config.SSOSession{StartURL: ssoStart, Region: "eu-west-1"}, "kagi sso login --profile prod-admin"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tk := &tokens{tok: "not-a-token-the-portal-issued"}
			chain := ssoChain(e)
			chain.Source.SSO = c.sess
			store := newCache()
			_, err := creds.Retrieve(ctx, chain, e.ssoDeps(store, tk))
			var le *creds.SSOLoginError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v (%T), want an SSOLoginError", err, err)
			}
			if !strings.Contains(err.Error(), "UnauthorizedException") || strings.Contains(err.Error(), tk.tok) {
				t.Errorf("err = %v", err)
			}
			if le.Hint() != "sign in with `"+c.hint+"`, then run again" {
				t.Errorf("hint %q", le.Hint())
			}
			if n := len(store.byKind(t, "sso")); n != 0 {
				t.Errorf("%d entries cached", n)
			}
		})
	}
}

func TestSSOTokenErrorKeepsHint(t *testing.T) {
	e := startSSOEmu(t)
	chain := ssoChain(e)
	chain.Source.SSO = &config.SSOSession{StartURL: ssoStart, Region: "eu-west-1"}
	// A token source that does not know the profile (as ssotoken.go).
	tk := &tokens{err: &creds.SSOLoginError{Session: *chain.Source.SSO, Problem: "not signed in"}}
	_, err := creds.Retrieve(context.Background(), chain, e.ssoDeps(newCache(), tk))
	var h interface{ Hint() string }
	if !errors.As(err, &h) || !strings.Contains(h.Hint(), "kagi sso login --profile prod-admin") {
		t.Fatalf("err = %v", err)
	}
	if e.stats()["GetRoleCredentials"] != 0 {
		t.Fatal("the portal was called without a token")
	}
	// No SSOToken at all.
	_, err = creds.Retrieve(context.Background(), ssoChain(e), e.ssoDeps(newCache(), nil))
	if !errors.As(err, &h) || !strings.Contains(h.Hint(), "kagi sso login --sso-session corp") {
		t.Fatalf("err = %v", err)
	}
}

func TestSSONoAssignment(t *testing.T) {
	e := startSSOEmu(t)
	chain := ssoChain(e)
	chain.Source.SSORoleName = "ReadOnlyAccess"
	_, err := creds.Retrieve(context.Background(), chain, e.ssoDeps(newCache(), e.tokens(t)))
	var ae *creds.SSOAssignmentError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v (%T)", err, err)
	}
	if want := `IAM Identity Center gives no access to role "ReadOnlyAccess" in account 222222222222 (profile "prod-admin"): ForbiddenException: No access`; err.Error() != want {
		t.Errorf("err  %s\nwant %s", err, want)
	}
	if !strings.Contains(ae.Hint(), "kagi sso profiles --sso-session corp") || !strings.Contains(ae.Hint(), "(config:3)") {
		t.Errorf("hint %q", ae.Hint())
	}
}

// The portal's endpoint is AWS_ENDPOINT_URL_SSO before AWS_ENDPOINT_URL.
func TestSSOEndpointSetting(t *testing.T) {
	e := startSSOEmu(t)
	deps := e.ssoDeps(newCache(), e.tokens(t))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	chain := ssoChain(e)
	chain.SSOEndpoint = "http://127.0.0.1:1"
	_, err := creds.Retrieve(ctx, chain, deps)
	var ue *creds.UnavailableError
	if !errors.As(err, &ue) || ue.Action != "sso:GetRoleCredentials" || !strings.Contains(ue.Endpoint, "127.0.0.1:1") || !strings.Contains(ue.Hint(), "AWS_ENDPOINT_URL_SSO") {
		t.Fatalf("err = %v", err)
	}
}

// 50 processes on a cold cache: one access token, one GetRoleCredentials.
func TestSSOConcurrentColdCache(t *testing.T) {
	e := startSSOEmu(t)
	store := newCache()
	tk := e.tokens(t)
	hop := config.RoleHop{Profile: "deploy", RoleARN: roleFromSSO, SessionName: "alice-deploy", Chained: true}
	const n = 50
	var wg sync.WaitGroup
	errs := make([]error, n)
	ids := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := creds.Retrieve(context.Background(), ssoChain(e, hop), e.ssoDeps(store, tk))
			errs[i], ids[i] = err, c.AccessKeyID
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("retrieve %d: %v", i, err)
		}
		if ids[i] != ids[0] {
			t.Fatalf("retrieve %d got %s, retrieve 0 %s", i, ids[i], ids[0])
		}
	}
	if st := e.stats(); st["GetRoleCredentials"] != 1 || st["AssumeRole"] != 1 || tk.calls.Load() != 1 {
		t.Fatalf("stats %v, token calls %d", st, tk.calls.Load())
	}
}

// Cached Identity Center role credentials that STS no longer takes (the
// session was revoked) are dropped and fetched again, once, as a cached
// MFA session is.
func TestSSORefusedCachedCredentialsFetchedAgain(t *testing.T) {
	e := startSSOEmu(t)
	ctx := context.Background()
	store := newCache()
	tk := e.tokens(t)
	hop := config.RoleHop{Profile: "deploy", RoleARN: roleFromSSO, SessionName: "alice-deploy", Chained: true}
	if _, err := creds.Retrieve(ctx, ssoChain(e, hop), e.ssoDeps(store, tk)); err != nil {
		t.Fatal(err)
	}
	if n, err := e.srv.Revoke(awsemu.SSORoleARN("eu-west-1", ssoAcct, ssoRole), awsemu.RevokeForget); err != nil || n == 0 {
		t.Fatalf("revoke: %d, %v", n, err)
	}
	for _, r := range store.byKind(t, "role") {
		if err := store.Delete(ctx, r.Key); err != nil {
			t.Fatal(err)
		}
	}
	c, err := creds.Retrieve(ctx, ssoChain(e, hop), e.ssoDeps(store, tk))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.callerARN(t, c); got != "arn:aws:sts::444444444444:assumed-role/deploy/alice-deploy" {
		t.Fatalf("caller %s", got)
	}
	if st := e.stats(); st["GetRoleCredentials"] != 2 || tk.calls.Load() != 2 {
		t.Fatalf("stats %v, token calls %d", st, tk.calls.Load())
	}
}

// TestSSOSignedOutDropsWhatTheTokenGot: once the session's token is gone
// from the AWS CLI's cache (`aws sso logout` knows nothing of kagi's
// cache), a run serves none of the credentials got with it: they are
// dropped, the run goes cold and asks for a token, and another session's
// entries stay.
func TestSSOSignedOutDropsWhatTheTokenGot(t *testing.T) {
	e := startSSOEmu(t)
	ctx := context.Background()
	store := newCache()
	tk := e.tokens(t)
	hop := config.RoleHop{Profile: "deploy", RoleARN: roleFromSSO, SessionName: "alice-deploy", Chained: true}
	signedOut := false
	var asked []string
	deps := e.ssoDeps(store, tk)
	deps.SSOSignedOut = func(s config.SSOSession) bool {
		asked = append(asked, s.Name)
		return signedOut
	}
	if _, err := creds.Retrieve(ctx, ssoChain(e, hop), deps); err != nil {
		t.Fatal(err)
	}
	// An entry of another sign-in, which must stay.
	other := &config.SSOSession{Name: "other", StartURL: "https://other.awsapps.com/start", Region: "eu-west-1"}
	if err := store.Put(ctx, "other-session-entry", cache.Entry{Profile: "x", Kind: "sso", Root: creds.SSORootPrefix(other) + "abc",
		AccessKeyID: "ASIAOTHER", SecretAccessKey: "s", SessionToken: "t", Expiration: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}

	// Warm and signed in: served from the cache, the token file looked at.
	if _, err := creds.Retrieve(ctx, ssoChain(e, hop), deps); err != nil {
		t.Fatal(err)
	}
	if tk.calls.Load() != 1 || len(asked) != 2 || asked[1] != "corp" {
		t.Fatalf("token calls %d, signed-out checks %q", tk.calls.Load(), asked)
	}

	// Signed out: nothing cached is served; the token is asked for (here
	// refused, as with no sign-in and no terminal).
	signedOut = true
	tk.err = errors.New("not signed in")
	if _, err := creds.Retrieve(ctx, ssoChain(e, hop), deps); err == nil || !strings.Contains(err.Error(), "not signed in") {
		t.Fatalf("after the sign-out: %v", err)
	}
	if n := len(store.byKind(t, "role")); n != 0 {
		t.Errorf("%d role entries got with the ended sign-in stayed", n)
	}
	if sso := store.byKind(t, "sso"); len(sso) != 1 || sso[0].Key != "other-session-entry" {
		t.Errorf("sso entries after the sign-out: %+v", sso)
	}
	if tk.calls.Load() != 2 {
		t.Errorf("token calls %d, want the sign-out's run to ask", tk.calls.Load())
	}
}

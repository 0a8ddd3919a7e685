package awsemu_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kagi-cli/kagi/internal/awsemu"
)

func TestGetFederationToken(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	out, err := e.sts(bob()).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("bob"), DurationSeconds: aws.Int32(129600),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	const arn = "arn:aws:sts::111111111111:federated-user/bob"
	if *out.FederatedUser.Arn != arn || *out.FederatedUser.FederatedUserId != "111111111111:bob" {
		t.Errorf("federated user %s %s", *out.FederatedUser.Arn, *out.FederatedUser.FederatedUserId)
	}
	if want := e.clock.Now().Add(36 * time.Hour); out.Credentials.Expiration.Sub(want).Abs() > time.Second {
		t.Errorf("expiration %v, want 36h from now", out.Credentials.Expiration)
	}
	fed := aws.Credentials{AccessKeyID: *out.Credentials.AccessKeyId, SecretAccessKey: *out.Credentials.SecretAccessKey, SessionToken: *out.Credentials.SessionToken}
	id, err := e.sts(fed).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *id.Arn != arn || *id.UserId != "111111111111:bob" || *id.Account != acctUsers {
		t.Errorf("caller %s %s %s", *id.Arn, *id.UserId, *id.Account)
	}

	// Refusals, as STS answers them.
	_, err = e.sts(fed).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("bob")})
	wantAPIError(t, err, "AccessDenied", 403, "Cannot call GetFederationToken with session credentials")
	_, err = e.sts(e.mfaSession(t)).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("alice")})
	wantAPIError(t, err, "AccessDenied", 403, "session credentials")
	_, err = e.sts(bob()).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("bob"), DurationSeconds: aws.Int32(129601)})
	wantAPIError(t, err, "ValidationError", 400, "less than or equal to 129600")
	_, err = e.sts(bob()).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("bob"), DurationSeconds: aws.Int32(899)})
	wantAPIError(t, err, "ValidationError", 400, "greater than or equal to 900")
	_, err = e.sts(bob()).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("b")})
	wantAPIError(t, err, "ValidationError", 400, "'name'")
	_, err = e.sts(bob()).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("a name")})
	wantAPIError(t, err, "ValidationError", 400, "regular expression")
	_, err = e.sts(bob()).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("bob"), Policy: aws.String("{not json")})
	wantAPIError(t, err, "MalformedPolicyDocument", 400, "")
	if d := e.srv.Stats()["GetFederationToken"]; d != 8 {
		t.Errorf("GetFederationToken counted %d times, want 8", d)
	}

	// A federated user calls no IAM operation and no STS one but
	// GetCallerIdentity.
	_, err = e.iam(fed).ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("bob")})
	wantAPIError(t, err, "InvalidClientTokenId", 403, "security token included in the request is invalid")
	_, err = e.iam(fed).GetUser(ctx, &iam.GetUserInput{})
	wantAPIError(t, err, "InvalidClientTokenId", 403, "")
	_, err = e.sts(fed).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	wantAPIError(t, err, "AccessDenied", 403, "Cannot call GetSessionToken with session credentials")
	_, err = e.sts(fed).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::222222222222:role/admin"), RoleSessionName: aws.String("s")})
	wantAPIError(t, err, "AccessDenied", 403, "User: "+arn+" is not authorized to perform: sts:AssumeRole")
}

// federation is a client of the emulator's federation endpoint that keeps
// cookies and does not follow redirects.
type federation struct {
	t    *testing.T
	base string
	hc   *http.Client
}

func (e *env) federation(t *testing.T) *federation {
	jar, _ := cookiejar.New(nil)
	return &federation{t: t, base: e.url, hc: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (f *federation) get(path string, q url.Values) (int, http.Header, string) {
	f.t.Helper()
	u := f.base + path
	if q != nil {
		u += "?" + q.Encode()
	}
	resp, err := f.hc.Get(u)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// signinToken calls getSigninToken with c; duration 0 leaves
// SessionDuration out. It returns the token, or "" and the status and body.
func (f *federation) signinToken(c aws.Credentials, duration int) (string, int, string) {
	f.t.Helper()
	sess, _ := json.Marshal(map[string]string{"sessionId": c.AccessKeyID, "sessionKey": c.SecretAccessKey, "sessionToken": c.SessionToken})
	q := url.Values{"Action": {"getSigninToken"}, "Session": {string(sess)}}
	if duration != 0 {
		q.Set("SessionDuration", strconv.Itoa(duration))
	}
	status, h, body := f.get("/federation", q)
	if status != 200 {
		return "", status, body
	}
	if ct := h.Get("Content-Type"); ct != "application/json" {
		f.t.Errorf("getSigninToken: Content-Type %q", ct)
	}
	var out struct{ SigninToken string }
	if err := json.Unmarshal([]byte(body), &out); err != nil || out.SigninToken == "" {
		f.t.Fatalf("getSigninToken answered %q", body)
	}
	return out.SigninToken, status, body
}

func (f *federation) login(token, dest string) (int, http.Header, string) {
	f.t.Helper()
	return f.get("/federation", url.Values{"Action": {"login"}, "Issuer": {"https://kagi.example"}, "Destination": {dest}, "SigninToken": {token}})
}

// A role session signs in: the token is good once, the redirect leads to
// the console page that shows the role session's ARN and the destination,
// and the console session lives in the server (the cookie), not the URL.
func TestFederationSignsARoleSessionIn(t *testing.T) {
	e := newEnv(t)
	f := e.federation(t)
	role := e.assume(t, bob(), &sts.AssumeRoleInput{RoleArn: aws.String(roleBobOnly), RoleSessionName: aws.String("bob")})
	token, status, body := f.signinToken(role, 43200)
	if token == "" {
		t.Fatalf("getSigninToken: %d %s", status, body)
	}
	const dest = "https://console.aws.amazon.com/ec2/home?region=eu-west-1"
	status, h, _ := f.login(token, dest)
	loc := h.Get("Location")
	if status != http.StatusFound || loc != "/_emu/console?destination="+url.QueryEscape(dest) {
		t.Fatalf("login: %d to %q", status, loc)
	}
	status, _, page := f.get(loc, nil)
	if status != 200 || !strings.Contains(page, "arn:aws:sts::222222222222:assumed-role/bob-only/bob") || !strings.Contains(page, "https://console.aws.amazon.com/ec2/home?region=eu-west-1") {
		t.Fatalf("console page %d:\n%s", status, page)
	}
	// The SessionDuration is the console session's.
	if want := e.clock.Now().Add(12 * time.Hour).UTC().Format(time.RFC3339); !strings.Contains(page, want) {
		t.Errorf("console page does not end at %s:\n%s", want, page)
	}

	// Reused: refused.
	status, _, page = f.login(token, dest)
	if status != http.StatusBadRequest || !strings.Contains(page, "used already") {
		t.Errorf("a reused token: %d\n%s", status, page)
	}
	// Without the cookie there is no console.
	status, _, _ = e.federation(t).get(loc, nil)
	if status != http.StatusUnauthorized {
		t.Errorf("console without a session: %d, want 401", status)
	}
	st := e.srv.Stats()
	if st["getSigninToken"] != 1 || st["login"] != 2 || st["Console"] != 2 {
		t.Errorf("stats %v", st)
	}
	for _, r := range e.srv.Requests() {
		if strings.Contains(mustJSON(t, r), token) || strings.Contains(mustJSON(t, r), role.SecretAccessKey) {
			t.Errorf("the request log holds a secret: %+v", r)
		}
	}
}

func TestSigninTokenExpiresAfter15Minutes(t *testing.T) {
	e := newEnv(t)
	f := e.federation(t)
	role := e.assume(t, bob(), &sts.AssumeRoleInput{RoleArn: aws.String(roleBobOnly), RoleSessionName: aws.String("bob"), DurationSeconds: aws.Int32(3600)})
	late, _, _ := f.signinToken(role, 0)
	inTime, _, _ := f.signinToken(role, 0)
	e.clock.Advance(awsemu.SigninTokenLifetime)
	if status, _, page := f.login(inTime, "https://console.aws.amazon.com/"); status != http.StatusFound {
		t.Fatalf("a token 15 minutes old: %d\n%s", status, page)
	}
	e.clock.Advance(time.Second)
	status, _, page := f.login(late, "https://console.aws.amazon.com/")
	if status != http.StatusBadRequest || !strings.Contains(page, "expired") {
		t.Errorf("a token older than 15 minutes: %d\n%s", status, page)
	}
	if status, _, page := f.login("no-such-token", "https://console.aws.amazon.com/"); status != http.StatusBadRequest || !strings.Contains(page, "invalid") {
		t.Errorf("an unknown token: %d\n%s", status, page)
	}
}

// What getSigninToken accepts: role sessions (SessionDuration only for one
// assumed with long-term keys), federation tokens and Identity Center role
// credentials without SessionDuration; never GetSessionToken credentials
// or long-term keys.
func TestGetSigninTokenRefusals(t *testing.T) {
	e := newSSOEnv(t, ssoWorld(t))
	f := e.federation(t)
	ctx := context.Background()
	fedOut, err := e.sts(bob()).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("bob")})
	if err != nil {
		t.Fatal(err)
	}
	fed := aws.Credentials{AccessKeyID: *fedOut.Credentials.AccessKeyId, SecretAccessKey: *fedOut.Credentials.SecretAccessKey, SessionToken: *fedOut.Credentials.SessionToken}
	session := e.mfaSession(t)
	fromSession := e.assume(t, session, &sts.AssumeRoleInput{RoleArn: aws.String(roleAdmin), RoleSessionName: aws.String("alice")})
	fromKeys := e.assume(t, bob(), &sts.AssumeRoleInput{RoleArn: aws.String(roleBobOnly), RoleSessionName: aws.String("bob")})
	ssoCreds := e.roleCreds(t, e.mint(t, ssoAlice, 0), acctProd, "AdministratorAccess")
	wrong := fromKeys
	wrong.SecretAccessKey = "not-the-secret"

	for _, tc := range []struct {
		name     string
		creds    aws.Credentials
		duration int
		status   int
		body     string
	}{
		{"GetSessionToken", session, 0, 400, "Only federation tokens or assume role tokens may be used for federated login"},
		{"long-term keys", bob(), 0, 400, "Only federation tokens or assume role tokens"},
		{"wrong secret", wrong, 0, 400, "invalid"},
		{"federation token", fed, 0, 200, ""},
		{"federation token with SessionDuration", fed, 3600, 400, "SessionDuration cannot be used"},
		{"role from long-term keys", fromKeys, 3600, 200, ""},
		{"role from long-term keys, 12h", fromKeys, 43200, 200, ""},
		{"role from long-term keys, over 12h", fromKeys, 43201, 400, "from 900 to 43200"},
		{"role from long-term keys, under 15m", fromKeys, 899, 400, "from 900 to 43200"},
		{"role from an MFA session", fromSession, 0, 200, ""},
		{"role from an MFA session with SessionDuration", fromSession, 3600, 400, "SessionDuration cannot be used"},
		{"Identity Center", ssoCreds, 0, 200, ""},
		{"Identity Center with SessionDuration", ssoCreds, 3600, 400, "SessionDuration cannot be used"},
	} {
		token, status, body := f.signinToken(tc.creds, tc.duration)
		if token != "" {
			status = 200
		}
		if status != tc.status || !strings.Contains(body, tc.body) {
			t.Errorf("%s: %d %q, want %d %q", tc.name, status, body, tc.status, tc.body)
		}
	}
	// Expired credentials are refused.
	e.clock.Advance(2 * time.Hour)
	if _, status, body := f.signinToken(fromKeys, 0); status != 400 || !strings.Contains(body, "expired") {
		t.Errorf("expired credentials: %d %q", status, body)
	}
}

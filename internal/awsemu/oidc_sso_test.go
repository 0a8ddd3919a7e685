package awsemu_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kagi-cli/kagi/internal/awsemu"
)

const (
	grantDevice  = "urn:ietf:params:oauth:grant-type:device_code"
	grantCode    = "authorization_code"
	grantRefresh = "refresh_token"
	// The redirect URI the AWS CLI v2 registers; it adds a port when it
	// asks for a code.
	cliRedirect = "http://127.0.0.1/oauth/callback"
)

func (e *env) oidc() *ssooidc.Client {
	cfg := e.config(aws.Credentials{}, false)
	cfg.Credentials = nil
	return ssooidc.NewFromConfig(cfg, func(o *ssooidc.Options) { o.BaseEndpoint = aws.String(e.url) })
}

// register registers a client as the AWS CLI v2 does for an sso-session:
// scopes, and for the authorization-code flow its grant types and
// redirect URI.
func (e *env) register(t *testing.T, authCode bool, scopes ...string) *ssooidc.RegisterClientOutput {
	t.Helper()
	in := &ssooidc.RegisterClientInput{ClientName: aws.String("kagi-test"), ClientType: aws.String("public"), Scopes: scopes}
	if authCode {
		in.GrantTypes = []string{grantCode, grantRefresh}
		in.RedirectUris = []string{cliRedirect}
		in.IssuerUrl = aws.String(ssoStart)
	}
	out, err := e.oidc().RegisterClient(context.Background(), in)
	if err != nil {
		t.Fatalf("RegisterClient: %v", err)
	}
	return out
}

// noRedirects is an HTTP client that shows redirects instead of following
// them, as a test of the sign-in page needs.
var noRedirects = &http.Client{Timeout: 30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func fetch(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func getPage(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fetch(t, req)
}

func postForm(t *testing.T, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return fetch(t, req)
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// submit reads the form of a sign-in page as a browser would (its hidden
// fields, the user select's first option or the given user) and posts it
// with the Allow button.
func submit(t *testing.T, base, page, user string, extra url.Values) (*http.Response, string) {
	t.Helper()
	if !strings.Contains(page, `<button type="submit">Allow</button>`) {
		t.Fatalf("no Allow button on the page:\n%s", page)
	}
	m := regexp.MustCompile(`<form method="post" action="([^"]+)">`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form on the page:\n%s", page)
	}
	form := url.Values{}
	for _, h := range hiddenInput.FindAllStringSubmatch(page, -1) {
		form.Set(h[1], htmlUnescape(h[2]))
	}
	if c := regexp.MustCompile(`name="user_code" value="([^"]*)"`).FindStringSubmatch(page); c != nil {
		form.Set("user_code", c[1])
	}
	if user != "" {
		form.Set("user", user)
	}
	for k, v := range extra {
		form[k] = v
	}
	return postForm(t, base+m[1], form)
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">").Replace(s)
}

func pkce(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-kagi-test-verifier"

// authorizeURL is what the AWS CLI v2 opens.
func (e *env) authorizeURL(clientID, redirect, state, challenge string) string {
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirect}, "state": {state},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "scopes": {"sso:account:access"}}
	return e.url + "/authorize?" + q.Encode()
}

// signInWithCode goes through the sign-in page and returns the code the
// redirect carries.
func (e *env) signInWithCode(t *testing.T, reg *ssooidc.RegisterClientOutput, redirect, user string) string {
	t.Helper()
	resp, page := getPage(t, e.authorizeURL(*reg.ClientId, redirect, "state-4711", pkce(verifier)))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("authorize page: %d\n%s", resp.StatusCode, page)
	}
	resp, body := submit(t, e.url, page, user, nil)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("consent: %d\n%s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := url.Parse(redirect)
	if loc.Scheme != want.Scheme || loc.Host != want.Host || loc.Path != want.Path {
		t.Fatalf("redirected to %s, want %s", loc, redirect)
	}
	if loc.Query().Get("state") != "state-4711" || loc.Query().Get("code") == "" {
		t.Fatalf("redirect %s lacks code or state", loc)
	}
	return loc.Query().Get("code")
}

func (e *env) exchange(reg *ssooidc.RegisterClientOutput, code, redirect, v string) (*ssooidc.CreateTokenOutput, error) {
	return e.oidc().CreateToken(context.Background(), &ssooidc.CreateTokenInput{
		ClientId: reg.ClientId, ClientSecret: reg.ClientSecret, GrantType: aws.String(grantCode),
		Code: aws.String(code), RedirectUri: aws.String(redirect), CodeVerifier: aws.String(v)})
}

func (e *env) refresh(reg *ssooidc.RegisterClientOutput, rt string) (*ssooidc.CreateTokenOutput, error) {
	return e.oidc().CreateToken(context.Background(), &ssooidc.CreateTokenInput{
		ClientId: reg.ClientId, ClientSecret: reg.ClientSecret, GrantType: aws.String(grantRefresh), RefreshToken: aws.String(rt)})
}

func TestOIDCRegisterClient(t *testing.T) {
	e := newSSOEnv(t, ssoWorld(t))
	reg := e.register(t, true, "sso:account:access")
	now := e.clock.Now().Unix()
	if *reg.ClientId == "" || *reg.ClientSecret == "" || reg.ClientIdIssuedAt < now-1 || reg.ClientIdIssuedAt > now ||
		reg.ClientSecretExpiresAt-reg.ClientIdIssuedAt != 90*24*3600 {
		t.Errorf("registration %+v", reg)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		in   *ssooidc.RegisterClientInput
		code string
	}{
		{&ssooidc.RegisterClientInput{ClientName: aws.String("x"), ClientType: aws.String("confidential")}, "InvalidClientMetadataException"},
		{&ssooidc.RegisterClientInput{ClientName: aws.String("x"), ClientType: aws.String("public"), GrantTypes: []string{"password"}}, "InvalidClientMetadataException"},
		{&ssooidc.RegisterClientInput{ClientName: aws.String("x"), ClientType: aws.String("public"), GrantTypes: []string{grantCode},
			RedirectUris: []string{"https://evil.example/callback"}}, "InvalidRedirectUriException"},
		{&ssooidc.RegisterClientInput{ClientName: aws.String("x"), ClientType: aws.String("public"), GrantTypes: []string{grantCode},
			RedirectUris: []string{"http://192.0.2.1/oauth/callback"}}, "InvalidRedirectUriException"},
		{&ssooidc.RegisterClientInput{ClientName: aws.String("x"), ClientType: aws.String("public"), GrantTypes: []string{grantCode}}, "InvalidRedirectUriException"},
		{&ssooidc.RegisterClientInput{ClientName: aws.String("x"), ClientType: aws.String("public"), Scopes: []string{"bad scope"}}, "InvalidScopeException"},
	} {
		_, err := e.oidc().RegisterClient(ctx, tc.in)
		wantAPIError(t, err, tc.code, http.StatusBadRequest, "")
	}
}

// The OIDC service's errors carry the type in x-amzn-ErrorType and the
// OAuth error in the body, as the real service answers (no __type).
func TestOIDCErrorWireShape(t *testing.T) {
	e := newSSOEnv(t, ssoWorld(t))
	resp, err := http.Post(e.url+"/token", "application/json", strings.NewReader(`{"clientId":"nope","clientSecret":"nope","grantType":"refresh_token","refreshToken":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("X-Amzn-Errortype"), "InvalidClientException:") ||
		body["error"] != "invalid_client" || body["error_description"] == "" || body["__type"] != "" {
		t.Errorf("%d %v %v", resp.StatusCode, resp.Header, body)
	}
}

func TestOIDCDeviceCodeGrant(t *testing.T) {
	e := newSSOEnv(t, ssoWorld(t))
	ctx := context.Background()
	reg := e.register(t, false, "sso:account:access")
	start, err := e.oidc().StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{
		ClientId: reg.ClientId, ClientSecret: reg.ClientSecret, StartUrl: aws.String(ssoStart)})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[A-Z]{4}-[A-Z]{4}$`).MatchString(*start.UserCode) || *start.VerificationUri != e.url+"/device" ||
		*start.VerificationUriComplete != e.url+"/device?user_code="+*start.UserCode || start.ExpiresIn != 600 || start.Interval != 1 {
		t.Errorf("device authorization %+v", start)
	}
	poll := func() (*ssooidc.CreateTokenOutput, error) {
		return e.oidc().CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
			GrantType: aws.String(grantDevice), DeviceCode: start.DeviceCode})
	}
	_, err = poll()
	wantAPIError(t, err, "AuthorizationPendingException", http.StatusBadRequest, "")
	_, err = poll()
	wantAPIError(t, err, "SlowDownException", http.StatusBadRequest, "")
	e.clock.Advance(time.Second)
	_, err = poll()
	wantAPIError(t, err, "AuthorizationPendingException", http.StatusBadRequest, "")

	// The verification page, opened at verificationUriComplete, has the
	// code filled in; Allow approves it.
	resp, page := getPage(t, *start.VerificationUriComplete)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `value="`+*start.UserCode+`"`) {
		t.Fatalf("verification page: %d\n%s", resp.StatusCode, page)
	}
	resp, body := submit(t, e.url, page, "", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "approved") {
		t.Fatalf("approval: %d\n%s", resp.StatusCode, body)
	}
	e.clock.Advance(time.Second)
	tok, err := poll()
	if err != nil {
		t.Fatal(err)
	}
	if *tok.TokenType != "Bearer" || tok.ExpiresIn != 3600 || aws.ToString(tok.RefreshToken) == "" {
		t.Errorf("token %+v", tok)
	}
	e.roleCreds(t, *tok.AccessToken, acctProd, "AdministratorAccess")
	// A device code is good for one token.
	e.clock.Advance(time.Second)
	_, err = poll()
	wantAPIError(t, err, "InvalidGrantException", http.StatusBadRequest, "")
	// An approved code cannot be approved again.
	resp, _ = submit(t, e.url, page, "", nil)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("second approval: %d", resp.StatusCode)
	}
}

func TestOIDCDeviceCodeDeniedExpiredAndLegacy(t *testing.T) {
	e := newSSOEnv(t, ssoWorld(t))
	ctx := context.Background()
	// A client without scopes (the AWS CLI's legacy profiles) gets no
	// refresh token, and an access token for the whole session.
	reg := e.register(t, false)
	startDev := func() *ssooidc.StartDeviceAuthorizationOutput {
		out, err := e.oidc().StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{
			ClientId: reg.ClientId, ClientSecret: reg.ClientSecret, StartUrl: aws.String(ssoStart + "/")})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	poll := func(dc *string) (*ssooidc.CreateTokenOutput, error) {
		return e.oidc().CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
			GrantType: aws.String(grantDevice), DeviceCode: dc})
	}
	denied := startDev()
	_, page := getPage(t, *denied.VerificationUri)
	// Typed by hand: lower case, no hyphen.
	if resp, body := submit(t, e.url, page, "", url.Values{"user_code": {strings.ToLower(strings.ReplaceAll(*denied.UserCode, "-", ""))}, "deny": {"1"}}); resp.StatusCode != http.StatusOK || !strings.Contains(body, "denied") {
		t.Fatalf("deny: %d %s", resp.StatusCode, body)
	}
	_, err := poll(denied.DeviceCode)
	wantAPIError(t, err, "AccessDeniedException", http.StatusBadRequest, "")

	expired := startDev()
	e.clock.Advance(10 * time.Minute)
	_, err = poll(expired.DeviceCode)
	wantAPIError(t, err, "ExpiredTokenException", http.StatusBadRequest, "")

	legacy := startDev()
	_, page = getPage(t, *legacy.VerificationUriComplete)
	submit(t, e.url, page, "", nil)
	tok, err := poll(legacy.DeviceCode)
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken != nil || tok.ExpiresIn != 8*3600 {
		t.Errorf("legacy client: refresh token %v, expires in %d", tok.RefreshToken, tok.ExpiresIn)
	}

	// Another client's device code, a wrong secret, a wrong start URL.
	other := e.register(t, false)
	_, err = e.oidc().CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: other.ClientId, ClientSecret: other.ClientSecret,
		GrantType: aws.String(grantDevice), DeviceCode: legacy.DeviceCode})
	wantAPIError(t, err, "InvalidGrantException", http.StatusBadRequest, "")
	_, err = e.oidc().StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{
		ClientId: reg.ClientId, ClientSecret: other.ClientSecret, StartUrl: aws.String(ssoStart)})
	wantAPIError(t, err, "InvalidClientException", http.StatusUnauthorized, "")
	_, err = e.oidc().StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{
		ClientId: reg.ClientId, ClientSecret: reg.ClientSecret, StartUrl: aws.String("https://other.awsapps.com/start")})
	wantAPIError(t, err, "InvalidRequestException", http.StatusBadRequest, "")
	// A client registered for the authorization-code flow only may not
	// start a device authorization.
	ac := e.register(t, true, "sso:account:access")
	_, err = e.oidc().StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{
		ClientId: ac.ClientId, ClientSecret: ac.ClientSecret, StartUrl: aws.String(ssoStart)})
	wantAPIError(t, err, "UnauthorizedClientException", http.StatusBadRequest, "")
	// Registrations expire after 90 days.
	e.clock.Advance(90 * 24 * time.Hour)
	_, err = e.oidc().StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{
		ClientId: reg.ClientId, ClientSecret: reg.ClientSecret, StartUrl: aws.String(ssoStart)})
	wantAPIError(t, err, "InvalidClientException", http.StatusUnauthorized, "")
}

func TestOIDCAuthorizationCodeGrant(t *testing.T) {
	e := newSSOEnv(t, ssoWorld(t))
	reg := e.register(t, true, "sso:account:access")
	redirect := "http://127.0.0.1:43210/oauth/callback"

	code := e.signInWithCode(t, reg, redirect, "")
	tok, err := e.exchange(reg, code, redirect, verifier)
	if err != nil {
		t.Fatal(err)
	}
	if tok.ExpiresIn != 3600 || aws.ToString(tok.RefreshToken) == "" {
		t.Errorf("token %+v", tok)
	}
	e.roleCreds(t, *tok.AccessToken, acctDev, "PowerUserAccess")
	// Codes are single use; a replay also ends what the code gave.
	_, err = e.exchange(reg, code, redirect, verifier)
	wantAPIError(t, err, "InvalidGrantException", http.StatusBadRequest, "")
	_, err = e.sso().ListAccounts(context.Background(), &sso.ListAccountsInput{AccessToken: tok.AccessToken})
	wantAPIError(t, err, "UnauthorizedException", http.StatusUnauthorized, "")

	// PKCE: the verifier must hash to the challenge.
	code = e.signInWithCode(t, reg, redirect, "")
	_, err = e.exchange(reg, code, redirect, strings.Replace(verifier, "d", "e", 1))
	wantAPIError(t, err, "InvalidGrantException", http.StatusBadRequest, "")
	_, err = e.exchange(reg, code, redirect, verifier) // spent by the failed attempt
	wantAPIError(t, err, "InvalidGrantException", http.StatusBadRequest, "")
	// A verifier too short for RFC 7636.
	code = e.signInWithCode(t, reg, redirect, "")
	_, err = e.exchange(reg, code, redirect, "short")
	wantAPIError(t, err, "InvalidGrantException", http.StatusBadRequest, "")

	// The redirect URI must be the authorization request's.
	code = e.signInWithCode(t, reg, redirect, "")
	_, err = e.exchange(reg, code, "http://127.0.0.1:43211/oauth/callback", verifier)
	wantAPIError(t, err, "InvalidGrantException", http.StatusBadRequest, "")

	// Codes expire.
	code = e.signInWithCode(t, reg, redirect, "")
	e.clock.Advance(10 * time.Minute)
	_, err = e.exchange(reg, code, redirect, verifier)
	wantAPIError(t, err, "InvalidGrantException", http.StatusBadRequest, "")

	// Another client cannot use the code.
	other := e.register(t, true, "sso:account:access")
	code = e.signInWithCode(t, reg, redirect, "")
	_, err = e.exchange(other, code, redirect, verifier)
	wantAPIError(t, err, "InvalidGrantException", http.StatusBadRequest, "")

	// A client registered for authorization_code and refresh_token may not
	// use the device code grant.
	_, err = e.oidc().CreateToken(context.Background(), &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		GrantType: aws.String(grantDevice), DeviceCode: aws.String("x")})
	wantAPIError(t, err, "UnauthorizedClientException", http.StatusBadRequest, "")
	_, err = e.oidc().CreateToken(context.Background(), &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		GrantType: aws.String("password")})
	wantAPIError(t, err, "UnsupportedGrantTypeException", http.StatusBadRequest, "")
}

func TestOIDCSignInPageRefusals(t *testing.T) {
	e := newSSOEnv(t, ssoWorld(t))
	reg := e.register(t, true, "sso:account:access")
	ch := pkce(verifier)
	// Errors about the client or the redirect URI are shown, not redirected.
	for name, u := range map[string]string{
		"unknown client":      e.authorizeURL("nope", "http://127.0.0.1:5000/oauth/callback", "s", ch),
		"non-loopback":        e.authorizeURL(*reg.ClientId, "http://evil.example:5000/oauth/callback", "s", ch),
		"https loopback":      e.authorizeURL(*reg.ClientId, "https://127.0.0.1:5000/oauth/callback", "s", ch),
		"unregistered path":   e.authorizeURL(*reg.ClientId, "http://127.0.0.1:5000/other", "s", ch),
		"unregistered host":   e.authorizeURL(*reg.ClientId, "http://localhost:5000/oauth/callback", "s", ch),
		"missing redirectUri": e.authorizeURL(*reg.ClientId, "", "s", ch),
	} {
		resp, body := getPage(t, u)
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || strings.Contains(body, "Allow") {
			t.Errorf("%s: %d %q", name, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	// The rest go back to the client with error and state.
	redirect := "http://127.0.0.1:5000/oauth/callback"
	for name, mod := range map[string]func(url.Values){
		"no challenge":   func(q url.Values) { q.Del("code_challenge") },
		"plain method":   func(q url.Values) { q.Set("code_challenge_method", "plain") },
		"token response": func(q url.Values) { q.Set("response_type", "token") },
		"unknown scope":  func(q url.Values) { q.Set("scopes", "sso:account:access admin") },
	} {
		u, _ := url.Parse(e.authorizeURL(*reg.ClientId, redirect, "s-1", ch))
		q := u.Query()
		mod(q)
		u.RawQuery = q.Encode()
		resp, _ := getPage(t, u.String())
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || loc == nil || !strings.HasPrefix(loc.String(), redirect+"?") ||
			loc.Query().Get("error") == "" || loc.Query().Get("state") != "s-1" || loc.Query().Get("code") != "" {
			t.Errorf("%s: %d %s", name, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	// Deny on the page: access_denied back to the client.
	_, page := getPage(t, e.authorizeURL(*reg.ClientId, redirect, "s-2", ch))
	resp, _ := submit(t, e.url, page, "", url.Values{"deny": {"1"}})
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "s-2" {
		t.Errorf("deny: %d %s", resp.StatusCode, loc)
	}
	// A forged consent for a user the world does not have.
	resp, _ = submit(t, e.url, page, "mallory@example.com", nil)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown user: %d", resp.StatusCode)
	}
}

func TestOIDCSignInPageWithSeveralUsers(t *testing.T) {
	e := newSSOEnv(t, ssoWorld(t,
		awsemu.SSOUser{Name: ssoAlice, Assignments: []awsemu.SSOAssignment{{Account: acctProd, Role: "AdministratorAccess"}}},
		awsemu.SSOUser{Name: ssoCarol, Assignments: []awsemu.SSOAssignment{{Account: acctDev, Role: "ReadOnlyAccess"}}}))
	reg := e.register(t, true, "sso:account:access")
	redirect := "http://[::1]:5000/oauth/callback"
	e.register(t, true) // another registration does not matter
	regV6, err := e.oidc().RegisterClient(context.Background(), &ssooidc.RegisterClientInput{ClientName: aws.String("v6"),
		ClientType: aws.String("public"), GrantTypes: []string{grantCode, grantRefresh}, RedirectUris: []string{"http://[::1]/oauth/callback"},
		Scopes: []string{"sso:account:access"}})
	if err != nil {
		t.Fatal(err)
	}
	_ = reg
	_, page := getPage(t, e.authorizeURL(*regV6.ClientId, redirect, "s", pkce(verifier)))
	if !strings.Contains(page, `<select name="user">`) || !strings.Contains(page, ssoCarol) {
		t.Fatalf("no user select:\n%s", page)
	}
	code := e.signInWithCode(t, regV6, redirect, ssoCarol)
	tok, err := e.exchange(regV6, code, redirect, verifier)
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.sso().ListAccounts(context.Background(), &sso.ListAccountsInput{AccessToken: tok.AccessToken})
	if err != nil || len(out.AccountList) != 1 || *out.AccountList[0].AccountId != acctDev {
		t.Fatalf("carol's accounts: %v %v", out, err)
	}
}

func TestOIDCRefreshTokenRotates(t *testing.T) {
	e := newSSOEnv(t, ssoWorld(t))
	reg := e.register(t, true, "sso:account:access")
	redirect := "http://127.0.0.1:5000/oauth/callback"
	tok, err := e.exchange(reg, e.signInWithCode(t, reg, redirect, ""), redirect, verifier)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	_, err = e.sso().ListAccounts(context.Background(), &sso.ListAccountsInput{AccessToken: tok.AccessToken})
	wantAPIError(t, err, "UnauthorizedException", http.StatusUnauthorized, "")

	next, err := e.refresh(reg, *tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if *next.RefreshToken == *tok.RefreshToken || *next.AccessToken == *tok.AccessToken {
		t.Error("refresh did not rotate the tokens")
	}
	e.roleCreds(t, *next.AccessToken, acctProd, "AdministratorAccess")
	// The old refresh token is spent.
	_, err = e.refresh(reg, *tok.RefreshToken)
	wantAPIError(t, err, "InvalidGrantException", http.StatusBadRequest, "")
	var ige *types.InvalidGrantException
	if !errors.As(err, &ige) || aws.ToString(ige.Error_description) != "Invalid refresh token provided" {
		t.Errorf("%v: not an InvalidGrantException with the service's description", err)
	}
	// Only its client may use it.
	other := e.register(t, true, "sso:account:access")
	_, err = e.refresh(other, *next.RefreshToken)
	wantAPIError(t, err, "InvalidGrantException", http.StatusBadRequest, "")

	// The session (8 hours from sign-in) bounds refreshes and access tokens.
	e.clock.Advance(6*time.Hour + 59*time.Minute + 30*time.Second)
	last, err := e.refresh(reg, *next.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if last.ExpiresIn > 30 {
		t.Errorf("an access token outlives its session: %ds", last.ExpiresIn)
	}
	e.clock.Advance(30 * time.Second)
	_, err = e.refresh(reg, *last.RefreshToken)
	wantAPIError(t, err, "InvalidGrantException", http.StatusBadRequest, "")
}

func TestOIDCLogoutEndsRefreshTokens(t *testing.T) {
	e := newSSOEnv(t, ssoWorld(t))
	reg := e.register(t, true, "sso:account:access")
	redirect := "http://127.0.0.1:5000/oauth/callback"
	tok, err := e.exchange(reg, e.signInWithCode(t, reg, redirect, ""), redirect, verifier)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.sso().Logout(context.Background(), &sso.LogoutInput{AccessToken: tok.AccessToken}); err != nil {
		t.Fatal(err)
	}
	_, err = e.refresh(reg, *tok.RefreshToken)
	wantAPIError(t, err, "InvalidGrantException", http.StatusBadRequest, "")
}

func TestOIDCTokenLifetimeFaults(t *testing.T) {
	e := newSSOEnv(t, ssoWorld(t))
	if err := e.srv.SetFaults(awsemu.Faults{SSOAccessTokenSeconds: 5, SSORefreshTokenSeconds: 60}); err != nil {
		t.Fatal(err)
	}
	reg := e.register(t, true, "sso:account:access")
	redirect := "http://127.0.0.1:5000/oauth/callback"
	tok, err := e.exchange(reg, e.signInWithCode(t, reg, redirect, ""), redirect, verifier)
	if err != nil {
		t.Fatal(err)
	}
	if tok.ExpiresIn != 5 {
		t.Errorf("sso_access_token_seconds 5: expiresIn %d", tok.ExpiresIn)
	}
	e.clock.Advance(5 * time.Second)
	_, err = e.sso().ListAccounts(context.Background(), &sso.ListAccountsInput{AccessToken: tok.AccessToken})
	wantAPIError(t, err, "UnauthorizedException", http.StatusUnauthorized, "")
	next, err := e.refresh(reg, *tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(55 * time.Second)
	_, err = e.refresh(reg, *next.RefreshToken)
	wantAPIError(t, err, "InvalidGrantException", http.StatusBadRequest, "")

	// The minted tokens follow the faults too.
	m, err := e.srv.MintSSOTokenWithRefresh(ssoAlice, 0)
	if err != nil || m.ExpiresIn != 5 {
		t.Fatalf("minted %+v %v", m, err)
	}
	e.clock.Advance(10 * time.Second)
	fresh, err := e.refresh(&ssooidc.RegisterClientOutput{ClientId: &m.ClientID, ClientSecret: &m.ClientSecret}, m.RefreshToken)
	if err != nil {
		t.Fatalf("refreshing a minted token: %v", err)
	}
	e.roleCreds(t, *fresh.AccessToken, acctProd, "AdministratorAccess")

	var grants []string
	for _, r := range e.srv.Requests() {
		if r.Action == "CreateToken" {
			grants = append(grants, r.Grant+" "+r.Caller+" "+r.Code)
		}
	}
	want := "authorization_code alice@example.com |refresh_token alice@example.com |refresh_token  InvalidGrantException|refresh_token alice@example.com "
	if got := strings.Join(grants, "|"); got != want {
		t.Errorf("CreateToken log:\n%s\nwant\n%s", got, want)
	}
	st := e.srv.Stats()
	if st["CreateToken"] != 4 || st["RegisterClient"] != 1 || st["Authorize"] != 1 || st["AuthorizeConsent"] != 1 {
		t.Errorf("stats %v", st)
	}
}

// The AWS SDK for Go v2's own SSO providers (what Terraform uses) refresh a
// cached token against the emulator, write the rotated one back, and get
// role credentials from the portal.
func TestOIDCWithTheGoSDKsSSOProviders(t *testing.T) {
	e := newSSOEnv(t, ssoWorld(t))
	m, err := e.srv.MintSSOTokenWithRefresh(ssoAlice, 0)
	if err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(t.TempDir(), "token.json")
	expired := e.clock.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	regExp := time.Unix(m.ClientSecretExpiresAt, 0).UTC().Format(time.RFC3339)
	doc := `{"startUrl":"` + ssoStart + `","region":"us-east-1","accessToken":"` + m.AccessToken + `","expiresAt":"` + expired +
		`","clientId":"` + m.ClientID + `","clientSecret":"` + m.ClientSecret + `","registrationExpiresAt":"` + regExp +
		`","refreshToken":"` + m.RefreshToken + `"}`
	if err := os.WriteFile(cache, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	tp := ssocreds.NewSSOTokenProvider(e.oidc(), cache)
	p := ssocreds.New(e.sso(), acctProd, "AdministratorAccess", ssoStart, func(o *ssocreds.Options) { o.SSOTokenProvider = tp })
	creds, err := p.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.sts(creds).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil || !strings.Contains(*out.Arn, ":assumed-role/AWSReservedSSO_AdministratorAccess_") {
		t.Fatalf("caller %v %v", out, err)
	}
	if !creds.CanExpire || creds.Expires.Sub(e.clock.Now()) > time.Hour || creds.Expires.Sub(e.clock.Now()) < 59*time.Minute {
		t.Errorf("expiry %v", creds.Expires)
	}
	b, err := os.ReadFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	var after map[string]any
	if err := json.Unmarshal(b, &after); err != nil {
		t.Fatal(err)
	}
	if after["refreshToken"] == m.RefreshToken || after["accessToken"] == m.AccessToken {
		t.Errorf("the SDK did not write rotated tokens back: %v", after)
	}
	// The old refresh token is spent.
	_, err = e.refresh(&ssooidc.RegisterClientOutput{ClientId: &m.ClientID, ClientSecret: &m.ClientSecret}, m.RefreshToken)
	wantAPIError(t, err, "InvalidGrantException", http.StatusBadRequest, "")
}

// auto_allow puts a script on the pages that clicks Allow (the first
// submit button); the device page has it only with a code to approve.
func TestSSOPagesAutoAllow(t *testing.T) {
	const script = `<script>document.querySelector("form button[type=submit]").click();</script>`
	for _, auto := range []bool{false, true} {
		w := ssoWorld(t)
		w.SSO.AutoAllow = auto
		e := newSSOEnv(t, w)
		reg := e.register(t, true, "sso:account:access")
		_, page := getPage(t, e.authorizeURL(*reg.ClientId, "http://127.0.0.1:5000/oauth/callback", "s", pkce(verifier)))
		_, withCode := getPage(t, e.url+"/device?user_code=BCDF-GHJK")
		_, without := getPage(t, e.url+"/device")
		if strings.Contains(page, script) != auto || strings.Contains(withCode, script) != auto || strings.Contains(without, script) {
			t.Errorf("auto_allow %v: script on the authorize page %v, device page with a code %v, without %v",
				auto, strings.Contains(page, script), strings.Contains(withCode, script), strings.Contains(without, script))
		}
		if i, j := strings.Index(page, `<button type="submit">Allow</button>`), strings.Index(page, `name="deny"`); i < 0 || j < i {
			t.Error("Allow is not the form's first button")
		}
	}
}

func TestSSOControlApprovesDevices(t *testing.T) {
	e := newSSOEnv(t, ssoWorld(t))
	ctx := context.Background()
	reg := e.register(t, false, "sso:account:access")
	start := func() *ssooidc.StartDeviceAuthorizationOutput {
		out, err := e.oidc().StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{
			ClientId: reg.ClientId, ClientSecret: reg.ClientSecret, StartUrl: aws.String(ssoStart)})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	dev := start()
	resp, err := http.Post(e.url+"/_emu/sso/approve", "application/json", strings.NewReader(`{"user_code":"`+*dev.UserCode+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	if _, err := e.oidc().CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		GrantType: aws.String(grantDevice), DeviceCode: dev.DeviceCode}); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.ApproveDevice(*dev.UserCode, ""); err == nil {
		t.Error("approved a consumed device authorization")
	}
	if err := e.srv.ApproveDevice(*start().UserCode, "mallory@example.com"); err == nil {
		t.Error("approved for a user the world does not have")
	}
	if err := e.srv.ApproveDevice("BCDF-GHJK", ""); err == nil {
		t.Error("approved an unknown code")
	}
}

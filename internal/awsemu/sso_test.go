package awsemu_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kagi-cli/kagi/internal/awsemu"
)

const (
	ssoStart  = "https://example.awsapps.com/start"
	ssoAlice  = "alice@example.com"
	ssoCarol  = "carol@example.com"
	acctDev   = "444444444444"
	roleFrom  = "arn:aws:iam::222222222222:role/from-sso"  // trusts the account's root
	roleNamed = "arn:aws:iam::222222222222:role/named-sso" // trusts alice's AWSReservedSSO role by ARN
	roleNoSSO = "arn:aws:iam::222222222222:role/no-sso"    // trusts another account only
)

// ssoWorld is the test world plus Identity Center: alice with two roles in
// prod and one in dev, carol with one in dev.
func ssoWorld(t testing.TB, users ...awsemu.SSOUser) *awsemu.World {
	w := testWorld(t)
	if users == nil {
		users = []awsemu.SSOUser{{Name: ssoAlice, Assignments: []awsemu.SSOAssignment{
			{Account: acctProd, AccountName: "prod", AccountEmail: "prod@example.com", Role: "AdministratorAccess"},
			{Account: acctProd, AccountName: "prod", Role: "ReadOnlyAccess"},
			{Account: acctDev, AccountName: "dev", Role: "PowerUserAccess"},
		}}}
	}
	w.SSO = &awsemu.SSO{StartURL: ssoStart, Region: "us-east-1", Users: users}
	w.Roles = append(w.Roles,
		awsemu.Role{ARN: roleFrom, Trust: awsemu.Trust{Principals: []string{"arn:aws:iam::222222222222:root"}}},
		awsemu.Role{ARN: roleNamed, Trust: awsemu.Trust{Principals: []string{awsemu.SSORoleARN("us-east-1", acctProd, "ReadOnlyAccess")}}},
		awsemu.Role{ARN: roleNoSSO, Trust: awsemu.Trust{Principals: []string{"arn:aws:iam::111111111111:root"}}},
	)
	return w
}

func newSSOEnv(t *testing.T, w *awsemu.World) *env {
	t.Helper()
	c := newClock()
	srv := awsemu.New(w, awsemu.WithClock(c.Now))
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &env{srv: srv, url: ts.URL, clock: c, world: w}
}

// sso is the portal client: no credentials (the portal's operations are
// unsigned; the bearer token is a parameter).
func (e *env) sso() *sso.Client {
	cfg := e.config(aws.Credentials{}, false)
	cfg.Credentials = nil
	return sso.NewFromConfig(cfg, func(o *sso.Options) { o.BaseEndpoint = aws.String(e.url) })
}

func (e *env) mint(t *testing.T, user string, ttl time.Duration) string {
	t.Helper()
	tok, err := e.srv.MintSSOToken(user, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (e *env) roleCreds(t *testing.T, token, account, role string) aws.Credentials {
	t.Helper()
	out, err := e.sso().GetRoleCredentials(context.Background(), &sso.GetRoleCredentialsInput{
		AccessToken: aws.String(token), AccountId: aws.String(account), RoleName: aws.String(role)})
	if err != nil {
		t.Fatalf("GetRoleCredentials %s/%s: %v", account, role, err)
	}
	rc := out.RoleCredentials
	return aws.Credentials{AccessKeyID: *rc.AccessKeyId, SecretAccessKey: *rc.SecretAccessKey, SessionToken: *rc.SessionToken,
		CanExpire: true, Expires: time.UnixMilli(rc.Expiration)}
}

func TestSSORoleCredentialsAreRealToSTS(t *testing.T) {
	e := newSSOEnv(t, ssoWorld(t))
	tok := e.mint(t, ssoAlice, 0)
	creds := e.roleCreds(t, tok, acctProd, "AdministratorAccess")
	if !strings.HasPrefix(creds.AccessKeyID, "ASIA") {
		t.Errorf("access key %q is not a temporary one", creds.AccessKeyID)
	}
	if d := creds.Expires.Sub(e.clock.Now()); d < 59*time.Minute || d > time.Hour {
		t.Errorf("role credentials last %v, want the permission set's hour", d)
	}
	out, err := e.sts(creds).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_AdministratorAccess_[0-9a-f]{16}/alice@example\.com$`)
	if !re.MatchString(*out.Arn) {
		t.Errorf("caller %s does not match %s", *out.Arn, re)
	}
	if *out.Account != acctProd {
		t.Errorf("account %s", *out.Account)
	}
	if want := "arn:aws:sts::222222222222:assumed-role/" + awsemu.SSORoleName(acctProd, "AdministratorAccess") + "/" + ssoAlice; *out.Arn != want {
		t.Errorf("caller %s, want %s (SSORoleName)", *out.Arn, want)
	}

	// Their expiry is honoured (a lifetime the signature window can
	// reach).
	if err := e.srv.SetFaults(awsemu.Faults{CredentialLifetimeSeconds: 60}); err != nil {
		t.Fatal(err)
	}
	short := e.roleCreds(t, tok, acctProd, "AdministratorAccess")
	if d := short.Expires.Sub(e.clock.Now()); d > time.Minute || d < 59*time.Second {
		t.Errorf("credential_lifetime_seconds 60: role credentials last %v", d)
	}
	if _, err := e.sts(short).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	_, err = e.sts(short).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "ExpiredToken", http.StatusBadRequest, "")
}

func TestSSORoleCredentialsAssumeRoles(t *testing.T) {
	e := newSSOEnv(t, ssoWorld(t))
	tok := e.mint(t, ssoAlice, 0)
	admin := e.roleCreds(t, tok, acctProd, "AdministratorAccess")
	ro := e.roleCreds(t, tok, acctProd, "ReadOnlyAccess")

	chained := e.assume(t, admin, &sts.AssumeRoleInput{RoleArn: aws.String(roleFrom), RoleSessionName: aws.String("chain")})
	out, err := e.sts(chained).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil || *out.Arn != "arn:aws:sts::222222222222:assumed-role/from-sso/chain" {
		t.Fatalf("chained caller: %v %v", out, err)
	}
	// Role chaining: at most an hour.
	_, err = e.sts(admin).AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(roleFrom),
		RoleSessionName: aws.String("long"), DurationSeconds: aws.Int32(7200)})
	wantAPIError(t, err, "ValidationError", http.StatusBadRequest, "role chaining")

	// A trust policy naming the AWSReservedSSO role admits that role only.
	e.assume(t, ro, &sts.AssumeRoleInput{RoleArn: aws.String(roleNamed), RoleSessionName: aws.String("ro")})
	_, err = e.sts(admin).AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(roleNamed), RoleSessionName: aws.String("xx")})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden, "AWSReservedSSO_AdministratorAccess_")
	_, err = e.sts(admin).AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(roleNoSSO), RoleSessionName: aws.String("xx")})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden, "")
}

func TestSSOPortalRefusesBadTokens(t *testing.T) {
	e := newSSOEnv(t, ssoWorld(t))
	ctx := context.Background()
	getCreds := func(tok string) error {
		_, err := e.sso().GetRoleCredentials(ctx, &sso.GetRoleCredentialsInput{
			AccessToken: aws.String(tok), AccountId: aws.String(acctProd), RoleName: aws.String("AdministratorAccess")})
		return err
	}
	wantAPIError(t, getCreds("aoa-not-a-token"), "UnauthorizedException", http.StatusUnauthorized, "Session token not found or invalid")

	short := e.mint(t, ssoAlice, time.Minute)
	if err := getCreds(short); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	wantAPIError(t, getCreds(short), "UnauthorizedException", http.StatusUnauthorized, "")
	_, err := e.sso().ListAccounts(ctx, &sso.ListAccountsInput{AccessToken: aws.String(short)})
	wantAPIError(t, err, "UnauthorizedException", http.StatusUnauthorized, "")

	// Logout ends the session; role credentials already issued live on.
	tok := e.mint(t, ssoAlice, 0)
	creds := e.roleCreds(t, tok, acctProd, "AdministratorAccess")
	if _, err := e.sso().Logout(ctx, &sso.LogoutInput{AccessToken: aws.String(tok)}); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, getCreds(tok), "UnauthorizedException", http.StatusUnauthorized, "")
	_, err = e.sso().Logout(ctx, &sso.LogoutInput{AccessToken: aws.String(tok)})
	wantAPIError(t, err, "UnauthorizedException", http.StatusUnauthorized, "")
	if _, err := e.sts(creds).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("role credentials after logout: %v", err)
	}
}

func TestSSOPortalRefusesUnassignedRoles(t *testing.T) {
	e := newSSOEnv(t, ssoWorld(t))
	tok := e.mint(t, ssoAlice, 0)
	ctx := context.Background()
	for _, c := range [][2]string{{acctProd, "PowerUserAccess"}, {acctData, "AdministratorAccess"}, {acctDev, "AdministratorAccess"}} {
		_, err := e.sso().GetRoleCredentials(ctx, &sso.GetRoleCredentialsInput{
			AccessToken: aws.String(tok), AccountId: aws.String(c[0]), RoleName: aws.String(c[1])})
		wantAPIError(t, err, "ForbiddenException", http.StatusForbidden, "No access")
	}
	_, err := e.sso().ListAccountRoles(ctx, &sso.ListAccountRolesInput{AccessToken: aws.String(tok), AccountId: aws.String(acctData)})
	wantAPIError(t, err, "ForbiddenException", http.StatusForbidden, "No access")
}

func TestSSOPortalPages(t *testing.T) {
	var as []awsemu.SSOAssignment
	for i := 0; i < 5; i++ {
		acct := strings.Repeat(string(rune('5'+i)), 12)
		as = append(as, awsemu.SSOAssignment{Account: acct, AccountName: "acct" + acct[:1], Role: "Admin"},
			awsemu.SSOAssignment{Account: acct, AccountName: "acct" + acct[:1], Role: "Read"})
	}
	as = append(as, awsemu.SSOAssignment{Account: "555555555555", Role: "Billing"})
	e := newSSOEnv(t, ssoWorld(t, awsemu.SSOUser{Name: ssoAlice, Assignments: as}))
	tok := e.mint(t, ssoAlice, 0)
	ctx := context.Background()

	var accounts []string
	var pages int
	p := sso.NewListAccountsPaginator(e.sso(), &sso.ListAccountsInput{AccessToken: aws.String(tok), MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(out.AccountList) > 2 {
			t.Errorf("page of %d accounts, asked for 2", len(out.AccountList))
		}
		for _, a := range out.AccountList {
			accounts = append(accounts, *a.AccountId+"="+aws.ToString(a.AccountName))
		}
	}
	want := "555555555555=acct5 666666666666=acct6 777777777777=acct7 888888888888=acct8 999999999999=acct9"
	if got := strings.Join(accounts, " "); got != want || pages != 3 {
		t.Errorf("accounts in %d pages: %s, want 3 pages of %s", pages, got, want)
	}

	var roles []string
	rp := sso.NewListAccountRolesPaginator(e.sso(), &sso.ListAccountRolesInput{AccessToken: aws.String(tok),
		AccountId: aws.String("555555555555"), MaxResults: aws.Int32(1)})
	for rp.HasMorePages() {
		out, err := rp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.RoleList {
			roles = append(roles, *r.RoleName)
		}
	}
	if got := strings.Join(roles, " "); got != "Admin Read Billing" {
		t.Errorf("roles %s", got)
	}

	_, err := e.sso().ListAccounts(ctx, &sso.ListAccountsInput{AccessToken: aws.String(tok), NextToken: aws.String("bogus")})
	wantAPIError(t, err, "InvalidRequestException", http.StatusBadRequest, "")
	_, err = e.sso().ListAccounts(ctx, &sso.ListAccountsInput{AccessToken: aws.String(tok), MaxResults: aws.Int32(101)})
	wantAPIError(t, err, "InvalidRequestException", http.StatusBadRequest, "")
}

func TestSSOFaultsAndStats(t *testing.T) {
	e := newSSOEnv(t, ssoWorld(t))
	tok := e.mint(t, ssoAlice, 0)
	ctx := context.Background()
	e.roleCreds(t, tok, acctProd, "AdministratorAccess")
	if err := e.srv.SetFaults(awsemu.Faults{ThrottleTPS: 1, Actions: []string{"GetRoleCredentials"}}); err != nil {
		t.Fatal(err)
	}
	e.roleCreds(t, tok, acctProd, "AdministratorAccess")
	_, err := e.sso().GetRoleCredentials(ctx, &sso.GetRoleCredentialsInput{
		AccessToken: aws.String(tok), AccountId: aws.String(acctProd), RoleName: aws.String("AdministratorAccess")})
	wantAPIError(t, err, "TooManyRequestsException", http.StatusTooManyRequests, "")
	if err := e.srv.SetFaults(awsemu.Faults{ErrorRate: 1, Actions: []string{"ListAccounts"}}); err != nil {
		t.Fatal(err)
	}
	_, err = e.sso().ListAccounts(ctx, &sso.ListAccountsInput{AccessToken: aws.String(tok)})
	wantAPIError(t, err, "InternalServerException", http.StatusInternalServerError, "")

	st := e.srv.Stats()
	if st["GetRoleCredentials"] != 3 || st["ListAccounts"] != 1 {
		t.Errorf("stats %v", st)
	}
	var logged []string
	for _, r := range e.srv.Requests() {
		logged = append(logged, r.Action+" "+r.Service+" "+r.Caller+" "+r.Code)
	}
	want := "GetRoleCredentials sso alice@example.com |GetRoleCredentials sso alice@example.com |GetRoleCredentials sso  TooManyRequestsException|ListAccounts sso  InternalServerException"
	if got := strings.Join(logged, "|"); got != want {
		t.Errorf("log:\n%s\nwant\n%s", got, want)
	}
	if err := e.srv.SetFaults(awsemu.Faults{Actions: []string{"NoSuchAction"}}); err == nil {
		t.Error("a fault on an unknown action was accepted")
	}
}

func TestSSOControlMintsTokens(t *testing.T) {
	e := newSSOEnv(t, ssoWorld(t))
	post := func(body string) (int, []byte) {
		resp, err := http.Post(e.url+"/_emu/sso/token", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	code, body := post(`{"user":"alice@example.com","expires_in":120}`)
	var got awsemu.MintedSSOToken
	if code != 200 || json.Unmarshal(body, &got) != nil || got.AccessToken == "" || got.ExpiresIn != 120 || got.RefreshToken != "" {
		t.Fatalf("mint: %d %s", code, body)
	}
	e.roleCreds(t, got.AccessToken, acctProd, "ReadOnlyAccess")

	// One user: the user may be left out. With refresh: a client and a
	// refresh token.
	code, body = post(`{"refresh":true}`)
	got = awsemu.MintedSSOToken{}
	if code != 200 || json.Unmarshal(body, &got) != nil || got.RefreshToken == "" || got.ClientID == "" || got.ClientSecret == "" ||
		got.ExpiresIn != 3600 {
		t.Fatalf("mint with refresh: %d %s", code, body)
	}
	// Negative: an access token that has expired, its refresh token good.
	code, body = post(`{"refresh":true,"expires_in":-60}`)
	got = awsemu.MintedSSOToken{}
	if code != 200 || json.Unmarshal(body, &got) != nil || got.ExpiresIn != -60 {
		t.Fatalf("mint expired: %d %s", code, body)
	}
	if at, err := time.Parse(time.RFC3339, got.ExpiresAt); err != nil || !at.Before(e.clock.Now()) {
		t.Errorf("expiresAt %s is not in the past", got.ExpiresAt)
	}
	_, err := e.sso().ListAccounts(context.Background(), &sso.ListAccountsInput{AccessToken: aws.String(got.AccessToken)})
	wantAPIError(t, err, "UnauthorizedException", http.StatusUnauthorized, "")
	if _, err := e.oidc().CreateToken(context.Background(), &ssooidc.CreateTokenInput{ClientId: &got.ClientID, ClientSecret: &got.ClientSecret,
		GrantType: aws.String("refresh_token"), RefreshToken: &got.RefreshToken}); err != nil {
		t.Fatalf("refreshing the expired minted token: %v", err)
	}
	// Both expired: the refresh token is refused too.
	code, body = post(`{"refresh":true,"expires_in":-60,"refresh_expires_in":-1}`)
	got = awsemu.MintedSSOToken{}
	if code != 200 || json.Unmarshal(body, &got) != nil || got.ExpiresIn != -60 {
		t.Fatalf("mint both expired: %d %s", code, body)
	}
	_, err = e.oidc().CreateToken(context.Background(), &ssooidc.CreateTokenInput{ClientId: &got.ClientID, ClientSecret: &got.ClientSecret,
		GrantType: aws.String("refresh_token"), RefreshToken: &got.RefreshToken})
	wantAPIError(t, err, "InvalidGrantException", http.StatusBadRequest, "")
	// A short session bounds the access token.
	code, body = post(`{"refresh":true,"refresh_expires_in":30}`)
	got = awsemu.MintedSSOToken{}
	if code != 200 || json.Unmarshal(body, &got) != nil || got.ExpiresIn != 30 {
		t.Fatalf("mint with a 30s session: %d %s", code, body)
	}
	for _, bad := range []string{`{"user":"mallory@example.com"}`, `{"user":"alice@example.com","expires_in":-7776001}`,
		`{"refresh_expires_in":7776001}`, `{"bogus":1}`} {
		if code, body := post(bad); code != http.StatusBadRequest {
			t.Errorf("%s: %d %s", bad, code, body)
		}
	}
	if st := e.srv.Stats(); len(st) != 3 || st["GetRoleCredentials"] != 1 || st["ListAccounts"] != 1 || st["CreateToken"] != 2 {
		t.Errorf("the control endpoint was counted: %v", st)
	}
}

func TestSSOWorldValidation(t *testing.T) {
	for _, tc := range []struct{ json, want string }{
		{`{"sso":{"start_url":"http://x","region":"us-east-1","users":[{"name":"a@b"}]}}`, "start_url"},
		{`{"sso":{"start_url":"https://x","users":[{"name":"a@b"}]}}`, "region"},
		{`{"sso":{"start_url":"https://x","region":"Frankfurt","users":[{"name":"a@b"}]}}`, "region"},
		{`{"sso":{"start_url":"https://x","region":"us-east-1","users":[]}}`, "no users"},
		{`{"sso":{"start_url":"https://x","region":"us-east-1","users":[{"name":"a@b"},{"name":"a@b"}]}}`, "twice"},
		{`{"sso":{"start_url":"https://x","region":"us-east-1","users":[{"name":"a b"}]}}`, "session name"},
		{`{"sso":{"start_url":"https://x","region":"us-east-1","users":[{"name":"a@b","assignments":[{"account":"1","role":"R"}]}]}}`, "12 digits"},
		{`{"sso":{"start_url":"https://x","region":"us-east-1","users":[{"name":"a@b","assignments":[{"account":"111111111111"}]}]}}`, "permission set"},
		{`{"sso":{"start_url":"https://x","region":"us-east-1","users":[{"name":"a@b","bogus":1}]}}`, "unknown field"},
		{`{"faults":{"sso_access_token_seconds":-1}}`, "sso_access_token_seconds"},
		{`{"faults":{"sso_refresh_token_seconds":-1}}`, "sso_refresh_token_seconds"},
	} {
		if _, err := awsemu.ParseWorld([]byte(tc.json)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error about %s", tc.json, err, tc.want)
		}
	}
	w, err := awsemu.ParseWorld([]byte(`{"sso": {"start_url": "https://example.awsapps.com/start", "region": "us-east-1", "users": [{"name": "alice@example.com", "assignments": [{"account": "222222222222", "account_name": "prod", "role": "AdministratorAccess"}]}]}}`))
	if err != nil || w.SSO.Users[0].Assignments[0].AccountName != "prod" {
		t.Fatalf("the issue's world: %v", err)
	}
}

// Without sso in the world, the Identity Center paths answer 404 and count
// nothing else.
func TestNoSSOWorld(t *testing.T) {
	e := newEnv(t)
	if _, err := e.srv.MintSSOToken("alice@example.com", 0); err == nil {
		t.Error("minted a token in a world without sso")
	}
	resp, err := http.Post(e.url+"/client/register", "application/json", bytes.NewReader([]byte(`{}`)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("register without sso: %d", resp.StatusCode)
	}
}

// A minted token may be asked to outlive the default eight-hour session.
func TestMintSSOTokenLongerThanASession(t *testing.T) {
	e := newSSOEnv(t, ssoWorld(t))
	tok := e.mint(t, ssoAlice, 12*time.Hour)
	e.clock.Advance(11 * time.Hour)
	e.roleCreds(t, tok, acctProd, "AdministratorAccess")
}

// Outside us-east-1 the reserved role's path carries the region: a trust
// policy naming the role must too.
func TestSSORoleARNPathHasTheRegion(t *testing.T) {
	if got, want := awsemu.SSORoleARN("eu-central-1", acctProd, "Admin"),
		"arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/eu-central-1/"+awsemu.SSORoleName(acctProd, "Admin"); got != want {
		t.Errorf("%s, want %s", got, want)
	}
	w := ssoWorld(t)
	w.SSO.Region = "eu-central-1"
	w.Roles = append(w.Roles,
		awsemu.Role{ARN: "arn:aws:iam::222222222222:role/eu", Trust: awsemu.Trust{Principals: []string{awsemu.SSORoleARN("eu-central-1", acctProd, "ReadOnlyAccess")}}},
		awsemu.Role{ARN: "arn:aws:iam::222222222222:role/us", Trust: awsemu.Trust{Principals: []string{awsemu.SSORoleARN("us-east-1", acctProd, "ReadOnlyAccess")}}})
	e := newSSOEnv(t, w)
	ro := e.roleCreds(t, e.mint(t, ssoAlice, 0), acctProd, "ReadOnlyAccess")
	e.assume(t, ro, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::222222222222:role/eu"), RoleSessionName: aws.String("eu")})
	_, err := e.sts(ro).AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::222222222222:role/us"), RoleSessionName: aws.String("us")})
	wantAPIError(t, err, "AccessDenied", http.StatusForbidden, "")
}

package awsemu_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/kagi-cli/kagi/internal/awsemu"
)

// Accounts, keys and ARNs of the test world.
const (
	acctUsers = "111111111111"
	acctProd  = "222222222222"
	acctData  = "333333333333"

	aliceKey    = "AKIAEXAMPLEALICE0001"
	aliceSecret = "alice-secret"
	aliceARN    = "arn:aws:iam::111111111111:user/alice"
	aliceSerial = "arn:aws:iam::111111111111:mfa/alice"
	bobKey      = "AKIAEXAMPLEBOB000001"
	bobSecret   = "bob-secret"
	bobARN      = "arn:aws:iam::111111111111:user/bob"

	roleAdmin    = "arn:aws:iam::222222222222:role/admin"    // MFA, max 2h
	roleLong     = "arn:aws:iam::222222222222:role/long"     // no MFA, max 12h
	roleUsername = "arn:aws:iam::222222222222:role/deploy"   // session name = ${aws:username}
	roleExternal = "arn:aws:iam::222222222222:role/partner"  // external id
	roleBobOnly  = "arn:aws:iam::222222222222:role/bob-only" // trusts the user bob
	roleReadonly = "arn:aws:iam::333333333333:role/readonly" // trusts sessions of admin, MFA
	roleCI       = "arn:aws:iam::222222222222:role/ci"       // web identity
	roleNobody   = "arn:aws:iam::222222222222:role/nobody"   // trusts no one
	roleDevPath  = "arn:aws:iam::222222222222:role/team/dev" // a role with a path

	issuer   = "https://token.example"
	audience = "sts.amazonaws.com"
)

// oidcKeys is one RSA key pair for the whole test binary: generating one
// takes long enough to matter when every test does it.
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
			{ARN: roleAdmin, MaxSessionDuration: 7200,
				Trust: awsemu.Trust{Principals: []string{"arn:aws:iam::111111111111:root"}, RequireMFA: true}},
			{ARN: roleLong, MaxSessionDuration: 43200,
				Trust: awsemu.Trust{Principals: []string{"arn:aws:iam::111111111111:root", roleAdmin}}},
			{ARN: roleUsername,
				Trust: awsemu.Trust{Principals: []string{"arn:aws:iam::111111111111:root", roleAdmin}, SessionName: "${aws:username}"}},
			{ARN: roleExternal,
				Trust: awsemu.Trust{Principals: []string{"arn:aws:iam::111111111111:root"}, ExternalID: "ext-4711"}},
			{ARN: roleBobOnly, Trust: awsemu.Trust{Principals: []string{bobARN}}},
			{ARN: roleReadonly, Trust: awsemu.Trust{Principals: []string{roleAdmin}, RequireMFA: true}},
			{ARN: roleCI, Trust: awsemu.Trust{
				Principals: []string{"arn:aws:iam::222222222222:oidc-provider/token.example"},
				Subjects:   []string{"repo:kagi-cli/kagi:*"}}},
			{ARN: roleNobody},
			{ARN: roleDevPath, Trust: awsemu.Trust{Principals: []string{"arn:aws:iam::111111111111:root"}}},
		},
		OIDC: []awsemu.OIDCProvider{{Issuer: issuer, Audience: audience, PublicKeyPEM: keys[1], PrivateKeyPEM: keys[0]}},
	}
}

// clock is a settable clock for WithClock; it starts at the real time, so
// that requests the SDK signs with the real time are within the skew window.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is an emulator on a loopback test server with its clock.
type env struct {
	srv   *awsemu.Server
	url   string
	clock *clock
	world *awsemu.World
}

func newEnv(t *testing.T) *env {
	t.Helper()
	w := testWorld(t)
	c := newClock()
	srv := awsemu.New(w, awsemu.WithClock(c.Now))
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &env{srv: srv, url: ts.URL, clock: c, world: w}
}

// config is an aws.Config built field by field, so that nothing of the
// machine's ~/.aws or AWS_* variables is read. Retries are off unless
// retrying is set, so that each call is one request.
func (e *env) config(creds aws.Credentials, retrying bool) aws.Config {
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.StaticCredentialsProvider{Value: creds},
		HTTPClient:  &http.Client{Timeout: 30 * time.Second},
	}
	cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	if retrying {
		// The standard retryer without its backoff, so tests do not wait.
		cfg.Retryer = func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			})
		}
	}
	return cfg
}

func (e *env) sts(creds aws.Credentials) *sts.Client {
	return sts.NewFromConfig(e.config(creds, false), func(o *sts.Options) { o.BaseEndpoint = aws.String(e.url) })
}

func (e *env) stsRetrying(creds aws.Credentials) *sts.Client {
	return sts.NewFromConfig(e.config(creds, true), func(o *sts.Options) { o.BaseEndpoint = aws.String(e.url) })
}

func (e *env) iam(creds aws.Credentials) *iam.Client {
	return iam.NewFromConfig(e.config(creds, false), func(o *iam.Options) { o.BaseEndpoint = aws.String(e.url) })
}

func alice() aws.Credentials {
	return aws.Credentials{AccessKeyID: aliceKey, SecretAccessKey: aliceSecret}
}

func bob() aws.Credentials { return aws.Credentials{AccessKeyID: bobKey, SecretAccessKey: bobSecret} }

// code returns a TOTP code of alice's device that has not been used.
func (e *env) code(t *testing.T) string {
	t.Helper()
	c, err := e.srv.FreshTOTP(aliceSerial)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// mfaSession is alice's GetSessionToken with MFA.
func (e *env) mfaSession(t *testing.T) aws.Credentials {
	t.Helper()
	out, err := e.sts(alice()).GetSessionToken(context.Background(), &sts.GetSessionTokenInput{
		SerialNumber: aws.String(aliceSerial), TokenCode: aws.String(e.code(t)),
	})
	if err != nil {
		t.Fatalf("GetSessionToken with MFA: %v", err)
	}
	return aws.Credentials{AccessKeyID: *out.Credentials.AccessKeyId, SecretAccessKey: *out.Credentials.SecretAccessKey,
		SessionToken: *out.Credentials.SessionToken}
}

func (e *env) assume(t *testing.T, creds aws.Credentials, in *sts.AssumeRoleInput) aws.Credentials {
	t.Helper()
	out, err := e.sts(creds).AssumeRole(context.Background(), in)
	if err != nil {
		t.Fatalf("AssumeRole %s: %v", *in.RoleArn, err)
	}
	return aws.Credentials{AccessKeyID: *out.Credentials.AccessKeyId, SecretAccessKey: *out.Credentials.SecretAccessKey,
		SessionToken: *out.Credentials.SessionToken}
}

// wantAPIError checks that err is an AWS API error with code, HTTP status
// and (when msg is not empty) a message containing msg.
func wantAPIError(t *testing.T, err error, code string, status int, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got success, want %s", code)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want API error %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("got code %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
	if msg != "" && !strings.Contains(ae.ErrorMessage(), msg) {
		t.Errorf("message %q does not contain %q", ae.ErrorMessage(), msg)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("%v carries no HTTP response", err)
	}
	if re.HTTPStatusCode() != status {
		t.Errorf("%s: HTTP status %d, want %d", code, re.HTTPStatusCode(), status)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

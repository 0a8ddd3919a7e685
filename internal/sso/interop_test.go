package sso_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kagi-cli/kagi/internal/sso"
)

// ssoConfig is ~/.aws/config with an sso-session profile for the session
// the tests sign in to.
const ssoConfig = `[profile prod]
sso_session = my-sso
sso_account_id = 222222222222
sso_role_name = AdministratorAccess
region = us-east-1

[sso-session my-sso]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access
`

const wantRole = ":assumed-role/AWSReservedSSO_AdministratorAccess_"

// interopHome is a HOME with the config and kagi's token written by a
// refresh (kagi's own write path): its file is what the other tools read.
func interopHome(t *testing.T, e *emu) (home string, tk *sso.Tokens) {
	t.Helper()
	home = t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".aws", "config"), []byte(ssoConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	tk = newTokens(t, e, home)
	cacheExpired(t, e, tk)
	if _, err := tk.Token(context.Background(), session); err != nil {
		t.Fatal(err)
	}
	return home, tk
}

// expireCached makes the cached access token look expired (or about to),
// keeping the refresh token kagi wrote.
func expireCached(t *testing.T, tk *sso.Tokens, at time.Time) sso.Token {
	t.Helper()
	path := sso.TokenPath(tk.Dir, session.CacheKey())
	tok, _, err := sso.ReadToken(path)
	if err != nil {
		t.Fatal(err)
	}
	tok.ExpiresAt = at
	if err := sso.WriteToken(path, tok); err != nil {
		t.Fatal(err)
	}
	return tok
}

// The AWS SDK for Go v2 (what Terraform's provider uses) reads the token
// kagi cached, gets role credentials from the portal with it, and, once
// it has expired, refreshes it with the client registration and refresh
// token kagi stored; kagi then uses the file the SDK wrote, without a
// call of its own.
func TestGoSDKUsesKagisToken(t *testing.T) {
	e := newEmu(t)
	home, tk := interopHome(t, e)
	for _, k := range []string{"AWS_CA_BUNDLE", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_SHARED_CREDENTIALS_FILE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("HOME", home)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, ".aws", "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, ".aws", "credentials"))
	t.Setenv("AWS_ENDPOINT_URL", e.url)
	// The SDK's SSO credential provider builds its portal and OIDC clients
	// without the shared AWS_ENDPOINT_URL; the per-service variables reach
	// them.
	t.Setenv("AWS_ENDPOINT_URL_SSO", e.url)
	t.Setenv("AWS_ENDPOINT_URL_SSO_OIDC", e.url)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	callerARN := func() string {
		t.Helper()
		cfg, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithSharedConfigProfile("prod"))
		if err != nil {
			t.Fatal(err)
		}
		out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatalf("the Go SDK with kagi's token: %v", err)
		}
		return *out.Arn
	}
	if arn := callerARN(); !strings.Contains(arn, wantRole) || !strings.HasSuffix(arn, "/"+alice) {
		t.Fatalf("caller %s", arn)
	}
	before := e.count("CreateToken")
	old := expireCached(t, tk, time.Now().Add(-time.Minute))
	if arn := callerARN(); !strings.Contains(arn, wantRole) {
		t.Fatalf("caller after the SDK's refresh %s", arn)
	}
	if e.count("CreateToken") != before+1 {
		t.Fatalf("the SDK did not refresh: %v", e.srv.Stats())
	}
	tok, _, _ := sso.ReadToken(sso.TokenPath(tk.Dir, session.CacheKey()))
	if tok.AccessToken == old.AccessToken || tok.RefreshToken == old.RefreshToken {
		t.Fatal("the SDK did not write the refreshed token")
	}
	got, err := tk.Token(context.Background(), session)
	if err != nil || got != tok.AccessToken || e.count("CreateToken") != before+1 {
		t.Fatalf("kagi with the SDK's file: %v (calls %v)", err, e.srv.Stats())
	}
}

// boto3 (botocore, as the AWS CLI v1 and Ansible use it) reads the token
// kagi cached; near expiry it refreshes it with what kagi stored and
// writes the file in its own way, which kagi then reads with no call.
func TestBoto3UsesKagisToken(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err == nil && exec.Command(python, "-c", "import boto3").Run() != nil {
		err = os.ErrNotExist
	}
	if err != nil {
		if os.Getenv("KAGI_INTEROP_REQUIRED") != "" {
			t.Fatal("python3 with boto3 is needed (KAGI_INTEROP_REQUIRED is set)")
		}
		t.Skip("python3 with boto3 is not installed")
	}
	e := newEmu(t)
	home, tk := interopHome(t, e)
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, ".aws", "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, ".aws", "credentials"),
		"AWS_ENDPOINT_URL=" + e.url,
		"AWS_EC2_METADATA_DISABLED=true",
	}
	const script = `import boto3; print(boto3.Session(profile_name="prod").client("sts").get_caller_identity()["Arn"])`
	callerARN := func() string {
		t.Helper()
		cmd := exec.Command(python, "-c", script)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("boto3 with kagi's token: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if arn := callerARN(); !strings.Contains(arn, wantRole) || !strings.HasSuffix(arn, "/"+alice) {
		t.Fatalf("caller %s", arn)
	}
	// botocore refreshes a token with less than 15 minutes left.
	before := e.count("CreateToken")
	old := expireCached(t, tk, time.Now().Add(3*time.Minute))
	if arn := callerARN(); !strings.Contains(arn, wantRole) {
		t.Fatalf("caller after botocore's refresh %s", arn)
	}
	if e.count("CreateToken") != before+1 {
		t.Fatalf("botocore did not refresh: %v", e.srv.Stats())
	}
	tok, _, err := sso.ReadToken(sso.TokenPath(tk.Dir, session.CacheKey()))
	if err != nil || tok.AccessToken == old.AccessToken || tok.RefreshToken == "" {
		t.Fatalf("botocore's file: %v", err)
	}
	got, err := tk.Token(context.Background(), session)
	if err != nil || got != tok.AccessToken || e.count("CreateToken") != before+1 {
		t.Fatalf("kagi with botocore's file: %v (calls %v)", err, e.srv.Stats())
	}
}

package interop

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kagi-cli/kagi/internal/awsemu"
	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/ssoprofiles"
)

const ssoWorldJSON = `{"sso": {"start_url": "https://example.awsapps.com/start", "region": "eu-west-1",
  "users": [{"name": "alice@example.com", "assignments": [
    {"account": "222222222222", "account_name": "prod", "role": "AdministratorAccess"},
    {"account": "333333333333", "account_name": "Sandbox (EU)", "role": "ReadOnly"}]}]}}`

// TestGeneratedSSOProfilesWorkWithTheAWSCLIAndTheGoSDK writes the profiles
// `kagi sso profiles --write` writes, for a sso-session and for a legacy
// start URL, into a config with the user's own lines, and has the AWS CLI
// (botocore) and the AWS SDK for Go v2 use each one, with the token in the
// AWS CLI v2 cache and no kagi in between: both must read them as IAM
// Identity Center profiles, get role credentials from the portal and call
// STS as the permission set's role.
func TestGeneratedSSOProfilesWorkWithTheAWSCLIAndTheGoSDK(t *testing.T) {
	awsBin := NeedAWSCLI(t)
	path := filepath.Join(t.TempDir(), "world.json")
	if err := os.WriteFile(path, []byte(ssoWorldJSON), 0o600); err != nil {
		t.Fatal(err)
	}
	world, err := awsemu.LoadWorld(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := awsemu.New(world)
	url, stop, err := srv.Start(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	token, err := srv.MintSSOToken("alice@example.com", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	assigned, err := ssoprofiles.List(t.Context(), ssoprofiles.NewClient("eu-west-1", url, nil), token, 0)
	if err != nil {
		t.Fatal(err)
	}

	// AWS_ENDPOINT_URL_SSO as well: the Go SDK's Identity Center
	// credential provider builds its portal client before the config's
	// BaseEndpoint is set, and with AWS_ENDPOINT_URL alone the client skips
	// the service-specific lookup (service/sso resolveBaseEndpoint), so it
	// would call the real portal.
	env := CleanEnv(t, "AWS_ENDPOINT_URL="+url, "AWS_ENDPOINT_URL_SSO="+url)
	home := envValue(env, "HOME")
	configFile := envValue(env, "AWS_CONFIG_FILE")
	if err := os.MkdirAll(filepath.Dir(configFile), 0o700); err != nil {
		t.Fatal(err)
	}
	const mine = "# mine\n[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = eu-west-1\n\n[default]\noutput = json\n"
	if err := os.WriteFile(configFile, []byte(mine), 0o644); err != nil {
		t.Fatal(err)
	}
	tmpl, _ := ssoprofiles.ParseTemplate(ssoprofiles.DefaultTemplate)
	session := config.SSOSession{Name: "corp", StartURL: "https://example.awsapps.com/start", Region: "eu-west-1"}
	legacy := config.SSOSession{StartURL: session.StartURL, Region: session.Region}
	legacyTmpl, _ := ssoprofiles.ParseTemplate("legacy-{account_id}-{role_name}")
	for _, o := range []ssoprofiles.Options{
		{Session: session, Template: tmpl, Region: "eu-west-1", Write: true},
		{Session: legacy, Template: legacyTmpl, Region: "eu-west-1", Write: true},
	} {
		if _, err := ssoprofiles.Apply(configFile, o, assigned, false); err != nil {
			t.Fatal(err)
		}
	}
	written, _ := os.ReadFile(configFile)
	if !strings.HasPrefix(string(written), mine) {
		t.Fatalf("the user's lines changed:\n%s", written)
	}
	// The token where `aws sso login` leaves it: by session name, and by
	// start URL for the legacy profiles.
	cacheDir := filepath.Join(home, ".aws", "sso", "cache")
	if err := os.MkdirAll(cacheDir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{session.CacheKey(), legacy.CacheKey()} {
		entry, _ := json.Marshal(map[string]string{
			"accessToken": token, "expiresAt": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
			"region": "eu-west-1", "startUrl": session.StartURL,
		})
		if err := os.WriteFile(filepath.Join(cacheDir, key+".json"), entry, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sum := sha1.Sum([]byte("corp"))
	if session.CacheKey() != hex.EncodeToString(sum[:]) {
		t.Fatal("CacheKey is not sha1 of the session name")
	}

	profiles := map[string]string{ // profile → account
		"prod-AdministratorAccess":                "222222222222",
		"Sandbox-EU-ReadOnly":                     "333333333333",
		"legacy-222222222222-AdministratorAccess": "222222222222",
		"legacy-333333333333-ReadOnly":            "333333333333",
	}
	for profile, account := range profiles {
		role := "AdministratorAccess"
		if account == "333333333333" {
			role = "ReadOnly"
		}
		wantARN := "arn:aws:sts::" + account + ":assumed-role/" + awsemu.SSORoleName(account, role) + "/alice@example.com"

		// The AWS CLI (botocore).
		out, stderr, err := ssoRun(t, env, awsBin, "sts", "get-caller-identity", "--profile", profile, "--output", "json")
		if err != nil {
			t.Errorf("aws --profile %s: %v\n%s", profile, err, stderr)
		} else {
			var id struct{ Arn string }
			decodeJSON(t, "get-caller-identity", []byte(out), &id)
			if id.Arn != wantARN {
				t.Errorf("aws --profile %s: %s, want %s", profile, id.Arn, wantARN)
			}
		}

		// The Go SDK, in this process, with the same environment.
		for _, kv := range env {
			k, v, _ := strings.Cut(kv, "=")
			if strings.HasPrefix(k, "AWS_") || k == "HOME" {
				t.Setenv(k, v)
			}
		}
		cfg, err := awsconfig.LoadDefaultConfig(t.Context(), awsconfig.WithSharedConfigProfile(profile))
		if err != nil {
			t.Errorf("Go SDK, profile %s: %v", profile, err)
			continue
		}
		if cfg.Region != "eu-west-1" {
			t.Errorf("Go SDK, profile %s: region %q", profile, cfg.Region)
		}
		got, err := sts.NewFromConfig(cfg).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Errorf("Go SDK, profile %s: %v", profile, err)
			continue
		}
		if *got.Arn != wantARN {
			t.Errorf("Go SDK, profile %s: %s, want %s", profile, *got.Arn, wantARN)
		}
	}
}

// ssoRun runs bin with args in env and returns stdout, stderr and the error.
func ssoRun(t *testing.T, env []string, bin string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

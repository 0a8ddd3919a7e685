package interop

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pointAWSCLIv2AtEmu makes the AWS CLI v2 in home send its IAM Identity
// Center calls (sso-oidc: sign-in; sso: the portal) to the emulator at url.
// Versions before 2.13 ignore AWS_ENDPOINT_URL, but botocore's loader reads
// ~/.aws/models before its own data: an endpoint rule set there that always
// answers url is used instead of AWS's. STS is given --endpoint-url.
func pointAWSCLIv2AtEmu(t *testing.T, home, url string) {
	t.Helper()
	ruleSet := `{"version": "1.0",
 "parameters": {"Region": {"builtIn": "AWS::Region", "required": false, "documentation": "the region", "type": "String"}},
 "rules": [{"conditions": [], "endpoint": {"url": "` + url + `", "properties": {}, "headers": {}}, "type": "endpoint"}]}
`
	for _, svc := range []string{"sso/2019-06-10", "sso-oidc/2019-06-10"} {
		writeTestFile(t, filepath.Join(home, ".aws", "models", svc, "endpoint-rule-set-1.json"), ruleSet, 0o600)
	}
}

// TestAWSCLIv2AndKagiShareTheSignIn: the real AWS CLI v2 (Debian's awscli)
// and kagi share one IAM Identity Center sign-in in both directions,
// through ~/.aws/sso/cache alone: `aws sso login` signs in and kagi uses
// that token with no sign-in of its own; `aws sso logout` signs kagi out
// too (the role credentials kagi had cached are not served); `kagi sso
// login` signs in and the AWS CLI v2 uses that token with no kagi in
// between.
func TestAWSCLIv2AndKagiShareTheSignIn(t *testing.T) {
	awsV2 := NeedAWSCLIv2(t)
	curl := NeedTool(t, "curl")
	s := newKagiSetupWorld(t, ssoFanOutWorld, ssoFanOutConfig)
	pointAWSCLIv2AtEmu(t, s.Home, s.URL)
	dir := t.TempDir()
	// The AWS CLI v2 opens the device page itself ($BROWSER, through
	// Python's webbrowser): submit its form (Allow). kagi opens a one-time
	// loopback link that redirects to the page: follow it once first.
	awsApprove := filepath.Join(dir, "aws-approve.sh")
	writeTestFile(t, awsApprove, "#!/bin/sh\nexec '"+curl+"' -sf --noproxy '*' -o /dev/null -X POST \"$1\"\n", 0o700)
	kagiApprove := filepath.Join(dir, "kagi-approve.sh")
	writeTestFile(t, kagiApprove, "#!/bin/sh\npage=$('"+curl+"' -sf --noproxy '*' -o /dev/null -w '%{redirect_url}' \"$1\") || exit 1\n"+
		"exec '"+curl+"' -sf --noproxy '*' -o /dev/null -X POST \"$page\"\n", 0o700)
	// A call this test failed to point at the emulator (plain HTTP on
	// 127.0.0.1) would be HTTPS to AWS: it goes to a proxy that is not
	// there instead. (Not HTTP_PROXY: this AWS CLI's botocore sends even
	// 127.0.0.1 through it, NO_PROXY notwithstanding.)
	env := append(append([]string{}, s.Env...), "AWS_DEFAULT_REGION=eu-west-1", "HTTPS_PROXY=http://127.0.0.1:9")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	run := func(extra []string, name string, args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Env = append(append([]string{}, env...), extra...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	arnOf := func(account string) func(string) bool {
		return func(out string) bool {
			got := strings.TrimSpace(out)
			return strings.HasPrefix(got, "arn:aws:sts::"+account+":assumed-role/AWSReservedSSO_AdministratorAccess_") && strings.HasSuffix(got, "/alice@example.com")
		}
	}
	whoami := []string{"sts", "get-caller-identity", "--endpoint-url", s.URL, "--query", "Arn", "--output", "text"}

	// 1. The AWS CLI v2 signs in; its token file is the one kagi reads.
	if out, err := run([]string{"BROWSER=" + awsApprove}, awsV2, "sso", "login", "--sso-session", "corp"); err != nil || !strings.Contains(out, "Successfully logged into Start URL: https://example.awsapps.com/start") {
		t.Fatalf("aws sso login: %v\n%s", err, out)
	}
	tokens, _ := filepath.Glob(filepath.Join(s.Home, ".aws", "sso", "cache", "*.json"))
	if len(tokens) == 0 {
		t.Fatal("aws sso login wrote no file in ~/.aws/sso/cache")
	}

	// 2. kagi uses it: no sign-in of its own (no terminal here, no
	// $BROWSER: it could not sign in if it tried).
	out, err := run(nil, kagiBin, append([]string{"exec", "sso-stage", "--", awsV2}, whoami...)...)
	if err != nil || !arnOf("333333333333")(out) {
		t.Fatalf("kagi exec sso-stage with the AWS CLI v2's token: %v\n%s", err, out)
	}
	// (CreateToken counts the AWS CLI's polls while the page waited.)
	if st := s.Emu.Stats(); st["StartDeviceAuthorization"] != 1 || st["GetRoleCredentials"] != 1 {
		t.Errorf("calls %v: want the AWS CLI's one sign-in and kagi's one GetRoleCredentials", st)
	}

	// 3. The AWS CLI v2 signs out: kagi's cached role credentials of that
	// sign-in are not served; kagi fails at once with the command to run.
	if out, err := run(nil, awsV2, "sso", "logout"); err != nil {
		t.Fatalf("aws sso logout: %v\n%s", err, out)
	}
	out, err = run(nil, kagiBin, "exec", "sso-stage", "--", "true")
	if err == nil || !strings.Contains(out, "kagi sso login --sso-session corp") {
		t.Fatalf("kagi exec sso-stage after aws sso logout: %v\n%s", err, out)
	}
	if st := s.Emu.Stats(); st["GetRoleCredentials"] != 1 {
		t.Errorf("calls %v: kagi called the portal after the sign-out", st)
	}

	// 4. kagi signs in; the AWS CLI v2 alone uses that token.
	if out, err := run([]string{"BROWSER=" + kagiApprove}, kagiBin, "sso", "login", "--sso-session", "corp", "--use-device-code"); err != nil {
		t.Fatalf("kagi sso login: %v\n%s", err, out)
	}
	out, err = run(nil, awsV2, append(whoami, "--profile", "sso-dev")...)
	if err != nil || !arnOf("444444444444")(out) {
		t.Fatalf("aws --profile sso-dev with kagi's token: %v\n%s", err, out)
	}
	// kagi signed in with the client the AWS CLI registered (its
	// registration file, shared like the token): one RegisterClient.
	if st := s.Emu.Stats(); st["StartDeviceAuthorization"] != 2 || st["RegisterClient"] != 1 || st["GetRoleCredentials"] != 2 {
		t.Errorf("calls %v: want kagi's sign-in with the AWS CLI's client registration, and the AWS CLI's GetRoleCredentials", st)
	}
	for _, f := range tokens {
		if fi, err := os.Stat(f); err == nil && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
}

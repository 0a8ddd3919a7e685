package interop

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ssoFanOutWorld: one Identity Center user assigned AdministratorAccess in
// three accounts, and a role in a fourth that trusts the first account (a
// profile assumes it from an Identity Center profile), beside the jump user
// newKagiSetupWorld stores keys for.
const ssoFanOutWorld = `{
  "users":[{"account":"111111111111","name":"jumpuser",
    "access_keys":[{"id":"AKIAJUMPUSEREXAMPLE1","secret":"jump-secret-for-tests-only"}]}],
  "roles":[{"arn":"arn:aws:iam::555555555555:role/deploy","trust":{"principals":["arn:aws:iam::222222222222:root"]}}],
  "sso":{"start_url":"https://example.awsapps.com/start","region":"us-east-1","auto_allow":true,
    "users":[{"name":"alice@example.com","assignments":[
      {"account":"222222222222","account_name":"prod","role":"AdministratorAccess"},
      {"account":"333333333333","account_name":"stage","role":"AdministratorAccess"},
      {"account":"444444444444","account_name":"dev","role":"AdministratorAccess"}]}]}}`

const ssoFanOutConfig = `[profile jumpuser]

[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile sso-prod]
sso_session = corp
sso_account_id = 222222222222
sso_role_name = AdministratorAccess

[profile sso-stage]
sso_session = corp
sso_account_id = 333333333333
sso_role_name = AdministratorAccess

[profile sso-dev]
sso_session = corp
sso_account_id = 444444444444
sso_role_name = AdministratorAccess

[profile sso-deploy]
role_arn = arn:aws:iam::555555555555:role/deploy
source_profile = sso-prod
`

// One sign-in for every account: `kagi exec --profiles 'sso-*'` at a
// terminal with no Identity Center token opens ONE browser window (headless
// Chromium, through $BROWSER; the emulator's page presses its own Allow, as
// auto_allow says: internal/sso's tests press it through the DevTools
// protocol), and the AWS CLI then runs in all four profiles, the fourth a
// role assumed from an Identity Center profile.
func TestFanOutSSOOneSignInInChromium(t *testing.T) {
	chromium := NeedTool(t, "chromium")
	NeedAWSCLI(t)
	s := newKagiSetupWorld(t, ssoFanOutWorld, ssoFanOutConfig)

	// The browser kagi opens: Chromium, headless, a profile of its own; its
	// process group (kagi starts it in a session of its own) is ended with
	// the test. Each opening is logged.
	dir := t.TempDir()
	profile := browserProfileDir(t)
	opened := filepath.Join(dir, "opened.log")
	pids := filepath.Join(dir, "pids")
	browser := filepath.Join(dir, "browser.sh")
	writeTestFile(t, browser, "#!/bin/sh\necho opened >> '"+opened+"'\necho $$ >> '"+pids+"'\n"+
		"exec '"+chromium+"' --headless --no-sandbox --disable-gpu --no-first-run --no-default-browser-check --user-data-dir='"+profile+"' \"$1\" >/dev/null 2>&1\n", 0o700)
	t.Cleanup(func() {
		b, _ := os.ReadFile(pids)
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
				_ = syscall.Kill(-pid, syscall.SIGKILL)
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	env := append(append([]string{}, s.Env...), "BROWSER="+browser, "AWS_REGION=eu-west-1")
	tt := newTmuxTerm(t, env, kagiBin+` exec --profiles 'sso-*' --parallel 4 -- aws sts get-caller-identity --query Arn --output text`)
	lines := waitForExit(tt, 90*time.Second)
	text := strings.Join(lines, "\n")
	if !hasLine(`^kagi-exit:0$`)(lines) {
		t.Fatalf("kagi failed:\n%s", text)
	}
	for _, want := range []string{
		`^sso-prod +\| arn:aws:sts::222222222222:assumed-role/AWSReservedSSO_AdministratorAccess_[0-9a-f]{16}/alice@example\.com$`,
		`^sso-stage +\| arn:aws:sts::333333333333:assumed-role/AWSReservedSSO_AdministratorAccess_[0-9a-f]{16}/alice@example\.com$`,
		`^sso-dev +\| arn:aws:sts::444444444444:assumed-role/AWSReservedSSO_AdministratorAccess_[0-9a-f]{16}/alice@example\.com$`,
		`^sso-deploy +\| arn:aws:sts::555555555555:assumed-role/deploy/`,
	} {
		if !hasLine(want)(lines) {
			t.Errorf("no line %s:\n%s", want, text)
		}
	}
	b, err := os.ReadFile(opened)
	if err != nil {
		t.Fatalf("no browser was opened: %v", err)
	}
	if n := strings.Count(string(b), "opened\n"); n != 1 {
		t.Errorf("the browser was opened %d times, want once", n)
	}
	st := s.Emu.Stats()
	for action, want := range map[string]int{"RegisterClient": 1, "Authorize": 1, "AuthorizeConsent": 1, "CreateToken": 1, "GetRoleCredentials": 3, "AssumeRole": 1} {
		if st[action] != want {
			t.Errorf("%s: %d calls, want %d (all: %v)", action, st[action], want, st)
		}
	}
	// The token is where the AWS CLI v2 keeps it, private.
	tokens, _ := filepath.Glob(filepath.Join(s.Home, ".aws", "sso", "cache", "*.json"))
	if len(tokens) == 0 {
		t.Fatalf("no token in ~/.aws/sso/cache")
	}
	for _, f := range tokens {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, mode %v, want 0600", f, err, fi.Mode().Perm())
		}
	}
}

// waitForExit polls the terminal until the command's exit line shows.
func waitForExit(tt *tmuxTerm, limit time.Duration) []string {
	tt.t.Helper()
	deadline := time.Now().Add(limit)
	exited := hasLine(`^kagi-exit:\d+$`)
	for {
		lines := tt.screen()
		if exited(lines) {
			return lines
		}
		if time.Now().After(deadline) {
			tt.t.Fatalf("no exit within %s:\n%s", limit, strings.Join(lines, "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Identity Center sources behind the other ways kagi hands credentials
// out: the AWS CLI through credential_process (a role assumed from an
// Identity Center profile) and through `exec --server`'s endpoint, with the
// token the AWS CLI v2 would have cached and no terminal.
func TestSSOThroughCredentialProcessAndServer(t *testing.T) {
	NeedAWSCLI(t)
	s := newKagiSetupWorld(t, ssoFanOutWorld, ssoFanOutConfig+"\n[profile tf]\ncredential_process = %KAGI% credential-process sso-deploy\n")
	tok, err := s.Emu.MintSSOToken("alice@example.com", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum([]byte("corp"))
	body, _ := json.Marshal(map[string]string{"startUrl": "https://example.awsapps.com/start", "region": "us-east-1",
		"accessToken": tok, "expiresAt": time.Now().Add(time.Hour).UTC().Format("2006-01-02T15:04:05Z")})
	cacheDir := filepath.Join(s.Home, ".aws", "sso", "cache")
	if err := os.MkdirAll(cacheDir, 0o700); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, filepath.Join(cacheDir, hex.EncodeToString(sum[:])+".json"), string(body), 0o600)

	run := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Env = append(append([]string{}, s.Env...), "AWS_REGION=eu-west-1", "AWS_DEFAULT_REGION=eu-west-1")
		out, err := cmd.Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		return strings.TrimSpace(string(out))
	}
	if got := run("aws", "sts", "get-caller-identity", "--profile", "tf", "--query", "Arn", "--output", "text"); !strings.HasPrefix(got, "arn:aws:sts::555555555555:assumed-role/deploy/") {
		t.Errorf("credential_process: the AWS CLI is %q, want the deploy role", got)
	}
	got := run(kagiBin, "exec", "--server", "sso-stage", "--", "aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text")
	if !strings.HasPrefix(got, "arn:aws:sts::333333333333:assumed-role/AWSReservedSSO_AdministratorAccess_") {
		t.Errorf("exec --server: the AWS CLI is %q, want the Identity Center role in 333333333333", got)
	}
	if st := s.Emu.Stats(); st["GetRoleCredentials"] != 2 || st["CreateToken"] != 0 {
		t.Errorf("calls %v: want 2 GetRoleCredentials, no CreateToken", st)
	}
}

// The AWS CLI uses the token `kagi sso login` cached, with no kagi in
// between: the sign-in by device code (the page approved by an HTTP client
// kagi opens through $BROWSER), then `aws sts get-caller-identity` of an
// Identity Center profile reads ~/.aws/sso/cache itself.
func TestAWSCLIUsesTheTokenKagiSignedInFor(t *testing.T) {
	NeedAWSCLI(t)
	curl := NeedTool(t, "curl")
	s := newKagiSetupWorld(t, ssoFanOutWorld, ssoFanOutConfig)
	approve := filepath.Join(t.TempDir(), "approve.sh")
	// kagi opens a one-time loopback link that redirects to the page: follow
	// it once, then submit the page's form (Allow).
	writeTestFile(t, approve, "#!/bin/sh\npage=$('"+curl+"' -sf --noproxy '*' -o /dev/null -w '%{redirect_url}' \"$1\") || exit 1\n"+
		"exec '"+curl+"' -sf --noproxy '*' -o /dev/null -X POST \"$page\"\n", 0o700)
	env := append(append([]string{}, s.Env...), "BROWSER="+approve, "AWS_DEFAULT_REGION=eu-west-1")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	login := exec.CommandContext(ctx, kagiBin, "sso", "login", "--sso-session", "corp", "--use-device-code")
	login.Env = env
	if out, err := login.CombinedOutput(); err != nil {
		t.Fatalf("kagi sso login: %v\n%s", err, out)
	}
	aws := exec.CommandContext(ctx, "aws", "sts", "get-caller-identity", "--profile", "sso-stage", "--query", "Arn", "--output", "text")
	aws.Env = env
	out, err := aws.CombinedOutput()
	if err != nil {
		t.Fatalf("aws: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); !strings.HasPrefix(got, "arn:aws:sts::333333333333:assumed-role/AWSReservedSSO_AdministratorAccess_") || !strings.HasSuffix(got, "/alice@example.com") {
		t.Errorf("the AWS CLI with kagi's token is %q", got)
	}
	if st := s.Emu.Stats(); st["GetRoleCredentials"] != 1 || st["CreateToken"] != 1 {
		t.Errorf("calls %v: want the sign-in's one CreateToken and the AWS CLI's GetRoleCredentials", st)
	}
}

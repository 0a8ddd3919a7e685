package interop

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"
)

// loginWorld: the jump user with MFA, a role that requires it, and an
// Identity Center user with a permission set in another account.
const loginWorld = `{
  "users":[{"account":"111111111111","name":"jumpuser",
    "access_keys":[{"id":"AKIAJUMPUSEREXAMPLE1","secret":"jump-secret-for-tests-only"}],
    "mfa":{"serial":"arn:aws:iam::111111111111:mfa/jumpuser","totp_secret":"JBSWY3DPEHPK3PXP"}}],
  "roles":[{"arn":"arn:aws:iam::222222222222:role/admin",
    "trust":{"principals":["arn:aws:iam::111111111111:root"],"require_mfa":true}}],
  "sso":{"start_url":"https://example.awsapps.com/start","region":"us-east-1",
    "users":[{"name":"alice@example.com","assignments":[
      {"account":"333333333333","account_name":"stage","role":"AdministratorAccess"}]}]}}`

const loginConfig = `[profile jumpuser]
mfa_serial = arn:aws:iam::111111111111:mfa/jumpuser
mfa_process = %MFA%

[profile prod]
role_arn = arn:aws:iam::222222222222:role/admin
source_profile = jumpuser

[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile sso-stage]
sso_session = corp
sso_account_id = 333333333333
sso_role_name = AdministratorAccess
`

// chromiumPage opens u in a headless Chromium of its own and returns the
// text of the page it lands on after the redirects.
func chromiumPage(t *testing.T, chromium, u string) string {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.UserDataDir(browserProfileDir(t)), chromedp.Flag("disable-gpu", true))
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	if err := chromedp.Do(bctx, chromedp.Navigate(u)); err != nil {
		t.Fatalf("chromium on the sign-in link: %v", err)
	}
	text, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		t.Fatalf("chromium's page: %v", err)
	}
	return text
}

// The proof of issue 13's kagi login: a real browser signs in to the
// emulator's console with what `kagi login` makes, as the role, from the
// session every other command uses (one MFA code for all of it, one
// AssumeRole); kagi opening the browser itself through $BROWSER gives it a
// loopback link, never the sign-in link; a sign-in link works once; and an
// IAM Identity Center profile signs in as its AWSReservedSSO role.
func TestLoginConsoleInChromium(t *testing.T) {
	chromium := NeedTool(t, "chromium")
	s := newKagiSetupWorld(t, loginWorld, loginConfig)
	s.Env = append(s.Env, "KAGI_FEDERATION_ENDPOINT="+s.URL+"/federation", "AWS_REGION=eu-west-1")

	// --stdout, opened by Chromium.
	link := strings.TrimSpace(s.kagi(t, nil, "login", "prod", "--stdout", "--destination", "/ec2/home"))
	if !strings.HasPrefix(link, s.URL+"/federation?Action=login&") {
		t.Fatalf("link %q", link)
	}
	page := chromiumPage(t, chromium, link)
	if !regexp.MustCompile(`Signed in as arn:aws:sts::222222222222:assumed-role/admin/kagi-\d+`).MatchString(page) ||
		!strings.Contains(page, "https://console.aws.amazon.com/ec2/home?region=eu-west-1") {
		t.Fatalf("the console page:\n%s", page)
	}
	// The link works once.
	if page := chromiumPage(t, chromium, link); !strings.Contains(page, "used already") || strings.Contains(page, "Signed in as") {
		t.Errorf("the link opened a second time:\n%s", page)
	}

	// Again, kagi opening Chromium itself: no STS call, no code.
	dir := t.TempDir()
	profile := browserProfileDir(t)
	browser := filepath.Join(dir, "browser.sh")
	writeTestFile(t, browser, fmt.Sprintf(`#!/bin/sh
echo "$1" >> %[1]s/opened
echo $$ >> %[1]s/pids
exec %[2]s --headless=new --no-sandbox --disable-gpu --no-first-run --no-default-browser-check \
  --user-data-dir=%[3]s --remote-debugging-address=127.0.0.1 --remote-debugging-port=0 "$1" >/dev/null 2>&1
`, dir, chromium, profile), 0o700)
	t.Cleanup(func() {
		b, _ := os.ReadFile(filepath.Join(dir, "pids"))
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
				_ = syscall.Kill(-pid, syscall.SIGKILL)
			}
		}
	})
	s.kagi(t, []string{"BROWSER=" + browser}, "login", "prod")
	opened, _ := os.ReadFile(filepath.Join(dir, "opened"))
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+/[A-Za-z0-9_-]{43}\n$`).Match(opened) {
		t.Errorf("the browser was given %q, want one loopback link", opened)
	}
	page = consolePageInDevTools(t, profile)
	if !regexp.MustCompile(`Signed in as arn:aws:sts::222222222222:assumed-role/admin/kagi-\d+`).MatchString(page) ||
		!strings.Contains(page, "https://console.aws.amazon.com/console/home?region=eu-west-1") {
		t.Errorf("the console page kagi's browser landed on:\n%s", page)
	}
	st := s.Emu.Stats()
	if st["AssumeRole"] != 1 || st["GetSessionToken"] != 1 || st["getSigninToken"] != 2 || st["login"] != 3 {
		t.Errorf("emulator calls %v: want 1 AssumeRole, 1 GetSessionToken, 2 getSigninToken, 3 login", st)
	}
	if n := s.mfaAsked(t); n != 1 {
		t.Errorf("the MFA code was asked %d times, want once", n)
	}

	// IAM Identity Center: the token the AWS CLI v2 would have cached.
	tok, err := s.Emu.MintSSOToken("alice@example.com", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum([]byte("corp"))
	body, _ := json.Marshal(map[string]string{"startUrl": "https://example.awsapps.com/start", "region": "us-east-1",
		"accessToken": tok, "expiresAt": time.Now().Add(time.Hour).UTC().Format("2006-01-02T15:04:05Z")})
	writeTestFile(t, filepath.Join(s.Home, ".aws", "sso", "cache", hex.EncodeToString(sum[:])+".json"), string(body), 0o600)
	link = strings.TrimSpace(s.kagi(t, nil, "login", "sso-stage", "--stdout"))
	page = chromiumPage(t, chromium, link)
	if !regexp.MustCompile(`Signed in as arn:aws:sts::333333333333:assumed-role/AWSReservedSSO_AdministratorAccess_[0-9a-f]{16}/alice@example\.com`).MatchString(page) {
		t.Errorf("the Identity Center console page:\n%s", page)
	}
	// The endpoint takes no SessionDuration for Identity Center: refused
	// before any call, with the reason.
	before := s.Emu.Stats()["getSigninToken"]
	cmd := exec.CommandContext(t.Context(), kagiBin, "login", "sso-stage", "--stdout", "--duration", "2h")
	cmd.Env = s.Env
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 ||
		!strings.Contains(string(out), "kagi: error: --duration: the federation endpoint takes no console session length for IAM Identity Center credentials") {
		t.Errorf("login --duration for Identity Center: %v\n%s", err, out)
	}
	if s.Emu.Stats()["getSigninToken"] != before {
		t.Errorf("getSigninToken was called for a refused --duration")
	}
}

// consolePageInDevTools attaches to the Chromium the browser script started
// with profile (its DevTools port in the profile's DevToolsActivePort) and
// returns the text of its console page once it shows.
func consolePageInDevTools(t *testing.T, profile string) string {
	t.Helper()
	var ws string
	deadline := time.Now().Add(30 * time.Second)
	for ws == "" {
		if f, err := os.Open(filepath.Join(profile, "DevToolsActivePort")); err == nil {
			sc := bufio.NewScanner(f)
			var ls []string
			for sc.Scan() {
				ls = append(ls, sc.Text())
			}
			f.Close()
			if len(ls) >= 2 {
				ws = "ws://127.0.0.1:" + ls[0] + ls[1]
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no DevTools port from chromium")
		}
		time.Sleep(50 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	actx, acancel := remote.NewAllocator(ctx, ws, remote.NoModifyURL)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	for {
		ts, err := chromedp.Targets(bctx)
		if err == nil {
			for _, ti := range ts {
				if ti.Type != "page" || !strings.Contains(ti.URL, "/_emu/console") {
					continue
				}
				tctx, tcancel := chromedp.NewContext(bctx, chromedp.WithTargetID(ti.TargetID), chromedp.WithDetachOnCancel())
				text, err := chromedp.Run(tctx, chromedp.Text(chromedp.CSS("body")))
				tcancel()
				if err == nil && strings.Contains(text, "Signed in as") {
					return text
				}
			}
		}
		if time.Now().After(deadline.Add(30 * time.Second)) {
			t.Fatalf("chromium shows no console page (targets: %v, %v)", ts, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

package interop

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"

	"github.com/kagi-cli/kagi/internal/awsemu"
)

// openInChromium opens u in headless Chromium with a profile of the test's
// own, and ends the browser when the test ends: SIGTERM, so that Chromium
// ends and reaps its own helper processes, then, if it has not exited within
// ten seconds, SIGKILL to its whole process group.
func openInChromium(t *testing.T, chromium, u string) {
	t.Helper()
	profile := browserProfileDir(t)
	cmd := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--no-default-browser-check", "--user-data-dir="+profile, u)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		// Whatever of its group outlived it goes now.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	})
}

// TestEmuSSOPagesInChromium signs in through the emulator's pages in a
// real browser: the authorization page redirects Chromium to a loopback
// listener with the code and state, which PKCE exchanges for a token the
// portal accepts; the device page, opened at verificationUriComplete,
// approves the device code. The world's auto_allow has the pages click
// their own Allow button, as a person would.
func TestEmuSSOPagesInChromium(t *testing.T) {
	chromium := NeedTool(t, "chromium")
	const start = "https://example.awsapps.com/start"
	srv := awsemu.New(&awsemu.World{SSO: &awsemu.SSO{StartURL: start, Region: "us-east-1", AutoAllow: true, Users: []awsemu.SSOUser{
		{Name: "alice@example.com", Assignments: []awsemu.SSOAssignment{{Account: "222222222222", AccountName: "prod", Role: "AdministratorAccess"}}},
	}}})
	base, stop, err := srv.Start(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	cfg := aws.Config{Region: "us-east-1", HTTPClient: &http.Client{Timeout: 30 * time.Second}}
	oidc := ssooidc.NewFromConfig(cfg, func(o *ssooidc.Options) { o.BaseEndpoint = aws.String(base) })
	portal := sso.NewFromConfig(cfg, func(o *sso.Options) { o.BaseEndpoint = aws.String(base) })
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()

	// The authorization-code flow, as the AWS CLI v2 runs it.
	reg, err := oidc.RegisterClient(ctx, &ssooidc.RegisterClientInput{ClientName: aws.String("interop"), ClientType: aws.String("public"),
		GrantTypes: []string{"authorization_code", "refresh_token"}, RedirectUris: []string{"http://127.0.0.1/oauth/callback"},
		IssuerUrl: aws.String(start), Scopes: []string{"sso:account:access"}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	callback := make(chan url.Values, 1)
	cb := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/callback" {
			select {
			case callback <- r.URL.Query():
			default:
			}
		}
		_, _ = w.Write([]byte("signed in"))
	})}
	go func() { _ = cb.Serve(ln) }()
	t.Cleanup(func() { _ = cb.Close() })
	redirect := "http://" + ln.Addr().String() + "/oauth/callback"
	verifier := "chromium-interop-verifier-0123456789-abcdefghijklmnopqrstuvwxyz"
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {*reg.ClientId}, "redirect_uri": {redirect}, "state": {"st-42"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}, "scopes": {"sso:account:access"}}
	openInChromium(t, chromium, base+"/authorize?"+q.Encode())
	var got url.Values
	select {
	case got = <-callback:
	case <-ctx.Done():
		t.Fatalf("Chromium never reached the redirect URI; emulator saw %v", srv.Stats())
	}
	if got.Get("state") != "st-42" || got.Get("code") == "" {
		t.Fatalf("callback %v", got)
	}
	tok, err := oidc.CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: reg.ClientId, ClientSecret: reg.ClientSecret,
		GrantType: aws.String("authorization_code"), Code: aws.String(got.Get("code")), RedirectUri: aws.String(redirect),
		CodeVerifier: aws.String(verifier)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := portal.GetRoleCredentials(ctx, &sso.GetRoleCredentialsInput{AccessToken: tok.AccessToken,
		AccountId: aws.String("222222222222"), RoleName: aws.String("AdministratorAccess")}); err != nil {
		t.Fatal(err)
	}

	// The device code flow: the browser opens verificationUriComplete.
	dreg, err := oidc.RegisterClient(ctx, &ssooidc.RegisterClientInput{ClientName: aws.String("interop-device"), ClientType: aws.String("public"),
		Scopes: []string{"sso:account:access"}})
	if err != nil {
		t.Fatal(err)
	}
	dev, err := oidc.StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{ClientId: dreg.ClientId,
		ClientSecret: dreg.ClientSecret, StartUrl: aws.String(start)})
	if err != nil {
		t.Fatal(err)
	}
	openInChromium(t, chromium, *dev.VerificationUriComplete)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for srv.Stats()["DeviceConsent"] == 0 {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("Chromium never approved the device code; emulator saw %v", srv.Stats())
		}
	}
	dtok, err := oidc.CreateToken(ctx, &ssooidc.CreateTokenInput{ClientId: dreg.ClientId, ClientSecret: dreg.ClientSecret,
		GrantType: aws.String("urn:ietf:params:oauth:grant-type:device_code"), DeviceCode: dev.DeviceCode})
	if err != nil {
		t.Fatalf("device code after approval: %v", err)
	}
	if _, err := portal.ListAccounts(ctx, &sso.ListAccountsInput{AccessToken: dtok.AccessToken}); err != nil {
		t.Fatal(err)
	}
}

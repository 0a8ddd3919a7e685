package sso

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	oidctypes "github.com/aws/aws-sdk-go-v2/service/ssooidc/types"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/loopback"
	"github.com/kagi-cli/kagi/internal/termtext"
)

// Grant types, as RegisterClient and CreateToken name them.
const (
	grantAuthCode = "authorization_code"
	grantRefresh  = "refresh_token"
	grantDevice   = "urn:ietf:params:oauth:grant-type:device_code"
)

// defaultAuthCodeScopes: the AWS CLI v2 asks for sso:account:access when a
// session names no scopes and signs in through the browser; it is the scope
// GetRoleCredentials needs, and the one that earns a refresh token.
var defaultAuthCodeScopes = []string{"sso:account:access"}

// callbackPath is the loopback redirect's path, as the AWS CLI v2 uses it.
const callbackPath = "/oauth/callback"

// signIn runs one sign-in flow and caches its token. The caller holds s's
// lock.
func (t *Tokens) signIn(ctx context.Context, s config.SSOSession, deviceCode bool) (Token, error) {
	ctx, cancel := context.WithTimeout(ctx, t.signInTimeout())
	defer cancel()
	client := t.oidc(s.Region)
	reg, err := t.registration(ctx, client, s, deviceCode)
	if err != nil {
		return Token{}, err
	}
	var out *ssooidc.CreateTokenOutput
	if deviceCode {
		out, err = t.deviceFlow(ctx, client, s, reg)
	} else {
		out, err = t.authCodeFlow(ctx, client, s, reg)
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			return Token{}, fmt.Errorf("sign-in to %s: no answer from the browser within %s", sessionText(s), t.signInTimeout())
		}
		return Token{}, err
	}
	var tok Token
	t.fill(&tok, s, out, t.now())
	if s.Name != "" || tok.RefreshToken != "" {
		// The registration goes with the token (botocore and the Go SDK
		// refresh with it); the AWS CLI leaves it out of a legacy
		// profile's token, which has nothing to refresh.
		tok.ClientID, tok.ClientSecret, tok.RegistrationExpiresAt = reg.ClientID, reg.ClientSecret, reg.ExpiresAt
	}
	if err := WriteToken(t.tokenPath(s), tok); err != nil {
		return Token{}, err
	}
	fmt.Fprintf(t.out(), "kagi: signed in to %s; the token is valid until %s\n", termtext.Visible(s.StartURL), tok.ExpiresAt.UTC().Format(time.RFC3339))
	return tok, nil
}

// registration returns a client registration for the flow: the cached
// one while it has registrationMargin left and was made for the flow's
// grant, else a new one, cached.
func (t *Tokens) registration(ctx context.Context, client *ssooidc.Client, s config.SSOSession, deviceCode bool) (Registration, error) {
	path := TokenPath(t.Dir, RegistrationKey(s.StartURL, s.Region, s.Scopes, s.Name))
	var reg Registration
	ok, err := readJSON(path, &reg)
	if err != nil {
		t.Log.Printf("sso: ignoring the cached client registration: %v", err)
		ok = false
	}
	if ok && reg.ClientID != "" && reg.ClientSecret != "" && t.now().Add(registrationMargin).Before(reg.ExpiresAt) && fitsFlow(reg, deviceCode) {
		t.Log.Secret(reg.ClientSecret)
		t.Log.Printf("sso: cached client registration, valid until %s", reg.ExpiresAt.UTC().Format(time.RFC3339))
		return reg, nil
	}
	in := &ssooidc.RegisterClientInput{
		ClientName: aws.String(clientName(s)),
		ClientType: aws.String("public"),
		Scopes:     s.Scopes,
	}
	if !deviceCode {
		in.GrantTypes = []string{grantAuthCode, grantRefresh}
		in.RedirectUris = []string{"http://127.0.0.1" + callbackPath}
		in.IssuerUrl = aws.String(s.StartURL)
		if len(in.Scopes) == 0 {
			in.Scopes = defaultAuthCodeScopes
		}
	}
	t.Log.Printf("sso: registering a client with the OIDC service in %s", s.Region)
	out, err := client.RegisterClient(ctx, in)
	if err != nil {
		return Registration{}, oidcError("register a client", s, err)
	}
	reg = Registration{
		ClientID:     aws.ToString(out.ClientId),
		ClientSecret: aws.ToString(out.ClientSecret),
		ExpiresAt:    time.Unix(out.ClientSecretExpiresAt, 0).UTC(),
		Scopes:       in.Scopes,
		GrantTypes:   in.GrantTypes,
	}
	t.Log.Secret(reg.ClientSecret)
	if err := writeJSON(path, reg); err != nil {
		return Registration{}, err
	}
	return reg, nil
}

// fitsFlow: a registration made with grant types serves only those; one
// without (the device code flow's) serves the device code flow.
func fitsFlow(reg Registration, deviceCode bool) bool {
	if reg.GrantTypes == nil {
		return deviceCode
	}
	if deviceCode {
		return slices.Contains(reg.GrantTypes, grantDevice)
	}
	return slices.Contains(reg.GrantTypes, grantAuthCode)
}

func clientName(s config.SSOSession) string {
	if s.Name != "" {
		return "kagi-" + s.Name
	}
	return "kagi"
}

// randomString is n random bytes, base64url without padding.
func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand, Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

// authCodeFlow: RFC 7636 PKCE (S256) through the browser, the code
// delivered to a loopback listener on 127.0.0.1.
func (t *Tokens) authCodeFlow(ctx context.Context, client *ssooidc.Client, s config.SSOSession, reg Registration) (*ssooidc.CreateTokenOutput, error) {
	verifier := randomString(64) // 86 characters: RFC 7636 allows 43 to 128
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	state := randomString(32)

	var warnOnce sync.Once
	cb, err := listenCallback(state, func(err error) {
		warnOnce.Do(func() {
			fmt.Fprintf(t.out(), "kagi: warning: %v: it tried to answer the sign-in with the state from the browser's command line\n", err)
		})
	})
	if err != nil {
		return nil, err
	}
	defer cb.close()
	redirect := cb.redirectURI()

	authorize, err := t.authorizeURL(ctx, client, s.Region)
	if err != nil {
		return nil, err
	}
	scopes := reg.Scopes
	if len(scopes) == 0 {
		scopes = defaultAuthCodeScopes
	}
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {reg.ClientID},
		"redirect_uri":          {redirect},
		"state":                 {state},
		"code_challenge_method": {"S256"},
		"code_challenge":        {challenge},
		"scopes":                {strings.Join(scopes, " ")},
	}
	link := authorize + "?" + q.Encode()
	t.Log.Printf("sso: waiting for the browser's redirect on %s", redirect)
	done, opener := t.open(ctx, s, link, "")
	defer done()

	code, err := cb.wait(ctx, opener)
	if oe := (*OpenerError)(nil); errors.As(err, &oe) {
		return nil, &OpenerFailedError{Session: s, Err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("sign-in to %s: %w", sessionText(s), err)
	}
	t.Log.Secret(code)
	out, err := client.CreateToken(ctx, &ssooidc.CreateTokenInput{
		ClientId:     aws.String(reg.ClientID),
		ClientSecret: aws.String(reg.ClientSecret),
		GrantType:    aws.String(grantAuthCode),
		Code:         aws.String(code),
		CodeVerifier: aws.String(verifier),
		RedirectUri:  aws.String(redirect),
	})
	if err != nil {
		return nil, oidcError("redeem the authorization code", s, err)
	}
	return out, nil
}

// authorizeURL is the OIDC service's /authorize for region, at the
// endpoint the SDK resolves (a custom endpoint, else the regional one).
func (t *Tokens) authorizeURL(ctx context.Context, client *ssooidc.Client, region string) (string, error) {
	o := client.Options()
	ep, err := o.EndpointResolverV2.ResolveEndpoint(ctx, ssooidc.EndpointParameters{Region: aws.String(region), Endpoint: o.BaseEndpoint})
	if err != nil {
		return "", fmt.Errorf("the OIDC endpoint of region %q: %w", region, err)
	}
	u := ep.URI
	u.Path = strings.TrimRight(u.Path, "/") + "/authorize"
	u.RawQuery = ""
	return u.String(), nil
}

// open shows link to the person and opens the browser on it. The
// browser is given a one-time loopback URL that redirects to link
// (loopback.Redirect), never link itself: a process's argv is readable by
// every user of the machine, and link carries what another user could use
// to sign this process in as themselves (the authorize URL's state and
// code_challenge, the device flow's user code), or to spoil the sign-in.
// The returned func closes that redirect (call it when the sign-in ends)
// and warns if another user tried it. failed (nil when there is nothing
// to watch) receives the opener's failure: see openerFailed.
func (t *Tokens) open(ctx context.Context, s config.SSOSession, link, userCode string) (done func(), failed *openerWatch) {
	w := t.out()
	if t.Opener == nil {
		fmt.Fprintf(w, "kagi: to sign in to %s, open this URL in a browser:\n\n    %s\n\n", termtext.Visible(s.StartURL), termtext.Visible(link))
	} else {
		fmt.Fprintf(w, "kagi: opening a browser to sign in to %s; if none opens, open this URL:\n\n    %s\n\n", termtext.Visible(s.StartURL), termtext.Visible(link))
	}
	if userCode != "" {
		fmt.Fprintf(w, "kagi: and check that it shows the code: %s\n", termtext.Visible(userCode))
	}
	if t.Opener == nil {
		return func() {}, nil
	}
	open, done := link, func() {}
	var rd *loopback.Redirect
	if r, err := loopback.NewRedirect(link); err == nil {
		rd, open = r, r.URL
		done = func() {
			rd.Close()
			if ref := rd.Refused(); ref != nil {
				fmt.Fprintf(w, "kagi: warning: %v: it tried to take the sign-in URL from the browser's command line\n", ref)
			}
		}
	} else {
		t.Log.Printf("sso: no loopback redirect (%v); the browser gets the URL itself", err)
	}
	ch, err := t.Opener(ctx, open)
	if err != nil {
		fmt.Fprintf(w, "kagi: warning: could not open a browser (%v); open the URL above\n", err)
		return done, nil
	}
	if ch == nil || rd == nil {
		// Without the redirect kagi cannot tell whether the browser
		// got the URL before its opener failed: the wait goes on.
		return done, nil
	}
	return done, &openerWatch{failed: ch, rd: rd}
}

// openerWatch is a started opener and the link it was given.
type openerWatch struct {
	failed <-chan error
	rd     *loopback.Redirect
}

// ch is the channel to select on (nil, which never delivers, for none).
func (o *openerWatch) ch() <-chan error {
	if o == nil {
		return nil
	}
	return o.failed
}

// unfetched: the opener's failure err counts (the browser never fetched
// the link, so none is coming); after the fetch it says nothing.
func (o *openerWatch) unfetched() bool { return !o.rd.Fetched() }

// OpenerFailedError: the browser opener failed before any browser
// fetched the sign-in link (xdg-open on a machine without a display exits
// 3 at once), so the browser sign-in ended at once rather than wait for
// a browser that is not coming.
type OpenerFailedError struct {
	Session config.SSOSession
	Err     error // the *OpenerError
}

func (e *OpenerFailedError) Error() string {
	return fmt.Sprintf("sign-in to %s: no browser opened the sign-in URL: %v", sessionText(e.Session), e.Err)
}

func (e *OpenerFailedError) Unwrap() error { return e.Err }

// Hint: the device code flow signs in from any device, --no-browser
// prints the URL for a browser on this machine.
func (e *OpenerFailedError) Hint() string {
	cmd := "kagi sso login"
	if e.Session.Name != "" {
		cmd += " --sso-session " + e.Session.Name
	}
	return fmt.Sprintf("on a machine without a browser (over SSH), %s --use-device-code signs in with a code on any device; --no-browser prints the URL to open yourself", cmd)
}

// deviceFlow: RFC 8628, the person enters (or checks) a code on the
// verification page; CreateToken is polled at the interval the service
// asks for, slower when it says slow_down, until the code expires.
func (t *Tokens) deviceFlow(ctx context.Context, client *ssooidc.Client, s config.SSOSession, reg Registration) (*ssooidc.CreateTokenOutput, error) {
	da, err := client.StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{
		ClientId:     aws.String(reg.ClientID),
		ClientSecret: aws.String(reg.ClientSecret),
		StartUrl:     aws.String(s.StartURL),
	})
	if err != nil {
		return nil, oidcError("start the device authorization", s, err)
	}
	t.Log.Secret(aws.ToString(da.DeviceCode))
	link := aws.ToString(da.VerificationUriComplete)
	if link == "" {
		link = aws.ToString(da.VerificationUri)
	}
	fmt.Fprintf(t.out(), "kagi: verification URL: %s\nkagi: user code: %s\n", termtext.Visible(aws.ToString(da.VerificationUri)), termtext.Visible(aws.ToString(da.UserCode)))
	done, opener := t.open(ctx, s, link, aws.ToString(da.UserCode))
	defer done()

	interval := time.Duration(da.Interval) * time.Second
	if interval <= 0 {
		interval = 5 * time.Second // RFC 8628 section 3.5's default
	}
	expires := da.ExpiresIn
	if expires <= 0 {
		expires = 600
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(expires)*time.Second)
	defer cancel()
	for {
		timer := time.NewTimer(interval)
		select {
		case err := <-opener.ch():
			// The code can be entered on any device: say so, and poll on.
			if opener.unfetched() {
				fmt.Fprintf(t.out(), "kagi: warning: no browser opened (%v); open the URL above on any device\n", err)
			}
			opener = nil
			timer.Stop()
			continue
		case <-ctx.Done():
			timer.Stop()
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, fmt.Errorf("sign-in to %s: the device code expired before it was approved", sessionText(s))
			}
			return nil, ctx.Err()
		case <-timer.C:
		}
		out, err := client.CreateToken(ctx, &ssooidc.CreateTokenInput{
			ClientId:     aws.String(reg.ClientID),
			ClientSecret: aws.String(reg.ClientSecret),
			GrantType:    aws.String(grantDevice),
			DeviceCode:   da.DeviceCode,
		})
		var (
			pending *oidctypes.AuthorizationPendingException
			slow    *oidctypes.SlowDownException
			expired *oidctypes.ExpiredTokenException
		)
		switch {
		case err == nil:
			return out, nil
		case errors.As(err, &pending):
		case errors.As(err, &slow):
			interval += 5 * time.Second // RFC 8628 section 3.5
		case errors.As(err, &expired):
			return nil, fmt.Errorf("sign-in to %s: the device code expired before it was approved", sessionText(s))
		default:
			return nil, oidcError("get the token", s, err)
		}
	}
}

// Package sso holds IAM Identity Center sign-in: the AWS CLI v2's token
// cache (~/.aws/sso/cache), its client registrations, the authorization
// code flow with PKCE through a browser and a loopback redirect, the
// device code flow, refresh, and sign-out.
//
// Tokens live where the AWS CLI v2 keeps them, in its format, so that one
// sign-in serves kagi, the AWS CLI, boto3 and every AWS SDK alike.
// Refreshes and sign-ins of one session happen under a cross-process lock
// (filelock), and whoever takes the lock reads the cache again first: any
// number of processes waiting on an expired token make one refresh call,
// or open one browser window.
package sso

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	oidctypes "github.com/aws/aws-sdk-go-v2/service/ssooidc/types"

	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/debug"
	"github.com/kagi-cli/kagi/internal/filelock"
	"github.com/kagi-cli/kagi/internal/prompt"
)

// RefreshWindow: a token with less than this left is refreshed (or, when
// it cannot be, still used until it expires). GetRoleCredentials needs the
// token only for the one call, so a few minutes are plenty.
const RefreshWindow = 5 * time.Minute

// registrationMargin: a client registration with less than this left is
// not used to start a sign-in (the AWS CLI's window is 15 minutes).
const registrationMargin = 15 * time.Minute

// DefaultSignInTimeout bounds how long a sign-in waits for the person in
// the browser (the AWS CLI's loopback listener waits 10 minutes).
const DefaultSignInTimeout = 10 * time.Minute

// Tokens gets IAM Identity Center access tokens: from the AWS CLI v2's
// cache, refreshed, or after a sign-in.
type Tokens struct {
	// Dir is the token cache, ~/.aws/sso/cache.
	Dir string
	// LockDir holds the sign-in/refresh locks (kagi's cache directory);
	// "" means no cross-process lock.
	LockDir string
	// HTTPClient makes the OIDC and portal calls (nil: the SDK's).
	HTTPClient *http.Client
	// Interactive: a person can be asked to sign in (a browser opened, a
	// device code shown). Otherwise Token fails at once when it would.
	Interactive bool
	// DeviceCode makes Token's sign-ins use the device code flow.
	DeviceCode bool
	// Opener opens a URL in a browser; nil, or an error, and the person is
	// asked to open it themselves (the URL is always printed to Out). Its
	// channel (may be nil) receives an error if the browser it started
	// fails later (Browser.Open): before the browser fetched the link,
	// that ends a browser sign-in at once, with an *OpenerFailedError.
	Opener func(ctx context.Context, url string) (failed <-chan error, err error)
	// Out receives the lines meant for the person signing in (stderr).
	Out io.Writer
	// Env reads the environment: AWS_ENDPOINT_URL_SSO_OIDC,
	// AWS_ENDPOINT_URL_SSO, AWS_ENDPOINT_URL.
	Env func(string) (string, bool)
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// SignInTimeout bounds a sign-in (0: DefaultSignInTimeout).
	SignInTimeout time.Duration
	// Log is the --debug log (nil: off). Tokens never reach it.
	Log *debug.Log
}

func (t *Tokens) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

func (t *Tokens) out() io.Writer {
	if t.Out == nil {
		return io.Discard
	}
	return t.Out
}

func (t *Tokens) signInTimeout() time.Duration {
	if t.SignInTimeout > 0 {
		return t.SignInTimeout
	}
	return DefaultSignInTimeout
}

// LoginRequiredError: the session has no usable token and kagi may not
// ask anyone to sign in. Its hint is the command to run.
type LoginRequiredError struct {
	Session config.SSOSession
	// Profile, when known (a legacy profile has no session name), is put
	// into the hint. Callers that know it may set it.
	Profile string
	Reason  string // "no cached token", "the token expired and cannot be refreshed", ...
}

func (e *LoginRequiredError) Error() string {
	return fmt.Sprintf("IAM Identity Center sign-in needed for %s: %s", sessionText(e.Session), e.Reason)
}

func (e *LoginRequiredError) Hint() string {
	return "run " + LoginCommand(e.Session, e.Profile)
}

// LoginCommand is the command that signs in to s: by session name, else
// by profile.
func LoginCommand(s config.SSOSession, profile string) string {
	if s.Name == "" && profile == "" {
		return fmt.Sprintf("kagi sso login --profile PROFILE (a profile with sso_start_url = %s)", s.StartURL)
	}
	return s.LoginHint(profile)
}

func sessionText(s config.SSOSession) string {
	if s.Name != "" {
		return fmt.Sprintf("sso-session %q", s.Name)
	}
	return fmt.Sprintf("start URL %q", s.StartURL)
}

// usable reports whether tok can be handed out at now: an access token
// for s's start URL that has not expired.
func usable(tok Token, s config.SSOSession, now time.Time) bool {
	return tok.AccessToken != "" && now.Before(tok.ExpiresAt) && (tok.StartURL == "" || tok.StartURL == s.StartURL)
}

// fresh: usable with more than RefreshWindow left.
func fresh(tok Token, s config.SSOSession, now time.Time) bool {
	return usable(tok, s, now.Add(RefreshWindow))
}

// refreshable: the file holds what a refresh_token grant needs, under a
// registration that has not expired.
func refreshable(tok Token, s config.SSOSession, now time.Time) bool {
	return tok.RefreshToken != "" && tok.ClientID != "" && tok.ClientSecret != "" &&
		(tok.RegistrationExpiresAt.IsZero() || now.Before(tok.RegistrationExpiresAt)) &&
		(tok.StartURL == "" || tok.StartURL == s.StartURL)
}

func (t *Tokens) tokenPath(s config.SSOSession) string { return TokenPath(t.Dir, s.CacheKey()) }

// Token returns an access token for s (this matches creds.Deps.SSOToken).
// A cached token with more than RefreshWindow left is returned with no
// network call. Otherwise, under s's lock and after reading the cache
// again: the refresh token is used when there is one; else, when
// Interactive, the person signs in; else the error is a
// *LoginRequiredError.
func (t *Tokens) Token(ctx context.Context, s config.SSOSession) (string, error) {
	if err := checkSession(s); err != nil {
		return "", err
	}
	path := t.tokenPath(s)
	tok, _, err := ReadToken(path)
	if err == nil && fresh(tok, s, t.now()) {
		t.Log.Printf("sso: cached token for %s, valid until %s", sessionText(s), tok.ExpiresAt.UTC().Format(time.RFC3339))
		t.Log.Secret(tok.AccessToken)
		return tok.AccessToken, nil
	}
	unlock, err := t.lock(ctx, s)
	if err != nil {
		return "", err
	}
	defer unlock()
	// Another process may have refreshed or signed in while this one
	// waited: read again.
	tok, _, err = ReadToken(path)
	var cfe *CacheFileError
	if errors.As(err, &cfe) && t.Interactive {
		// A file that does not parse: a new sign-in replaces it.
		t.Log.Printf("sso: %v; signing in again", err)
		tok, err = Token{}, nil
	}
	if err != nil {
		return "", err
	}
	now := t.now()
	t.Log.Secret(tok.AccessToken, tok.RefreshToken, tok.ClientSecret)
	if fresh(tok, s, now) {
		t.Log.Printf("sso: token for %s refreshed by another process", sessionText(s))
		return tok.AccessToken, nil
	}
	reason := "no cached token"
	expired := "the token expired at " + tok.ExpiresAt.UTC().Format(time.RFC3339)
	switch {
	case tok.AccessToken != "" && tok.StartURL != "" && tok.StartURL != s.StartURL:
		reason = fmt.Sprintf("the cached token is for another start URL, %q", tok.StartURL)
	case refreshable(tok, s, now):
		nt, err := t.refresh(ctx, s, tok)
		if err == nil {
			return nt.AccessToken, nil
		}
		if usable(tok, s, now) {
			// Refreshing early failed; the token still works for now.
			t.Log.Printf("sso: refresh failed (%v); using the token until it expires at %s", err, tok.ExpiresAt.UTC().Format(time.RFC3339))
			return tok.AccessToken, nil
		}
		if ctx.Err() != nil {
			return "", err
		}
		if !isGrantRefused(err) {
			return "", err // the network, the endpoint: signing in again would not help
		}
		// Another program that takes no kagi lock (the AWS CLI, an SDK)
		// may have refreshed with the same refresh token meanwhile, which
		// is why it was refused: its file then holds the new refresh
		// token, and writing this stale copy over it would lose it.
		if cur, ok, rerr := ReadToken(path); rerr == nil && ok && cur.RefreshToken != tok.RefreshToken {
			t.Log.Secret(cur.AccessToken, cur.RefreshToken, cur.ClientSecret)
			if usable(cur, s, now) && (cur.StartURL == "" || cur.StartURL == s.StartURL) {
				t.Log.Printf("sso: token for %s refreshed by another program meanwhile", sessionText(s))
				return cur.AccessToken, nil
			}
			reason = expired + " and the refresh token was refused"
			break
		}
		// The refresh token is dead: drop it from the file, so that the
		// processes waiting on this lock (and later ones) fail at once,
		// or sign in, without trying it again.
		tok.RefreshToken = ""
		if werr := WriteToken(path, tok); werr != nil {
			t.Log.Printf("sso: %v", werr)
		}
		reason = expired + " and the refresh token was refused"
	case usable(tok, s, now):
		// Near expiry with no way to refresh: use it while it lasts
		// rather than interrupt anyone.
		t.Log.Printf("sso: token for %s expires at %s and cannot be refreshed", sessionText(s), tok.ExpiresAt.UTC().Format(time.RFC3339))
		return tok.AccessToken, nil
	case tok.AccessToken != "" && tok.RefreshToken == "":
		reason = expired + " and there is no refresh token"
	case tok.AccessToken != "":
		reason = expired + ", and its client registration too"
	}
	if !t.Interactive {
		return "", &LoginRequiredError{Session: s, Reason: reason}
	}
	// Output of other runs (exec --profiles) waits while the person signs in.
	defer prompt.PauseOutput(ctx)()
	fmt.Fprintf(t.out(), "kagi: signing in to IAM Identity Center (%s): %s\n", sessionText(s), reason)
	nt, err := t.signIn(ctx, s, t.DeviceCode)
	if err != nil {
		return "", err
	}
	return nt.AccessToken, nil
}

// Login signs in to s (the device code flow when deviceCode, else the
// authorization code flow with PKCE through the browser) and caches the
// token, whatever the cache holds. It holds s's lock while it waits for
// the person, so that concurrent Token calls wait for its token instead
// of starting sign-ins of their own.
func (t *Tokens) Login(ctx context.Context, s config.SSOSession, deviceCode bool) error {
	if err := checkSession(s); err != nil {
		return err
	}
	unlock, err := t.lock(ctx, s)
	if err != nil {
		return err
	}
	defer unlock()
	_, err = t.signIn(ctx, s, deviceCode)
	return err
}

func checkSession(s config.SSOSession) error {
	if s.StartURL == "" {
		return fmt.Errorf("%s has no sso_start_url", sessionText(s))
	}
	if s.Region == "" {
		return fmt.Errorf("%s has no sso_region", sessionText(s))
	}
	return nil
}

// lock takes s's sign-in lock; without a LockDir it is a no-op.
func (t *Tokens) lock(ctx context.Context, s config.SSOSession) (func(), error) {
	if t.LockDir == "" {
		return func() {}, nil
	}
	if err := cache.CheckLockDir(t.LockDir); err != nil {
		return nil, err
	}
	f, err := filelock.Lock(ctx, filepath.Join(t.LockDir, "sso-"+s.CacheKey()+".lock"))
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("wait for the sign-in to %s: %w", sessionText(s), ctx.Err())
		}
		return nil, err
	}
	return f.Unlock, nil
}

// refresh redeems tok's refresh token and caches the new token (refresh
// tokens rotate: the old one is spent).
func (t *Tokens) refresh(ctx context.Context, s config.SSOSession, tok Token) (Token, error) {
	t.Log.Printf("sso: refreshing the token of %s", sessionText(s))
	out, err := t.oidc(s.Region).CreateToken(ctx, &ssooidc.CreateTokenInput{
		ClientId:     aws.String(tok.ClientID),
		ClientSecret: aws.String(tok.ClientSecret),
		GrantType:    aws.String("refresh_token"),
		RefreshToken: aws.String(tok.RefreshToken),
	})
	if err != nil {
		return Token{}, oidcError("refresh the token", s, err)
	}
	nt := tok
	t.fill(&nt, s, out, t.now())
	if err := WriteToken(t.tokenPath(s), nt); err != nil {
		return Token{}, err
	}
	return nt, nil
}

// fill puts CreateToken's answer into tok.
func (t *Tokens) fill(tok *Token, s config.SSOSession, out *ssooidc.CreateTokenOutput, now time.Time) {
	tok.StartURL = s.StartURL
	tok.Region = s.Region
	tok.AccessToken = aws.ToString(out.AccessToken)
	tok.ExpiresAt = now.Add(time.Duration(out.ExpiresIn) * time.Second).Truncate(time.Second)
	if rt := aws.ToString(out.RefreshToken); rt != "" {
		tok.RefreshToken = rt
	}
	t.Log.Secret(tok.AccessToken, tok.RefreshToken)
}

// isGrantRefused: the OIDC service refused the grant or the client (the
// refresh token was revoked, spent or expired, the registration is gone);
// only a new sign-in helps.
func isGrantRefused(err error) bool {
	var (
		ig *oidctypes.InvalidGrantException
		ic *oidctypes.InvalidClientException
		ad *oidctypes.AccessDeniedException
		et *oidctypes.ExpiredTokenException
		uc *oidctypes.UnauthorizedClientException
	)
	return errors.As(err, &ig) || errors.As(err, &ic) || errors.As(err, &ad) || errors.As(err, &et) || errors.As(err, &uc)
}

// OIDCError is a failed call to the IAM Identity Center OIDC service.
type OIDCError struct {
	What    string // "refresh the token"
	Session config.SSOSession
	Err     error
}

func (e *OIDCError) Error() string {
	return fmt.Sprintf("%s of %s: %v", e.What, sessionText(e.Session), e.Err)
}
func (e *OIDCError) Unwrap() error { return e.Err }
func (e *OIDCError) Hint() string {
	if isGrantRefused(e.Err) {
		return "run " + LoginCommand(e.Session, "")
	}
	return "check the network, sso_region and the endpoint (AWS_ENDPOINT_URL_SSO_OIDC, AWS_ENDPOINT_URL)"
}

func oidcError(what string, s config.SSOSession, err error) error {
	return &OIDCError{What: what, Session: s, Err: err}
}

// endpoint is the custom endpoint of an AWS service from the environment,
// as the SDKs read it: AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL,
// unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true. nil: the service's
// own regional endpoint.
func (t *Tokens) endpoint(service string) *string {
	if t.Env == nil {
		return nil
	}
	if v, _ := t.Env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"); v == "true" {
		return nil
	}
	for _, name := range []string{"AWS_ENDPOINT_URL_" + service, "AWS_ENDPOINT_URL"} {
		if v, ok := t.Env(name); ok && v != "" {
			return aws.String(v)
		}
	}
	return nil
}

func (t *Tokens) awsConfig(region string) aws.Config {
	cfg := aws.Config{Region: region}
	if t.HTTPClient != nil {
		cfg.HTTPClient = t.HTTPClient
	}
	return cfg
}

// oidc is the OIDC client of region. Its calls are not signed.
func (t *Tokens) oidc(region string) *ssooidc.Client {
	return ssooidc.NewFromConfig(t.awsConfig(region), func(o *ssooidc.Options) {
		o.BaseEndpoint = t.endpoint("SSO_OIDC")
	})
}

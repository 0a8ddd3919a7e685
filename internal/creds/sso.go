package creds

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sso"

	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/config"
)

// An IAM Identity Center source: GetRoleCredentials of the profile's role
// in its account, with an access token for its session from Deps.SSOToken.
// The role credentials are cached like a role hop, under a key of the
// session (start URL or session name), the portal's region and endpoint,
// the account and the role, never of the token: a warm run neither calls
// SSOToken nor reads the AWS CLI's token file (it only asks SSOSignedOut,
// one lstat, whether the file is still there). A role assumed from them
// is cached under a key that descends from that one, as from an MFA
// session.

// ssoEndpoint is the portal's URL when one is configured (config resolves
// it as the SDKs do: AWS_ENDPOINT_URL_SSO, AWS_ENDPOINT_URL, the profile's
// [services] section, its endpoint_url; none when
// ignore_configured_endpoint_urls says so). "" is AWS's own
// (portal.sso.REGION.amazonaws.com).
func (r *run) ssoEndpoint() string { return r.chain.SSOEndpoint }

// ssoIdentity is the source's identity for cache keys: public settings only.
func (r *run) ssoIdentity() (string, error) {
	s := r.chain.Source
	if s.SSO == nil {
		return "", fmt.Errorf("profile %q: an IAM Identity Center source without its session", s.Profile)
	}
	return SSORootPrefix(s.SSO) + hashFields("sso", s.SSO.Name, s.SSO.StartURL, s.SSO.Region, r.ssoEndpoint(), s.SSOAccountID, s.SSORoleName), nil
}

// SSORoots is the start of the cache root (cache.Entry.Root) of every
// credential that descends from an IAM Identity Center sign-in; with
// SSORootPrefix(s), of session s's. `kagi sso logout` drops those entries,
// as `aws sso logout` drops the credentials it cached with the token.
const SSORoots = "sso-"

// SSORootPrefix is the start of the cache root of every credential that
// descends from a sign-in to s (its role credentials and the roles
// assumed from them).
func SSORootPrefix(s *config.SSOSession) string {
	return SSORoots + hashFields("sso-session", s.Name, s.StartURL)[:16] + "-"
}

// dropIfSignedOut drops the cached credentials of the chain's Identity
// Center sign-in when Deps.SSOSignedOut says it ended: whoever signed out
// (the AWS CLI knows nothing of kagi's cache), nothing got with the token
// outlives it.
func (r *run) dropIfSignedOut(ctx context.Context) {
	s := r.chain.Source
	if r.deps.Cache == nil || !signedOut(r.chain, r.deps) {
		return
	}
	prefix := SSORootPrefix(s.SSO)
	n, err := cache.DeleteWhere(ctx, r.deps.Cache, func(in cache.Info) bool { return strings.HasPrefix(in.Root, prefix) })
	if err != nil {
		r.warnf("cached credentials of the ended sign-in to %s not dropped: %v", sessionText(*s.SSO), err)
		return
	}
	r.log.Printf("sso: no token for %s in the AWS CLI's cache (signed out): dropped %d cached credential(s) got with it", sessionText(*s.SSO), n)
}

// signedOut reports whether chain starts from an Identity Center sign-in
// that Deps.SSOSignedOut says has ended.
func signedOut(chain *config.Chain, deps Deps) bool {
	s := chain.Source
	return s.Kind == config.SSO && s.SSO != nil && deps.SSOSignedOut != nil && deps.SSOSignedOut(*s.SSO)
}

// ssoKey is the cache key of the source's role credentials.
func (r *run) ssoKey(ctx context.Context) (string, error) {
	id, err := r.sourceID(ctx)
	if err != nil {
		return "", err
	}
	return hashFields(keyVersion, "sso-role-credentials", id), nil
}

func ssoSubject(s config.Source) string {
	return fmt.Sprintf("role %s in account %s", s.SSORoleName, s.SSOAccountID)
}

// ssoRoleCredentials returns the source's role credentials, from the cache
// or from the portal under the cache's lock: 50 processes on a cold cache
// make one GetRoleCredentials.
func (r *run) ssoRoleCredentials(ctx context.Context) (Credentials, error) {
	s := r.chain.Source
	key, err := r.ssoKey(ctx)
	if err != nil {
		return Credentials{}, err
	}
	meta := cache.Entry{Profile: s.Profile, Kind: "sso", Detail: s.SSOAccountID + "/" + s.SSORoleName, Root: r.srcID}
	return r.cached(ctx, key, "IAM Identity Center "+ssoSubject(s), meta, r.markFresh(key, r.getRoleCredentials))
}

// getRoleCredentials asks the portal for the role credentials.
func (r *run) getRoleCredentials(ctx context.Context) (Credentials, error) {
	s := r.chain.Source
	sess := *s.SSO
	if r.deps.SSOToken == nil {
		return Credentials{}, &localError{&SSOLoginError{Profile: s.Profile, Session: sess, Problem: "no way to get an IAM Identity Center access token here"}}
	}
	start := time.Now()
	tok, err := r.deps.SSOToken(ctx, sess)
	r.log.Printf("sso: access token for %s: %s", sessionText(sess), outcome(err, start))
	if err != nil {
		var le *SSOLoginError
		if errors.As(err, &le) && le.Profile == "" {
			le.Profile = s.Profile // for the hint of a legacy profile
		}
		// This process's token (or its means of signing in): a process
		// waiting on the same lock may have a terminal to sign in at.
		return Credentials{}, &localError{err}
	}
	r.log.Secret(tok)
	client, endpoint := r.ssoClient(ctx, sess.Region)
	start = time.Now()
	out, err := client.GetRoleCredentials(ctx, &sso.GetRoleCredentialsInput{
		AccessToken: aws.String(tok),
		AccountId:   aws.String(s.SSOAccountID),
		RoleName:    aws.String(s.SSORoleName),
	})
	r.log.Printf("sso: GetRoleCredentials of %s at %s: %s", ssoSubject(s), endpoint, outcome(err, start))
	if err != nil {
		return Credentials{}, r.ssoError(ctx, endpoint, err)
	}
	rc := out.RoleCredentials
	if rc == nil || aws.ToString(rc.AccessKeyId) == "" || aws.ToString(rc.SecretAccessKey) == "" {
		return Credentials{}, &SourceError{Profile: s.Profile, Source: "IAM Identity Center", Problem: "GetRoleCredentials answered without credentials"}
	}
	c := Credentials{AccessKeyID: aws.ToString(rc.AccessKeyId), SecretAccessKey: aws.ToString(rc.SecretAccessKey), SessionToken: aws.ToString(rc.SessionToken),
		Expiration: time.UnixMilli(rc.Expiration).UTC()}
	r.log.Secret(c.SecretAccessKey, c.SessionToken)
	if rc.Expiration == 0 || !c.Expiration.After(r.now()) {
		return Credentials{}, &SourceError{Profile: s.Profile, Source: "IAM Identity Center",
			Problem: fmt.Sprintf("GetRoleCredentials answered with credentials that expire at %s", c.Expiration.Format(time.RFC3339)),
			Next:    "check this machine's clock"}
	}
	return c, nil
}

func sessionText(s config.SSOSession) string {
	if s.Name != "" {
		return "[sso-session " + s.Name + "]"
	}
	return s.StartURL
}

func outcome(err error, start time.Time) string {
	took := time.Since(start).Round(time.Millisecond)
	if err == nil {
		return fmt.Sprintf("ok (%s)", took)
	}
	code, msg, _ := apiCode(err)
	if code == "" {
		msg = err.Error()
	}
	return fmt.Sprintf("failed after %s: %s %s", took, code, msg)
}

// ssoClient is the portal's client: the region is sso_region, the endpoint
// the SDK's own resolution or ssoEndpoint. Throttling and 5xx answers are
// retried as for STS, with the SDK's backoff: the Pacer paces STS, whose
// limits are per account, and the portal's are not those.
func (r *run) ssoClient(ctx context.Context, region string) (*sso.Client, string) {
	cfg := awsConfig(region, r.deps.HTTPClient, false)
	var base *string
	if ep := r.ssoEndpoint(); ep != "" {
		base = aws.String(ep)
	}
	client := sso.NewFromConfig(cfg, func(o *sso.Options) { o.BaseEndpoint = base })
	endpoint := aws.ToString(base)
	if ep, err := sso.NewDefaultEndpointResolverV2().ResolveEndpoint(ctx, sso.EndpointParameters{Region: aws.String(region), Endpoint: base}); err == nil {
		endpoint = ep.URI.String()
	}
	return client, endpoint
}

// ssoError makes the portal's refusal one of this package's errors.
func (r *run) ssoError(ctx context.Context, endpoint string, err error) error {
	s := r.chain.Source
	if ctx.Err() != nil {
		return fmt.Errorf("sso:GetRoleCredentials of %s: %w", ssoSubject(s), ctx.Err())
	}
	if reason, ok := unavailable(err); ok {
		return &UnavailableError{Action: "sso:GetRoleCredentials", Endpoint: endpoint, Attempts: attempts(err), Reason: reason, Err: err}
	}
	code, msg, ok := apiCode(err)
	if !ok {
		return fmt.Errorf("sso:GetRoleCredentials of %s at %s: %w", ssoSubject(s), endpoint, err)
	}
	switch code {
	case "UnauthorizedException":
		return &SSOLoginError{Profile: s.Profile, Session: *s.SSO, Problem: "IAM Identity Center refused the access token (" + code + ": " + msg + ")"}
	case "ForbiddenException", "ResourceNotFoundException", "AccessDeniedException":
		return &SSOAssignmentError{Profile: s.Profile, Account: s.SSOAccountID, Role: s.SSORoleName, Session: *s.SSO, Code: code, Message: msg, File: s.File, Line: s.Line}
	}
	return &APIError{Action: "sso:GetRoleCredentials", Role: ssoSubject(s), Profile: s.Profile, Code: code, Message: msg, Err: err}
}

// SSOLoginError: there is no usable IAM Identity Center access token for
// the session (none cached, expired, refused by the portal, or no way to
// get one here). The next step is to sign in.
type SSOLoginError struct {
	Profile string
	Session config.SSOSession
	Problem string
	Err     error
}

func (e *SSOLoginError) Error() string {
	s := "IAM Identity Center"
	if e.Profile != "" {
		s += fmt.Sprintf(" (profile %q)", e.Profile)
	}
	s += ": " + e.Problem
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}
func (e *SSOLoginError) Unwrap() error { return e.Err }
func (e *SSOLoginError) Hint() string {
	return "sign in with `" + e.Session.LoginHint(e.Profile) + "`, then run again"
}

// SSOAssignmentError: the signed-in user has no access to the role in the
// account (no assignment of that permission set, or a wrong account id or
// role name in the profile).
type SSOAssignmentError struct {
	Profile, Account, Role string
	Session                config.SSOSession
	Code, Message          string
	File                   string
	Line                   int
}

func (e *SSOAssignmentError) Error() string {
	s := fmt.Sprintf("IAM Identity Center gives no access to role %q in account %s", e.Role, e.Account)
	if e.Profile != "" {
		s += fmt.Sprintf(" (profile %q)", e.Profile)
	}
	return s + fmt.Sprintf(": %s: %s", e.Code, e.Message)
}
func (e *SSOAssignmentError) Hint() string {
	where := ""
	if e.File != "" {
		where = fmt.Sprintf(" (%s:%d)", e.File, e.Line)
	}
	sess := ""
	if e.Session.Name != "" {
		sess = " --sso-session " + e.Session.Name
	}
	return fmt.Sprintf("check sso_account_id and sso_role_name%s; `kagi sso profiles%s` lists the accounts and roles you are assigned", where, sess)
}

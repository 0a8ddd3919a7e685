package awsemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// World is what the emulator knows: IAM users with their keys and MFA
// devices, roles with their trust rules, OpenID Connect issuers, and the
// faults to inject. It is read from JSON (see LoadWorld); every field is
// optional.
type World struct {
	Users  []User         `json:"users,omitempty"`
	Roles  []Role         `json:"roles,omitempty"`
	OIDC   []OIDCProvider `json:"oidc,omitempty"`
	Faults Faults         `json:"faults"`
	// GitHubActions (an addition to the brief's world shape), when set,
	// makes the emulator also stand in for GitHub Actions' OIDC token
	// endpoint; see GitHubActions.
	GitHubActions *GitHubActions `json:"github_actions,omitempty"`
	// SSO, when set, makes the emulator also IAM Identity Center (the
	// OIDC service and the access portal); see SSO.
	SSO *SSO `json:"sso,omitempty"`
}

// GitHubActions configures the stand-in for the endpoint a GitHub Actions
// job reaches through ACTIONS_ID_TOKEN_REQUEST_URL and
// ACTIONS_ID_TOKEN_REQUEST_TOKEN: GET /_emu/github-oidc?audience=AUD with
// "Authorization: bearer RequestToken" answers {"value": JWT}, a token
// signed by Issuer (an OIDC issuer of the world with private_key_pem) for
// Subject and audience AUD. Without an audience parameter the token's
// audience is https://github.com/OWNER, as GitHub's default is, which an
// STS audience does not match.
type GitHubActions struct {
	Issuer       string         `json:"issuer"`
	RequestToken string         `json:"request_token"`
	Subject      string         `json:"subject"`
	Claims       map[string]any `json:"claims,omitempty"`
}

// User is an IAM user.
type User struct {
	Account    string      `json:"account"`
	Name       string      `json:"name"`
	AccessKeys []AccessKey `json:"access_keys,omitempty"`
	MFA        *MFADevice  `json:"mfa,omitempty"`
	// IAMRequiresMFA (an addition to the brief's world shape) gives the
	// user AWS's "manage your own credentials only with MFA" policy: IAM
	// calls other than reading the user and its MFA devices are refused
	// (an explicit deny) unless signed with credentials that carry MFA.
	// See iamkeys.go.
	IAMRequiresMFA bool `json:"iam_requires_mfa,omitempty"`
}

// ARN is the user's IAM ARN.
func (u User) ARN() string { return "arn:aws:iam::" + u.Account + ":user/" + u.Name }

// AccessKey is a long-term access key of a user. Created (an addition to
// the brief's world shape), RFC 3339, is its IAM CreateDate; empty means
// when the emulator started.
type AccessKey struct {
	ID      string `json:"id"`
	Secret  string `json:"secret"`
	Created string `json:"created,omitempty"`
}

// created is k's CreateDate, or def when the world sets none.
func (k AccessKey) created(def time.Time) time.Time {
	if t, err := time.Parse(time.RFC3339, k.Created); err == nil {
		return t.UTC()
	}
	return def
}

// MFADevice is a virtual MFA device: codes are RFC 6238 TOTP (SHA-1, six
// digits, 30-second steps) of the base32 TOTPSecret.
type MFADevice struct {
	Serial     string `json:"serial"`
	TOTPSecret string `json:"totp_secret"`
}

// Role is an IAM role. MaxSessionDuration is in seconds (default 3600, as
// IAM's).
type Role struct {
	ARN                string `json:"arn"`
	Trust              Trust  `json:"trust"`
	MaxSessionDuration int    `json:"max_session_duration,omitempty"`
}

// Trust is a role's trust policy, reduced to the conditions kagi meets.
//
// Principals lists who may assume the role: "arn:aws:iam::ACCT:root" admits
// any principal of that account, a user ARN that user, a role ARN sessions of
// that role, an assumed-role ARN that one session, "*" anyone, and
// "arn:aws:iam::ACCT:oidc-provider/HOST[/PATH]" web identity tokens of the
// issuer https://HOST[/PATH].
//
// RequireMFA is aws:MultiFactorAuthPresent; ExternalID is sts:ExternalId;
// SessionName is sts:RoleSessionName, where "${aws:username}" stands for the
// calling IAM user's name (a role session never matches it).
//
// Subjects (an addition to the brief's world shape) are path.Match globs on
// the web identity token's "sub" claim (token.actions.githubusercontent.com:sub
// in a real trust policy); when empty any subject is admitted.
type Trust struct {
	Principals  []string `json:"principals,omitempty"`
	RequireMFA  bool     `json:"require_mfa,omitempty"`
	ExternalID  string   `json:"external_id,omitempty"`
	SessionName string   `json:"session_name,omitempty"`
	Subjects    []string `json:"subjects,omitempty"`
}

// OIDCProvider is an OpenID Connect identity provider registered in IAM.
// Tokens must be RS256 JWTs signed with the key in PublicKeyPEM (PKIX "PUBLIC
// KEY" or PKCS#1 "RSA PUBLIC KEY"), with iss equal to Issuer and Audience
// among aud.
//
// PrivateKeyPEM is optional (an addition to the brief's world shape): when
// set, World.MintToken can sign tokens for this issuer, so a test or a CI
// stand-in can play the identity provider. The public key may then be
// omitted; it is derived from the private one.
type OIDCProvider struct {
	Issuer        string `json:"issuer"`
	Audience      string `json:"audience"`
	PublicKeyPEM  string `json:"public_key_pem,omitempty"`
	PrivateKeyPEM string `json:"private_key_pem,omitempty"`
}

// ProviderARN is the IAM ARN of the provider in account, the principal a
// trust policy names to admit its tokens.
func (p OIDCProvider) ProviderARN(account string) string {
	return "arn:aws:iam::" + account + ":oidc-provider/" + strings.TrimPrefix(p.Issuer, "https://")
}

// Faults are failures injected on demand, into every STS and IAM request
// (never the /_emu/ control endpoints).
//
// LatencyMS delays each request. ThrottleTPS, when positive, refuses requests
// beyond that many per second (by the emulator's clock) with Throttling, as
// STS does. ErrorRate (0..1) is the share of requests answered with HTTP 500
// InternalFailure. CredentialLifetimeSeconds, when positive, replaces the
// lifetime of every credential issued, so tests can see them expire within
// seconds. Actions (an addition to the brief's world shape), when set, limits
// latency, throttling and errors to the named actions.
//
// ClockOffsetSeconds (another addition) sets the emulator's clock that far
// ahead (positive) or behind (negative) of the machine's, as STS's clock is
// to a machine whose own clock is wrong: the Date header, the expirations
// it issues, the signature time window and the TOTP steps all follow it.
// Actions does not limit it: a server has one clock.
//
// NewKeyDelayMS (another addition) models IAM's eventual consistency: an
// access key made by CreateAccessKey is refused (InvalidClientTokenId)
// for that long after it was made, as a new key can be at STS for a few
// seconds. Actions does not limit it either.
//
// SSOAccessTokenSeconds and SSORefreshTokenSeconds, when positive, replace
// the lifetimes of the Identity Center access tokens and sessions (refresh
// tokens) issued from then on. The other faults reach the Identity Center
// actions too (GetRoleCredentials, ListAccounts, ListAccountRoles, Logout,
// RegisterClient, StartDeviceAuthorization, CreateToken): throttling
// answers TooManyRequestsException (HTTP 429), errors InternalServerException.
type Faults struct {
	LatencyMS                 int      `json:"latency_ms"`
	ThrottleTPS               float64  `json:"throttle_tps"`
	ErrorRate                 float64  `json:"error_rate"`
	CredentialLifetimeSeconds int      `json:"credential_lifetime_seconds"`
	ClockOffsetSeconds        int64    `json:"clock_offset_seconds,omitempty"`
	SSOAccessTokenSeconds     int      `json:"sso_access_token_seconds,omitempty"`
	SSORefreshTokenSeconds    int      `json:"sso_refresh_token_seconds,omitempty"`
	NewKeyDelayMS             int      `json:"new_key_delay_ms,omitempty"`
	Actions                   []string `json:"actions,omitempty"`
}

// maxClockOffset keeps an offset far inside time.Duration's range.
const maxClockOffset = 100 * 365 * 24 * 3600

func (f Faults) clockOffset() int64 { return f.ClockOffsetSeconds * int64(time.Second) }

func (f Faults) validate() error {
	switch {
	case f.LatencyMS < 0:
		return fmt.Errorf("faults: latency_ms %d is negative", f.LatencyMS)
	case f.ThrottleTPS < 0:
		return fmt.Errorf("faults: throttle_tps %v is negative", f.ThrottleTPS)
	case f.ErrorRate < 0 || f.ErrorRate > 1:
		return fmt.Errorf("faults: error_rate %v is not between 0 and 1", f.ErrorRate)
	case f.CredentialLifetimeSeconds < 0:
		return fmt.Errorf("faults: credential_lifetime_seconds %d is negative", f.CredentialLifetimeSeconds)
	case f.SSOAccessTokenSeconds < 0:
		return fmt.Errorf("faults: sso_access_token_seconds %d is negative", f.SSOAccessTokenSeconds)
	case f.SSORefreshTokenSeconds < 0:
		return fmt.Errorf("faults: sso_refresh_token_seconds %d is negative", f.SSORefreshTokenSeconds)
	case f.NewKeyDelayMS < 0:
		return fmt.Errorf("faults: new_key_delay_ms %d is negative", f.NewKeyDelayMS)
	case f.ClockOffsetSeconds > maxClockOffset || f.ClockOffsetSeconds < -maxClockOffset:
		return fmt.Errorf("faults: clock_offset_seconds %d is more than a century", f.ClockOffsetSeconds)
	}
	for _, a := range f.Actions {
		if _, ok := actions(a); !ok && ssoMethods[a] == "" {
			return fmt.Errorf("faults: actions: %q is not an action the emulator serves", a)
		}
	}
	return nil
}

func (f Faults) appliesTo(action string) bool {
	if len(f.Actions) == 0 {
		return true
	}
	for _, a := range f.Actions {
		if a == action {
			return true
		}
	}
	return false
}

// LoadWorld reads and checks a world file.
func LoadWorld(path string) (*World, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read world: %w", err)
	}
	w, err := ParseWorld(data)
	if err != nil {
		return nil, fmt.Errorf("world %s: %w", path, err)
	}
	return w, nil
}

// ParseWorld decodes a world from JSON and checks it: unknown fields, ARNs
// that do not parse, duplicate keys, names or serials, and keys that do not
// decode are errors.
func ParseWorld(data []byte) (*World, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var w World
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("parse world: %w", err)
	}
	if err := w.Validate(); err != nil {
		return nil, err
	}
	return &w, nil
}

// Validate checks a world built in code the way ParseWorld checks a file.
func (w *World) Validate() error {
	keys := map[string]bool{}
	users := map[string]bool{}
	serials := map[string]bool{}
	for i, u := range w.Users {
		if !isAccount(u.Account) {
			return fmt.Errorf("users[%d]: account %q is not 12 digits", i, u.Account)
		}
		if u.Name == "" {
			return fmt.Errorf("users[%d]: no name", i)
		}
		if users[u.ARN()] {
			return fmt.Errorf("users[%d]: user %q appears twice", i, u.ARN())
		}
		users[u.ARN()] = true
		for j, k := range u.AccessKeys {
			if k.ID == "" || k.Secret == "" {
				return fmt.Errorf("users[%d].access_keys[%d]: id and secret are required", i, j)
			}
			if keys[k.ID] {
				return fmt.Errorf("users[%d].access_keys[%d]: key id %q appears twice", i, j, k.ID)
			}
			keys[k.ID] = true
			if k.Created != "" {
				if _, err := time.Parse(time.RFC3339, k.Created); err != nil {
					return fmt.Errorf("users[%d].access_keys[%d]: created %q is not an RFC 3339 time", i, j, k.Created)
				}
			}
		}
		if u.MFA != nil {
			if u.MFA.Serial == "" {
				return fmt.Errorf("users[%d].mfa: no serial", i)
			}
			if serials[u.MFA.Serial] {
				return fmt.Errorf("users[%d].mfa: serial %q appears twice", i, u.MFA.Serial)
			}
			serials[u.MFA.Serial] = true
			if _, err := decodeTOTPSecret(u.MFA.TOTPSecret); err != nil {
				return fmt.Errorf("users[%d].mfa: %w", i, err)
			}
		}
	}
	roles := map[string]bool{}
	for i, r := range w.Roles {
		if _, _, err := parseRoleARN(r.ARN); err != nil {
			return fmt.Errorf("roles[%d]: %w", i, err)
		}
		if roles[r.ARN] {
			return fmt.Errorf("roles[%d]: role %q appears twice", i, r.ARN)
		}
		roles[r.ARN] = true
		if d := r.MaxSessionDuration; d != 0 && (d < 3600 || d > 43200) {
			return fmt.Errorf("roles[%d]: max_session_duration %d is not between 3600 and 43200", i, d)
		}
	}
	for i, p := range w.OIDC {
		if !strings.HasPrefix(p.Issuer, "https://") {
			return fmt.Errorf("oidc[%d]: issuer %q does not start with https://", i, p.Issuer)
		}
		if p.Audience == "" {
			return fmt.Errorf("oidc[%d]: no audience", i)
		}
		if _, err := p.publicKey(); err != nil {
			return fmt.Errorf("oidc[%d]: %w", i, err)
		}
	}
	if g := w.GitHubActions; g != nil {
		ok := false
		for _, p := range w.OIDC {
			ok = ok || p.Issuer == g.Issuer && p.PrivateKeyPEM != ""
		}
		switch {
		case !ok:
			return fmt.Errorf("github_actions: issuer %q is not an oidc issuer with private_key_pem", g.Issuer)
		case g.RequestToken == "":
			return errors.New("github_actions: no request_token")
		case g.Subject == "":
			return errors.New("github_actions: no subject")
		}
	}
	if w.SSO != nil {
		if err := w.SSO.validate(); err != nil {
			return err
		}
	}
	return w.Faults.validate()
}

func isAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parseRoleARN splits arn:aws:iam::ACCT:role/[PATH/]NAME.
func parseRoleARN(arn string) (account, name string, err error) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::")
	if !ok {
		return "", "", fmt.Errorf("role ARN %q does not start with arn:aws:iam::", arn)
	}
	account, res, ok := strings.Cut(rest, ":")
	if !ok || !isAccount(account) {
		return "", "", fmt.Errorf("role ARN %q has no 12-digit account", arn)
	}
	res, ok = strings.CutPrefix(res, "role/")
	if !ok || res == "" || strings.HasSuffix(res, "/") {
		return "", "", fmt.Errorf("role ARN %q does not name a role", arn)
	}
	return account, res[strings.LastIndex(res, "/")+1:], nil
}

// Package console signs a person in to the AWS Management Console with
// temporary credentials, through the federation endpoint, as a custom
// identity broker does:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_enable-console-custom-url.html
//
// getSigninToken exchanges the credentials for a sign-in token; the login
// URL carrying that token signs the browser in and takes it to the
// destination. The token (and so the URL) is a secret for its 15 minutes:
// whoever opens it first is signed in. This package never logs it.
package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Partition is where an AWS partition's console and federation endpoint are.
type Partition struct {
	ID          string // aws, aws-us-gov, aws-cn
	Federation  string // the federation endpoint's URL
	ConsoleHost string // the console's host name
}

var (
	partitionAWS   = Partition{ID: "aws", Federation: "https://signin.aws.amazon.com/federation", ConsoleHost: "console.aws.amazon.com"}
	partitionGov   = Partition{ID: "aws-us-gov", Federation: "https://signin.amazonaws-us-gov.com/federation", ConsoleHost: "console.amazonaws-us-gov.com"}
	partitionChina = Partition{ID: "aws-cn", Federation: "https://signin.amazonaws.cn/federation", ConsoleHost: "console.amazonaws.cn"}
)

// PartitionOf is the partition of region ("" is the aws partition).
func PartitionOf(region string) Partition {
	switch {
	case strings.HasPrefix(region, "us-gov-"):
		return partitionGov
	case strings.HasPrefix(region, "cn-"):
		return partitionChina
	}
	return partitionAWS
}

// Destination is the console URL to land on: the console's home for "",
// a path (with its query) on the partition's console host, or a full URL,
// which must be https on that host or one of its subdomains (a regional
// console, eu-west-1.console.aws.amazon.com). region is added as ?region=
// when the destination names none.
func Destination(p Partition, region, dest string) (string, error) {
	var u *url.URL
	switch {
	case dest == "":
		u = &url.URL{Scheme: "https", Host: p.ConsoleHost, Path: "/console/home"}
	case strings.HasPrefix(dest, "/"):
		pu, err := url.Parse(dest)
		if err != nil || pu.Host != "" || strings.HasPrefix(dest, "//") {
			return "", fmt.Errorf("--destination %q is not a path on %s", dest, p.ConsoleHost)
		}
		u = &url.URL{Scheme: "https", Host: p.ConsoleHost, Path: pu.Path, RawQuery: pu.RawQuery, Fragment: pu.Fragment}
	default:
		pu, err := url.Parse(dest)
		if err != nil || pu.Scheme == "" || pu.Host == "" {
			return "", fmt.Errorf("--destination %q is neither a path (/ec2/home) nor a URL", dest)
		}
		host := strings.ToLower(pu.Hostname())
		if pu.Scheme != "https" || pu.User != nil || pu.Port() != "" || (host != p.ConsoleHost && !strings.HasSuffix(host, "."+p.ConsoleHost)) {
			return "", fmt.Errorf("--destination %q is not on the %s console (https://%s)", dest, p.ID, p.ConsoleHost)
		}
		u = pu
	}
	if region != "" {
		q := u.Query()
		if q.Get("region") == "" {
			q.Set("region", region)
			u.RawQuery = q.Encode()
		}
	}
	return u.String(), nil
}

// CheckEndpoint refuses a federation endpoint the credentials must not be
// sent to: anything but https, except http on a loopback address (a local
// emulator).
func CheckEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return fmt.Errorf("federation endpoint %q is not a URL", endpoint)
	}
	if u.Scheme == "https" {
		return nil
	}
	if ip := net.ParseIP(u.Hostname()); u.Scheme == "http" && ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("federation endpoint %q: credentials go only to an https endpoint (or http on 127.0.0.1)", endpoint)
}

// Kind is what the federation endpoint makes of a set of credentials.
type Kind int

const (
	// Temporary credentials of unknown origin (environment,
	// credential_process, metadata): the endpoint decides.
	Temporary Kind = iota
	// Federation: GetFederationToken, which kagi calls with long-term keys.
	// No SessionDuration: the console session lasts as long as the token
	// (its DurationSeconds, 15 minutes to 36 hours).
	Federation
	// Role: a role assumed with an IAM user's long-term keys or a web
	// identity: SessionDuration from 15 minutes to 12 hours.
	Role
	// Chained: a role assumed with temporary credentials (an MFA session,
	// another role, Identity Center): no SessionDuration.
	Chained
	// SSO: IAM Identity Center role credentials: no SessionDuration.
	SSO
)

// Limits of the federation endpoint and GetFederationToken.
const (
	MinDuration           = 15 * time.Minute
	MaxSessionDuration    = 12 * time.Hour
	MaxFederationDuration = 36 * time.Hour
	// DefaultFederationDuration is the federation token kagi asks for
	// without --duration: an hour, like a role session.
	DefaultFederationDuration = time.Hour
	// TokenLifetime is how long a sign-in token (and the URL) works.
	TokenLifetime = 15 * time.Minute
)

// Credentials are what getSigninToken takes.
type Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
}

// RefusedError is the federation endpoint's refusal of getSigninToken.
type RefusedError struct {
	Status  int
	Reason  string // the endpoint's own words when it gave a short text, else ""
	Kind    Kind
	Profile string
}

func (e *RefusedError) Error() string {
	s := fmt.Sprintf("the federation endpoint refused the credentials: %d %s", e.Status, http.StatusText(e.Status))
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if e.Kind == Temporary && e.Status == http.StatusBadRequest {
		s += " (it takes credentials from AssumeRole, GetFederationToken or IAM Identity Center, not GetSessionToken: these are likely an MFA session)"
	}
	return s
}

func (e *RefusedError) Hint() string {
	if e.Kind == Temporary {
		return "give the profile a role (role_arn), or store the IAM user's own keys (kagi add), so that kagi can call GetFederationToken with them"
	}
	return ""
}

// SigninToken calls getSigninToken at endpoint with c; duration, when not
// zero, is the console session's (SessionDuration). The credentials go in
// a POST body, not the URL, so no proxy or server log records them.
func SigninToken(ctx context.Context, hc *http.Client, endpoint string, c Credentials, duration time.Duration, kind Kind) (string, error) {
	sess, err := json.Marshal(map[string]string{"sessionId": c.AccessKeyID, "sessionKey": c.SecretAccessKey, "sessionToken": c.SessionToken})
	if err != nil {
		return "", err
	}
	form := url.Values{"Action": {"getSigninToken"}, "Session": {string(sess)}}
	if duration > 0 {
		form.Set("SessionDuration", strconv.Itoa(int(duration/time.Second)))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("federation endpoint %q: %v", endpoint, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is public; the error names it once below
		}
		return "", fmt.Errorf("federation endpoint %s: %v", endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", fmt.Errorf("federation endpoint %s: %v", endpoint, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", &RefusedError{Status: resp.StatusCode, Reason: reason(resp.Header.Get("Content-Type"), body), Kind: kind}
	}
	var out struct{ SigninToken string }
	if err := json.Unmarshal(body, &out); err != nil || out.SigninToken == "" {
		return "", fmt.Errorf("federation endpoint %s: the answer holds no SigninToken", endpoint)
	}
	return out.SigninToken, nil
}

// reason is a refusal's body when it is one short line of plain text (the
// endpoint's pages are HTML, and not worth quoting).
func reason(contentType string, body []byte) string {
	if !strings.HasPrefix(contentType, "text/plain") {
		return ""
	}
	s := strings.TrimSpace(string(body))
	if s == "" || len(s) > 200 || strings.ContainsAny(s, "\r\n") {
		return ""
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// LoginURL is the URL that signs a browser in with token and takes it to
// destination.
func LoginURL(endpoint, destination, token string) string {
	q := url.Values{"Action": {"login"}, "Issuer": {"kagi"}, "Destination": {destination}, "SigninToken": {token}}
	return endpoint + "?" + q.Encode()
}

package creds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/extcmd"
	"github.com/kagi-cli/kagi/internal/fsguard"
)

// Bounds on getting a web identity token: a CI job must fail, not hang,
// when its identity provider does not answer. KAGI_HELPER_TIMEOUT, when
// set, replaces tokenProcessTimeout.
const (
	tokenProcessTimeout = time.Minute
	tokenFetchTimeout   = 30 * time.Second
	maxTokenSize        = 64 << 10 // JWTs are a few kilobytes
)

// githubAudience is the audience AWS's documentation and
// aws-actions/configure-aws-credentials ask GitHub for, and the one an IAM
// OIDC provider for token.actions.githubusercontent.com lists by default.
const githubAudience = "sts.amazonaws.com"

// webIdentityToken returns the source's token, from its file, its process
// or its identity provider, once per Retrieve. The token is a bearer
// secret: registered with the log, never quoted.
func (r *run) webIdentityToken(ctx context.Context) (string, error) {
	if !r.tokenOK {
		r.tokenOK = true
		src := r.chain.Source
		switch {
		case src.WebIdentityTokenProcess != "":
			r.token, r.tokenErr = r.tokenFromProcess(ctx)
		case src.OIDC == config.OIDCGitHub:
			r.token, r.tokenErr = r.tokenFromGitHub(ctx)
		case src.OIDC != "":
			r.tokenErr = fmt.Errorf("unknown identity provider %q", src.OIDC)
		default:
			r.token, r.tokenErr = r.tokenFromFile()
		}
		r.log.Secret(r.token)
	}
	return r.token, r.tokenErr
}

func (r *run) tokenFromFile() (string, error) {
	src := r.chain.Source
	path, err := config.ExpandPath(r.deps.Env, src.WebIdentityTokenFile)
	if err != nil {
		return "", &SourceError{Profile: src.Profile, Source: "web identity", Problem: "token file " + src.WebIdentityTokenFile, Err: err}
	}
	// Bounded, and only a regular file: a FIFO or a device named as the
	// token file must not hang or exhaust kagi.
	data, err := fsguard.Read(path, fsguard.MaxToken)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", &SourceError{Profile: src.Profile, Source: "web identity", Problem: fmt.Sprintf("no token file %s", path),
				Next: "the file is written by the platform (EKS, GitHub Actions with id-token: write); check web_identity_token_file or AWS_WEB_IDENTITY_TOKEN_FILE"}
		}
		namedBy := "AWS_WEB_IDENTITY_TOKEN_FILE"
		if src.File != "" {
			namedBy = fmt.Sprintf("web_identity_token_file (%s:%d)", src.File, src.Line)
		}
		return "", &SourceError{Profile: src.Profile, Source: "web identity", Problem: "cannot read the token file named by " + namedBy, Err: err}
	}
	token := strings.TrimSpace(string(data))
	if token == "" {
		return "", &SourceError{Profile: src.Profile, Source: "web identity", Problem: fmt.Sprintf("token file %s is empty", path)}
	}
	return token, nil
}

// tokenFromProcess runs aws-vault's web_identity_token_process with sh -c:
// its stdout is the token. It gets no input (stdin is /dev/null) and, unless
// KAGI_HELPER_TIMEOUT says otherwise, a minute: it never asks a person, and
// must not hold a CI job. Its stderr reaches the user.
func (r *run) tokenFromProcess(ctx context.Context) (string, error) {
	src := r.chain.Source
	next := fmt.Sprintf("run the command of web_identity_token_process (%s:%d) by hand to see what it prints", src.File, src.Line)
	start := time.Now()
	out, err := r.helpers().Output(ctx, extcmd.Command{
		What:      fmt.Sprintf("web_identity_token_process of profile %q", src.Profile),
		Hint:      next,
		Shell:     src.WebIdentityTokenProcess,
		Program:   fmt.Sprintf("web_identity_token_process program of profile %q", src.Profile),
		MaxOutput: maxTokenSize,
		Timeout:   tokenProcessTimeout,
	})
	r.log.Printf("source: web_identity_token_process of profile %q ran for %s", src.Profile, time.Since(start).Round(time.Millisecond))
	if err != nil {
		return "", err
	}
	token := strings.TrimSpace(string(out))
	if token == "" {
		return "", &SourceError{Profile: src.Profile, Source: "web identity", Problem: "the command printed no token", Next: next}
	}
	return token, nil
}

// tokenFromGitHub asks GitHub Actions for an OIDC token, as the Actions
// toolkit's getIDToken does: GET ACTIONS_ID_TOKEN_REQUEST_URL with the
// audience added to its query, the request token as a bearer, and the JWT
// in the JSON answer's "value".
// https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect
func (r *run) tokenFromGitHub(ctx context.Context) (string, error) {
	fail := func(problem string, err error) error {
		return &SourceError{Source: "GitHub Actions OIDC", Problem: problem, Err: err,
			Next: "the workflow (or job) needs `permissions: id-token: write`, and --oidc github must run inside the job"}
	}
	raw, bearer := r.env("ACTIONS_ID_TOKEN_REQUEST_URL"), r.env("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
	if raw == "" || bearer == "" {
		return "", fail("ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN must both be set", nil)
	}
	r.log.Secret(bearer)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		// Not wrapped: url's errors quote the whole URL, which is no secret
		// but is long; the host is what matters.
		return "", fail("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL", nil)
	}
	if !secureEndpoint(u) {
		return "", fail(fmt.Sprintf("ACTIONS_ID_TOKEN_REQUEST_URL must be https (or http to this machine), not %s://%s", u.Scheme, u.Host), nil)
	}
	q := u.Query()
	q.Set("audience", githubAudience)
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(ctx, tokenFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", fail("cannot make the request", err)
	}
	req.Header.Set("Authorization", "bearer "+bearer)
	req.Header.Set("Accept", "application/json")
	client := r.deps.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: tokenFetchTimeout}
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		r.log.Printf("oidc: GitHub token request to %s failed after %s", u.Host, time.Since(start).Round(time.Millisecond))
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL
		}
		return "", fail("no answer from "+u.Host, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenSize))
	r.log.Printf("oidc: GitHub token request to %s: HTTP %d (%s)", u.Host, resp.StatusCode, time.Since(start).Round(time.Millisecond))
	if err != nil {
		return "", fail("cannot read the answer of "+u.Host, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fail(fmt.Sprintf("%s answered HTTP %d", u.Host, resp.StatusCode), nil)
	}
	var out struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Value == "" {
		// Not wrapped: a JSON error can quote the answer, which may hold the token.
		return "", fail(fmt.Sprintf("the answer of %s has no token", u.Host), nil)
	}
	return out.Value, nil
}

// secureEndpoint: a bearer secret goes over https, or in clear only to
// this machine, as the SDKs' rule for container credential endpoints.
func secureEndpoint(u *url.URL) bool {
	switch u.Scheme {
	case "https":
		return true
	case "http":
		host := u.Hostname()
		if host == "localhost" {
			return true
		}
		ip := net.ParseIP(host)
		return ip != nil && ip.IsLoopback()
	}
	return false
}

package creds_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kagi-cli/kagi/internal/awsemu"
	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/creds"
	"github.com/kagi-cli/kagi/internal/debug"
)

const ghRequestToken = "gha-request-token-for-tests"

// startGitHubEmu is the test world with the GitHub Actions stand-in on.
func startGitHubEmu(t *testing.T) *emu {
	t.Helper()
	w := testWorld(t)
	w.GitHubActions = &awsemu.GitHubActions{Issuer: issuer, RequestToken: ghRequestToken, Subject: "repo:kagi-cli/kagi:ref:refs/heads/main"}
	srv := awsemu.New(w)
	url, stop, err := srv.Start(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return &emu{srv: srv, url: url, world: w}
}

func TestGitHubOIDCToken(t *testing.T) {
	e := startGitHubEmu(t)
	chain := &config.Chain{Source: config.Source{Kind: config.WebIdentity, OIDC: config.OIDCGitHub},
		Roles: []config.RoleHop{{RoleARN: roleCI, SessionName: "gha"}}, STSEndpoint: e.url}
	env := map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": e.url + "/_emu/github-oidc?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": ghRequestToken}
	var logBuf bytes.Buffer
	deps := withEnv(e.deps(nil, nil, nil), env)
	deps.Log = debug.New(&logBuf)
	c, err := creds.Retrieve(context.Background(), chain, deps)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.callerARN(t, c); got != "arn:aws:sts::222222222222:assumed-role/ci/gha" {
		t.Fatalf("caller %s", got)
	}
	if strings.Contains(logBuf.String(), ghRequestToken) || strings.Contains(logBuf.String(), "eyJ") {
		t.Fatalf("debug log leaks a token:\n%s", logBuf.String())
	}

	// A wrong request token, a URL that would send it in clear, no endpoint.
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"wrong bearer", map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": env["ACTIONS_ID_TOKEN_REQUEST_URL"], "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "wrong-request-token"}, "answered HTTP 401"},
		{"plain http to another machine", map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": "http://198.51.100.7/t", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": ghRequestToken}, "must be https"},
		{"nothing listening", map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": "http://127.0.0.1:1/t", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": ghRequestToken}, "no answer from 127.0.0.1:1"},
		{"not set", nil, "must both be set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := creds.Retrieve(context.Background(), chain, withEnv(e.deps(nil, nil, nil), tc.env))
			var se *creds.SourceError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(se.Hint(), "id-token: write") {
				t.Fatalf("got %v", err)
			}
			noSecrets(t, err, ghRequestToken, "wrong-request-token")
		})
	}
	if n := e.stats()["AssumeRoleWithWebIdentity"]; n != 1 {
		t.Errorf("%d AssumeRoleWithWebIdentity calls, want 1", n)
	}
}

// web_identity_token_process runs once per Retrieve, though the token is
// needed twice (the cache key and the call), and never sees input.
func TestWebIdentityTokenProcess(t *testing.T) {
	e := startEmu(t)
	token, err := e.world.MintToken(issuer, awsemu.TokenClaims{Subject: "repo:kagi-cli/kagi:ref:refs/heads/main"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tokenFile, runs := filepath.Join(dir, "token"), filepath.Join(dir, "runs")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	proc := "echo run >> '" + runs + "'; read -r x && echo got input >&2; cat '" + tokenFile + "'"
	chain := &config.Chain{Profile: "w", Source: config.Source{Kind: config.WebIdentity, Profile: "w", WebIdentityTokenProcess: proc},
		Roles: []config.RoleHop{{Profile: "w", RoleARN: roleCI, SessionName: "proc"}}, STSEndpoint: e.url}
	var stderr bytes.Buffer
	deps := e.deps(nil, newCache(), nil)
	deps.Stderr = &stderr
	c, err := creds.Retrieve(context.Background(), chain, deps)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.callerARN(t, c); got != "arn:aws:sts::222222222222:assumed-role/ci/proc" {
		t.Fatalf("caller %s", got)
	}
	if b, _ := os.ReadFile(runs); string(b) != "run\n" {
		t.Errorf("the process ran %d times, want once", strings.Count(string(b), "run"))
	}
	if strings.Contains(stderr.String(), "got input") {
		t.Error("the process read input")
	}

	chain.Source.WebIdentityTokenProcess = "true"
	_, err = creds.Retrieve(context.Background(), chain, e.deps(nil, nil, nil))
	var se *creds.SourceError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "the command printed no token") {
		t.Fatalf("empty output: %v", err)
	}
}

// Environment mode reaching instance metadata on a machine that is not EC2
// fails leading with what to set instead; the SDK's own error (three
// attempts at a dead address) is for --debug only.
func TestEnvironmentModeInstanceMetadataLeadsWithTheFix(t *testing.T) {
	chain := &config.Chain{Source: config.Source{Kind: config.InstanceMetadata}, Roles: []config.RoleHop{{RoleARN: roleLong}}}
	for _, tc := range []struct {
		name string
		env  map[string]string
		why  string
	}{
		{"no metadata service", map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:1"}, "EC2 instance metadata gave none"},
		{"metadata off", map[string]string{"AWS_EC2_METADATA_DISABLED": "true"}, "instance metadata is off (AWS_EC2_METADATA_DISABLED=true)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logBuf bytes.Buffer
			_, err := creds.Retrieve(context.Background(), chain, creds.Deps{Env: config.MapEnv(tc.env), Log: debug.New(&logBuf)})
			var ne *creds.NoSourceError
			if !errors.As(err, &ne) {
				t.Fatalf("got %T %v, want *NoSourceError", err, err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "no credentials to start from: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") ||
				!strings.Contains(msg, "--oidc github") || strings.Contains(msg, "127.0.0.1") || strings.Contains(msg, "ec2imds") {
				t.Errorf("error %q: want the fix first and none of the lookup's noise", msg)
			}
			if h := ne.Hint(); !strings.Contains(h, tc.why) || !strings.Contains(h, "--debug") {
				t.Errorf("hint %q, want %q and --debug", h, tc.why)
			}
			if tc.env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] != "" && !strings.Contains(logBuf.String(), "127.0.0.1:1") {
				t.Errorf("the --debug log does not have the lookup's error:\n%s", logBuf.String())
			}
		})
	}
}

package awsemu_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/kagi-cli/kagi/internal/awsemu"
)

// The request log records what a role request carried that the emulator
// does not otherwise model, so tests can check a client passed it through.
func TestRequestLogRecordsRoleParameters(t *testing.T) {
	e := newEnv(t)
	_, err := e.sts(bob()).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(roleExternal), RoleSessionName: aws.String("job-1"), ExternalId: aws.String("ext-4711"),
		DurationSeconds: aws.Int32(900), SourceIdentity: aws.String("alice"),
		Tags:              []types.Tag{{Key: aws.String("team"), Value: aws.String("infra")}, {Key: aws.String("job"), Value: aws.String("")}},
		TransitiveTagKeys: []string{"team"},
	})
	if err != nil {
		t.Fatal(err)
	}
	log := e.srv.Requests()
	got := log[len(log)-1].Role
	want := &awsemu.RoleRequest{RoleARN: roleExternal, RoleSessionName: "job-1", DurationSeconds: "900", ExternalID: "ext-4711",
		SourceIdentity: "alice", Tags: map[string]string{"team": "infra", "job": ""}, TransitiveTagKeys: []string{"team"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("role request %+v\nwant %+v", got, want)
	}
	if _, err := e.sts(bob()).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	if log := e.srv.Requests(); log[len(log)-1].Role != nil {
		t.Errorf("GetCallerIdentity has a role: %+v", log[len(log)-1].Role)
	}
}

// The GitHub Actions stand-in: a bearer request token in, a token the
// emulator's own STS accepts out, for the audience asked for.
func TestGitHubOIDCStandIn(t *testing.T) {
	w := testWorld(t)
	w.GitHubActions = &awsemu.GitHubActions{Issuer: issuer, RequestToken: "req-token", Subject: "repo:kagi-cli/kagi:ref:refs/heads/main",
		Claims: map[string]any{"repository": "kagi-cli/kagi"}}
	srv := awsemu.New(w)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	fetch := func(bearer, query string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/_emu/github-oidc"+query, nil)
		if bearer != "" {
			req.Header.Set("Authorization", "bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct{ Value string }
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out.Value
	}
	if code, _ := fetch("", "?audience=sts.amazonaws.com"); code != http.StatusUnauthorized {
		t.Errorf("no bearer: HTTP %d", code)
	}
	if code, _ := fetch("wrong", "?audience=sts.amazonaws.com"); code != http.StatusUnauthorized {
		t.Errorf("wrong bearer: HTTP %d", code)
	}
	exchange := func(token string) error {
		c := sts.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}}, func(o *sts.Options) { o.BaseEndpoint = aws.String(ts.URL) })
		_, err := c.AssumeRoleWithWebIdentity(context.Background(), &sts.AssumeRoleWithWebIdentityInput{
			RoleArn: aws.String(roleCI), RoleSessionName: aws.String("gha"), WebIdentityToken: aws.String(token)})
		return err
	}
	code, token := fetch("req-token", "?x=1&audience="+audience)
	if code != http.StatusOK || token == "" {
		t.Fatalf("HTTP %d, token %q", code, token)
	}
	if err := exchange(token); err != nil {
		t.Fatalf("the stand-in's token: %v", err)
	}
	// GitHub's default audience is not STS's: the token is refused.
	if _, token := fetch("req-token", ""); exchange(token) == nil {
		t.Error("a token for GitHub's default audience was accepted")
	}
	// A world without github_actions has no stand-in.
	plain := httptest.NewServer(awsemu.New(testWorld(t)))
	t.Cleanup(plain.Close)
	if code, _ := get(t, plain.URL+"/_emu/github-oidc"); code != http.StatusNotFound {
		t.Errorf("no github_actions: HTTP %d", code)
	}
	// The world is checked.
	w.GitHubActions = &awsemu.GitHubActions{Issuer: "https://nope.example", RequestToken: "r", Subject: "s"}
	if err := w.Validate(); err == nil {
		t.Error("unknown issuer accepted")
	}
}

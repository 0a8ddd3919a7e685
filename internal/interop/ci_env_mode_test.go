package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/awsemu"
)

// ciWorld is seed article 002's CI: a user whose keys are in the job's
// environment and a role whose trust policy requires the session name to
// be the user's name.
const ciWorld = `{
  "users":[{"account":"111111111111","name":"iam-example-user",
    "access_keys":[{"id":"AKIACIEXAMPLEUSER001","secret":"ci-secret-for-tests-only"}]}],
  "roles":[{"arn":"arn:aws:iam::222222222222:role/iam-example-role",
    "trust":{"principals":["arn:aws:iam::111111111111:root"],"session_name":"${aws:username}"}}]}`

// runCI runs kagi in environment mode: a clean environment with no ~/.aws
// config, no keyring and no cache directory, plus env.
func runCI(t *testing.T, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kagiBin, args...)
	cmd.Env = CleanEnv(t, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kagi %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// TestAWSCLIChildOfEnvironmentMode is the article's job with kagi in front:
// keys and the role in the environment, -u for the trust policy, and the
// AWS CLI as the child reports the assumed role, not the user.
func TestAWSCLIChildOfEnvironmentMode(t *testing.T) {
	awsBin := NeedAWSCLI(t)
	world, err := awsemu.ParseWorld([]byte(ciWorld))
	if err != nil {
		t.Fatal(err)
	}
	srv := awsemu.New(world)
	url, stop, err := srv.Start(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	out := runCI(t, []string{
		"AWS_ENDPOINT_URL=" + url,
		"AWS_ACCESS_KEY_ID=AKIACIEXAMPLEUSER001",
		"AWS_SECRET_ACCESS_KEY=ci-secret-for-tests-only",
		"AWS_ROLE_ARN=arn:aws:iam::222222222222:role/iam-example-role",
		"AWS_DEFAULT_REGION=ap-northeast-1",
	}, "exec", "-u", "--", awsBin, "sts", "get-caller-identity", "--output", "json")
	var id struct{ Arn, Account string }
	if err := json.Unmarshal([]byte(out), &id); err != nil {
		t.Fatalf("aws output %q: %v", out, err)
	}
	if want := "arn:aws:sts::222222222222:assumed-role/iam-example-role/iam-example-user"; id.Arn != want {
		t.Errorf("the AWS CLI ran as %q, want %q", id.Arn, want)
	}
	if st := srv.Stats(); st["AssumeRole"] != 1 || st["GetCallerIdentity"] != 2 {
		t.Errorf("emulator saw %v, want one AssumeRole and two GetCallerIdentity (kagi's for -u, the CLI's)", st)
	}
}

// TestEnvironmentModeAgainstMoto runs environment mode against moto_server,
// an STS nobody here wrote: keys in the environment, --role-arn, -u (which
// reads moto's GetCallerIdentity answer), the AWS CLI as the child.
func TestEnvironmentModeAgainstMoto(t *testing.T) {
	awsBin := NeedAWSCLI(t)
	url := StartMoto(t)
	out := runCI(t, []string{
		"AWS_ENDPOINT_URL=" + url,
		"AWS_ACCESS_KEY_ID=AKIAMOTOEXAMPLE00001",
		"AWS_SECRET_ACCESS_KEY=moto-accepts-any-secret",
		"AWS_REGION=us-east-1",
	}, "exec", "--role-arn", "arn:aws:iam::123456789012:role/ci", "--session-name", "moto-job", "--",
		awsBin, "sts", "get-caller-identity", "--output", "text", "--query", "Arn")
	if got, want := strings.TrimSpace(out), "arn:aws:sts::123456789012:assumed-role/ci/moto-job"; got != want {
		t.Errorf("child ran as %q, want %q", got, want)
	}
	out = runCI(t, []string{
		"AWS_ENDPOINT_URL=" + url,
		"AWS_ACCESS_KEY_ID=AKIAMOTOEXAMPLE00001",
		"AWS_SECRET_ACCESS_KEY=moto-accepts-any-secret",
		"AWS_ROLE_ARN=arn:aws:iam::123456789012:role/ci",
	}, "export", "-u", "--session-tag", "team=infra", "--format", "json")
	var c struct{ AccessKeyId, Expiration string }
	if err := json.Unmarshal([]byte(out), &c); err != nil || c.AccessKeyId == "" || c.Expiration == "" {
		t.Fatalf("export -u against moto: %q, %v", out, err)
	}
}

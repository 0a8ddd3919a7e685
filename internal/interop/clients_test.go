package interop

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	awsbase "github.com/hashicorp/aws-sdk-go-base/v2"
)

// TestAWSCLIAsExecChild runs the AWS CLI as the child of `kagi exec`: it
// sees only the role's keys in its environment, whatever the parent had.
func TestAWSCLIAsExecChild(t *testing.T) {
	awsBin := NeedAWSCLI(t)
	s := newKagiSetup(t, ansibleConfig)
	// A parent environment that would otherwise win over every profile.
	out := s.kagi(t, []string{"AWS_ACCESS_KEY_ID=AKIASTALEKEYEXAMPLE0", "AWS_SECRET_ACCESS_KEY=stale", "AWS_PROFILE=nonexistent"},
		"exec", "prod-role", "--region", "us-east-1", "--", awsBin, "sts", "get-caller-identity", "--output", "json")
	var id struct{ Arn string }
	if err := json.Unmarshal([]byte(out), &id); err != nil {
		t.Fatalf("aws output %q: %v", out, err)
	}
	if !strings.HasPrefix(id.Arn, prodARN) {
		t.Errorf("aws ran as %q, want the role", id.Arn)
	}
	// A second run is served from the cache: no new STS calls, no prompt.
	s.kagi(t, []string{"AWS_DEFAULT_REGION=eu-west-1"}, "exec", "prod-role", "--", awsBin, "sts", "get-caller-identity")
	if st := s.Emu.Stats(); st["GetSessionToken"] != 1 || st["AssumeRole"] != 1 || s.mfaAsked(t) != 1 {
		t.Errorf("after two runs: %v, MFA asked %d times; want 1 GetSessionToken, 1 AssumeRole, 1 prompt", st, s.mfaAsked(t))
	}
}

// TestAWSCLICredentialProcess: the AWS CLI reads profile "prod", whose
// credential_process is kagi.
func TestAWSCLICredentialProcess(t *testing.T) {
	awsBin := NeedAWSCLI(t)
	s := newKagiSetup(t, ansibleConfig)
	for range 3 {
		cmd := exec.Command(awsBin, "sts", "get-caller-identity", "--profile", "prod", "--output", "text", "--query", "Arn")
		cmd.Env = s.Env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws --profile prod: %v\n%s", err, out)
		}
		if !strings.HasPrefix(strings.TrimSpace(string(out)), prodARN) {
			t.Errorf("aws --profile prod ran as %q", out)
		}
	}
	if st := s.Emu.Stats(); st["GetSessionToken"] != 1 || st["AssumeRole"] != 1 {
		t.Errorf("emulator saw %v, want one GetSessionToken and one AssumeRole", st)
	}
}

// useSetupEnv makes this (in-process) test's environment the setup's, so
// that SDKs reading os.Getenv — and the kagi they start as credential_process
// — see only it. The machine's AWS_CA_BUNDLE and friends are unset.
func useSetupEnv(t *testing.T, env []string) {
	t.Helper()
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		t.Setenv(name, "") // restores the old value after the test
		os.Unsetenv(name)
	}
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		os.Setenv(name, value)
	}
}

// TestGoSDKCredentialProcess: the AWS SDK for Go v2's own config loading
// with profile "prod".
func TestGoSDKCredentialProcess(t *testing.T) {
	s := newKagiSetup(t, ansibleConfig)
	useSetupEnv(t, s.Env)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if arn := goSDKCaller(t, ctx, "prod"); !strings.HasPrefix(arn, prodARN) {
		t.Errorf("Go SDK ran as %q", arn)
	}
}

// goSDKCaller is who the AWS SDK for Go v2's own config loading, with
// profile, says the caller is (GetCallerIdentity's ARN).
func goSDKCaller(t *testing.T, ctx context.Context, profile string) string {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithSharedConfigProfile(profile))
	if err != nil {
		t.Fatal(err)
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("Go SDK with profile %s: %v", profile, err)
	}
	return aws.ToString(id.Arn)
}

// TestTerraformProviderCredentials configures
// github.com/hashicorp/aws-sdk-go-base/v2 the way the Terraform AWS provider
// does for `provider "aws" { profile = "prod" }`, with its STS endpoint on
// the emulator; it validates credentials with GetCallerIdentity.
func TestTerraformProviderCredentials(t *testing.T) {
	s := newKagiSetup(t, ansibleConfig)
	useSetupEnv(t, s.Env)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if account, partition := terraformAccount(t, ctx, s, "prod"); account != "222222222222" || partition != "aws" {
		t.Errorf("provider sees account %q partition %q, want 222222222222/aws", account, partition)
	}
}

// terraformAccount configures aws-sdk-go-base as the Terraform AWS provider
// does for `profile = PROFILE` (STS and IAM on the emulator, the setup's
// config file and any credentialsFiles) and returns the account and
// partition it validates with GetCallerIdentity.
func terraformAccount(t *testing.T, ctx context.Context, s *kagiSetup, profile string, credentialsFiles ...string) (account, partition string) {
	t.Helper()
	c := &awsbase.Config{
		CallerName:             "Terraform AWS Provider",
		CallerDocumentationURL: "https://registry.terraform.io/providers/hashicorp/aws",
		Profile:                profile,
		Region:                 "us-east-1",
		StsEndpoint:            s.URL,
		IamEndpoint:            s.URL,
		SharedConfigFiles:      []string{s.Config},
		SharedCredentialsFiles: credentialsFiles,
		MaxRetries:             1,
	}
	ctx, cfg, diags := awsbase.GetAwsConfig(ctx, c)
	if diags.HasError() {
		t.Fatalf("GetAwsConfig with profile %s: %v", profile, diags)
	}
	account, partition, diags = awsbase.GetAwsAccountIDAndPartition(ctx, cfg, c)
	if diags.HasError() {
		t.Fatalf("GetAwsAccountIDAndPartition with profile %s: %v", profile, diags)
	}
	return account, partition
}

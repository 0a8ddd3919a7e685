package interop

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	awsbase "github.com/hashicorp/aws-sdk-go-base/v2"
)

// terraformConfig is the Terraform user's setup of seed article 000 made to
// work with write-credentials: kagi assumes [profile prod] (MFA on the jump
// user), and the Terraform provider reads profile prod-tf, whose keys kagi
// writes into the credentials file.
const terraformConfig = `[profile jumpuser]
mfa_serial = arn:aws:iam::111111111111:mfa/jumpuser
mfa_process = %MFA%

[profile prod]
role_arn = arn:aws:iam::222222222222:role/admin
source_profile = jumpuser

[profile prod-tf]
region = us-east-1
`

// writeProdTF runs `kagi write-credentials prod --as prod-tf` and returns
// the credentials file's path.
func writeProdTF(t *testing.T, s *kagiSetup) string {
	t.Helper()
	s.kagi(t, nil, "write-credentials", "prod", "--as", "prod-tf")
	if st := s.Emu.Stats(); st["GetSessionToken"] != 1 || st["AssumeRole"] != 1 {
		t.Fatalf("write-credentials: emulator saw %v, want one GetSessionToken and one AssumeRole", st)
	}
	return envValue(s.Env, "AWS_SHARED_CREDENTIALS_FILE")
}

// TestAWSCLIReadsWrittenProfile: the AWS CLI (botocore's own ini parser and
// credential chain) runs as the role with --profile prod-tf, from the keys
// kagi wrote: no environment keys, no STS call but its own.
func TestAWSCLIReadsWrittenProfile(t *testing.T) {
	awsBin := NeedAWSCLI(t)
	s := newKagiSetup(t, terraformConfig)
	writeProdTF(t, s)
	cmd := exec.Command(awsBin, "sts", "get-caller-identity", "--profile", "prod-tf", "--output", "json")
	cmd.Env = s.Env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws --profile prod-tf: %v\n%s", err, out)
	}
	var id struct{ Arn string }
	if err := json.Unmarshal(out, &id); err != nil {
		t.Fatalf("aws output %q: %v", out, err)
	}
	if !strings.HasPrefix(id.Arn, prodARN) {
		t.Errorf("aws --profile prod-tf ran as %q, want the role", id.Arn)
	}
	if st := s.Emu.Stats(); st["AssumeRole"] != 1 || st["GetSessionToken"] != 1 {
		t.Errorf("emulator saw %v: the AWS CLI did not just use the written keys", st)
	}
}

// TestTerraformProviderReadsWrittenProfile configures aws-sdk-go-base (the
// Terraform AWS provider's credential code) with profile = "prod-tf", and
// the AWS SDK for Go v2 with the same profile: both run as the role.
func TestTerraformProviderReadsWrittenProfile(t *testing.T) {
	s := newKagiSetup(t, terraformConfig)
	credsFile := writeProdTF(t, s)
	useSetupEnv(t, s.Env)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	account, _ := terraformAccount(t, ctx, s, "prod-tf", credsFile)
	if account != "222222222222" {
		t.Errorf("provider with profile prod-tf sees account %q, want the role's 222222222222", account)
	}

	if arn := goSDKCaller(t, ctx, "prod-tf"); !strings.HasPrefix(arn, prodARN) {
		t.Errorf("Go SDK with profile prod-tf ran as %q", arn)
	}
	if st := s.Emu.Stats(); st["AssumeRole"] != 1 {
		t.Errorf("emulator saw %v: a client assumed the role itself", st)
	}
}

// TestClientsIgnoreKeysUnderARoleProfilesName is why write-credentials
// refuses `kagi write-credentials prod` when [profile prod] has role_arn:
// valid role keys planted under [prod] in the credentials file (as a naive
// aws-mfa setup would) are not used by the AWS CLI nor by aws-sdk-go-base;
// both try to assume the role themselves from source_profile, which here
// has no keys in the files (they are in kagi's keyring), and fail.
func TestClientsIgnoreKeysUnderARoleProfilesName(t *testing.T) {
	s := newKagiSetup(t, terraformConfig)
	var c struct{ AccessKeyId, SecretAccessKey, SessionToken string }
	if err := json.Unmarshal([]byte(s.kagi(t, nil, "export", "prod", "--format", "json")), &c); err != nil {
		t.Fatal(err)
	}
	credsFile := envValue(s.Env, "AWS_SHARED_CREDENTIALS_FILE")
	planted := "[prod]\naws_access_key_id = " + c.AccessKeyId + "\naws_secret_access_key = " + c.SecretAccessKey +
		"\naws_session_token = " + c.SessionToken + "\nregion = us-east-1\n"
	writeTestFile(t, credsFile, planted, 0o600)

	// kagi itself refuses to write there, before any STS call.
	cmd := exec.Command(kagiBin, "write-credentials", "prod")
	cmd.Env = s.Env
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), `profile "prod" sets role_arn`) {
		t.Errorf("kagi write-credentials prod: %v\n%s", err, out)
	}

	if awsBin, err := exec.LookPath("aws"); err == nil && awsReadsEndpointURL(awsBin) {
		cmd := exec.Command(awsBin, "sts", "get-caller-identity", "--profile", "prod", "--output", "json")
		cmd.Env = s.Env
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("aws --profile prod used the keys under [prod] although the profile has role_arn:\n%s", out)
		} else if !strings.Contains(string(out), "jumpuser") {
			t.Errorf("aws --profile prod failed, but not on its source profile: %s", out)
		} else {
			t.Logf("aws --profile prod: %s", out)
		}
	} else {
		Missing(t, "aws is not on PATH")
	}

	useSetupEnv(t, s.Env)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	bc := &awsbase.Config{
		CallerName: "Terraform AWS Provider", Profile: "prod", Region: "us-east-1",
		StsEndpoint: s.URL, IamEndpoint: s.URL, MaxRetries: 1,
		SharedConfigFiles: []string{s.Config}, SharedCredentialsFiles: []string{credsFile},
	}
	ctx, cfg, diags := awsbase.GetAwsConfig(ctx, bc)
	if !diags.HasError() {
		account, _, d := awsbase.GetAwsAccountIDAndPartition(ctx, cfg, bc)
		if !d.HasError() {
			t.Fatalf("aws-sdk-go-base with profile prod ran in account %q from the keys under [prod]", account)
		}
		diags = d
	}
	t.Logf("aws-sdk-go-base with profile prod: %v", diags)
	if st := s.Emu.Stats(); st["AssumeRole"] != 1 {
		t.Errorf("emulator saw %v: a client assumed the role", st)
	}
}

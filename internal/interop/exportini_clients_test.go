package interop

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// exportINIConfig is a role profile with a region and no profile of the
// name export --format ini prints its section under.
const exportINIConfig = `[profile jumpuser]
mfa_serial = arn:aws:iam::111111111111:mfa/jumpuser
mfa_process = %MFA%

[profile prod]
role_arn = arn:aws:iam::222222222222:role/admin
source_profile = jumpuser
region = eu-west-3
`

// TestAWSCLIReadsExportedINI: the section `kagi export prod --format ini`
// prints, pasted into the credentials file, is one the AWS CLI (v1, which
// ignores AWS_REGION) reads as meant: not [prod], where the AWS CLI would
// assume the role itself and ignore the keys, and with the region, which a
// profile of that name has nowhere else.
func TestAWSCLIReadsExportedINI(t *testing.T) {
	awsBin := NeedAWSCLI(t)
	s := newKagiSetup(t, exportINIConfig)
	ini := s.kagi(t, nil, "export", "prod", "--format", "ini")
	if !strings.HasPrefix(ini, "[prod-kagi]\n") {
		t.Fatalf("export --format ini printed\n%s\nwant section [prod-kagi]", ini)
	}
	credsFile := envValue(s.Env, "AWS_SHARED_CREDENTIALS_FILE")
	if err := os.WriteFile(credsFile, []byte(ini), 0o600); err != nil {
		t.Fatal(err)
	}
	aws := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(awsBin, append(args, "--profile", "prod-kagi")...)
		cmd.Env = s.Env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if region := aws("configure", "get", "region"); region != "eu-west-3" {
		t.Errorf("the AWS CLI reads region %q for profile prod-kagi, want eu-west-3 from the exported section", region)
	}
	var id struct{ Arn string }
	if err := json.Unmarshal([]byte(aws("sts", "get-caller-identity", "--output", "json")), &id); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(id.Arn, prodARN) {
		t.Errorf("aws --profile prod-kagi ran as %q, want the role", id.Arn)
	}
	if st := s.Emu.Stats(); st["AssumeRole"] != 1 || st["GetSessionToken"] != 1 {
		t.Errorf("emulator saw %v: the AWS CLI did not just use the exported keys", st)
	}
}

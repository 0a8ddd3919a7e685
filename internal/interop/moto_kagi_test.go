package interop

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestKagiAgainstMoto runs kagi's whole chain (keyring keys → MFA session →
// role) against moto_server, an STS nobody here wrote, with the AWS CLI as
// the child: kagi must not depend on anything only our emulator does.
func TestKagiAgainstMoto(t *testing.T) {
	awsBin := NeedAWSCLI(t)
	url := StartMoto(t)
	env := CleanEnv(t,
		"AWS_ENDPOINT_URL="+url,
		"KAGI_BACKEND=file",
		"KAGI_FILE_PASSPHRASE=interop-passphrase",
		"KAGI_CACHE_DIR="+tmpfsDir(t),
	)
	home := envValue(env, "HOME")
	writeTestFile(t, filepath.Join(home, ".aws", "config"), `[profile jumpuser]
mfa_serial = arn:aws:iam::123456789012:mfa/jumpuser
[profile moto-role]
role_arn = arn:aws:iam::123456789012:role/admin
source_profile = jumpuser
region = us-east-1
`, 0o600)

	run := func(extra []string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, kagiBin, args...)
		cmd.Env = append(append([]string{}, env...), extra...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("kagi %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return stdout.String()
	}
	run([]string{"AWS_ACCESS_KEY_ID=AKIAMOTOEXAMPLE00001", "AWS_SECRET_ACCESS_KEY=moto-accepts-any-secret"}, "add", "jumpuser", "--env")
	out := run(nil, "exec", "moto-role", "--mfa-token", "123456", "--",
		awsBin, "sts", "get-caller-identity", "--output", "text", "--query", "Arn")
	if got := strings.TrimSpace(out); !strings.HasPrefix(got, "arn:aws:sts::123456789012:assumed-role/admin/") {
		t.Errorf("child ran as %q, want moto's assumed-role ARN", got)
	}
}

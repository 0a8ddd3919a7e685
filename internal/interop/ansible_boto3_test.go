package interop

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// ansibleConfig is the Ansible user's setup (seed article 001) made to work:
// boto3 reads [profile prod], whose credential_process is kagi, which holds
// the MFA session and the role in its cache.
const ansibleConfig = `[profile jumpuser]
mfa_serial = arn:aws:iam::111111111111:mfa/jumpuser
mfa_process = %MFA%

[profile prod-role]
role_arn = arn:aws:iam::222222222222:role/admin
source_profile = jumpuser

[profile prod]
credential_process = %KAGI% credential-process prod-role
region = us-east-1
`

// ansibleModule is what each Ansible module process does: a fresh boto3
// session on profile "prod", one STS call.
const ansibleModule = `
import boto3
print(boto3.Session(profile_name="prod").client("sts").get_caller_identity()["Arn"])
`

// TestAnsibleOneMFAPrompt is the Ansible problem for real: 20 boto3
// processes, 10 at a time, each a new process asking for profile "prod".
// The MFA source must be asked exactly once, and the emulator must see one
// GetSessionToken and one AssumeRole.
func TestAnsibleOneMFAPrompt(t *testing.T) {
	python := NeedTool(t, "python3")
	requirePythonModule(t, python, "boto3")
	s := newKagiSetup(t, ansibleConfig)

	const total, parallel = 20, 10
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	arns := make([]string, total)
	errs := make([]error, total)
	for i := range total {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, python, "-c", ansibleModule)
			cmd.Env = s.Env
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				errs[i] = fmt.Errorf("%v: %s", err, stderr.String())
			}
			arns[i] = strings.TrimSpace(stdout.String())
		}()
	}
	wg.Wait()
	for i := range total {
		if errs[i] != nil {
			t.Errorf("process %d: %v", i, errs[i])
		} else if !strings.HasPrefix(arns[i], prodARN) {
			t.Errorf("process %d ran as %q, want the role %s...", i, arns[i], prodARN)
		}
	}
	if n := s.mfaAsked(t); n != 1 {
		t.Errorf("the MFA source was asked %d times, want 1", n)
	}
	stats := s.Emu.Stats()
	if stats["GetSessionToken"] != 1 || stats["AssumeRole"] != 1 {
		t.Errorf("emulator saw %v, want one GetSessionToken and one AssumeRole", stats)
	}
	if stats["GetCallerIdentity"] != total {
		t.Errorf("emulator saw %d GetCallerIdentity, want %d", stats["GetCallerIdentity"], total)
	}
}

func requirePythonModule(t *testing.T, python, module string) {
	t.Helper()
	if err := exec.Command(python, "-c", "import "+module).Run(); err != nil {
		Missing(t, "python3 cannot import "+module)
	}
}

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPromptAnswersBeforeTheRestIsInitialized: the real binary answers
// `kagi prompt` from earlyprompt's init, before the AWS SDK, net/http,
// cobra and kagi's own packages are initialized (GODEBUG=inittrace=1
// prints one line per package initialized). A change that makes
// earlyprompt import more, or sorts another package before it, shows here
// rather than as a slower prompt.
func TestPromptAnswersBeforeTheRestIsInitialized(t *testing.T) {
	if testing.Short() {
		t.Skip("builds kagi")
	}
	bin := filepath.Join(t.TempDir(), "kagi")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	exp := time.Now().Add(42*time.Minute + 30*time.Second).UTC().Format(time.RFC3339)
	cmd := exec.Command(bin, "prompt")
	cmd.Env = []string{"KAGI_PROFILE=prod", "AWS_CREDENTIAL_EXPIRATION=" + exp, "GODEBUG=inittrace=1"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kagi prompt: %v\n%s", err, stderr.String())
	}
	if got := stdout.String(); got != "prod 42m\n" {
		t.Errorf("kagi prompt printed %q, want %q", got, "prod 42m\n")
	}
	inits := 0
	for _, line := range strings.Split(stderr.String(), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "init" {
			continue
		}
		inits++
		for _, heavy := range []string{"net/http", "github.com/spf13/cobra", "github.com/aws/aws-sdk-go-v2/service/", "github.com/kagi-cli/kagi/internal/cli", "github.com/kagi-cli/kagi/internal/config"} {
			if strings.HasPrefix(f[1], heavy) {
				t.Errorf("%s was initialized before kagi prompt answered", f[1])
			}
		}
	}
	if inits == 0 || inits > 40 {
		t.Errorf("%d packages initialized before kagi prompt answered, want a few small ones\n%s", inits, stderr.String())
	}
}

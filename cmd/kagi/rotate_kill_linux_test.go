package main

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kagi-cli/kagi/internal/awsemu"
	"github.com/kagi-cli/kagi/internal/rotate"
)

const (
	killUserARN = "arn:aws:iam::111111111111:user/rot"
	killKey     = "AKIAROTATEEXAMPLE001"
	killSecret  = "rotate-secret-for-tests-only"
)

// killEnv is kagi's environment for the kill -9 test: its own HOME, file
// keyring, tmpfs cache and the emulator; nothing of this machine's.
func killEnv(t *testing.T, url string) []string {
	t.Helper()
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".aws", "config"), []byte("[profile rot]\nregion = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cache, err := os.MkdirTemp("/dev/shm", "kagi-rotate-kill-")
	if err != nil {
		t.Skipf("no /dev/shm: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(cache) })
	return []string{
		"HOME=" + home, "PATH=" + os.Getenv("PATH"),
		"KAGI_BACKEND=file", "KAGI_FILE_PASSPHRASE=kill-test-passphrase", "KAGI_CACHE_DIR=" + cache,
		"AWS_ENDPOINT_URL=" + url, "AWS_EC2_METADATA_DISABLED=true",
	}
}

func runKagi(t *testing.T, env []string, args ...string) (string, string, error) {
	t.Helper()
	kagi, err := exec.LookPath("kagi")
	if err != nil {
		t.Fatalf("kagi is not on PATH (testscript.Main puts it there): %v", err)
	}
	cmd := exec.Command(kagi, args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// storedKey is the key kagi has stored for rot (export --no-session hands
// out the keys themselves).
func storedKey(t *testing.T, env []string) aws.Credentials {
	t.Helper()
	out, stderr, err := runKagi(t, env, "export", "rot", "--no-session", "--format", "env")
	if err != nil {
		t.Fatalf("kagi export rot --no-session: %v\n%s", err, stderr)
	}
	var c aws.Credentials
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "export AWS_ACCESS_KEY_ID="); ok {
			c.AccessKeyID = v
		}
		if v, ok := strings.CutPrefix(line, "export AWS_SECRET_ACCESS_KEY="); ok {
			c.SecretAccessKey = v
		}
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		t.Fatalf("no keys in kagi export: %q", out)
	}
	return c
}

// works asks the emulator's STS who the keys are.
func works(ctx context.Context, url string, c aws.Credentials) error {
	client := sts.New(sts.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.StaticCredentialsProvider{Value: c},
		HTTPClient:  &http.Client{Timeout: 10 * time.Second},
		Retryer:     aws.NopRetryer{},
	})
	out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return err
	}
	if aws.ToString(out.Arn) != killUserARN {
		return errors.New("the stored key acts as " + aws.ToString(out.Arn))
	}
	return nil
}

// TestRotateKilledAnywhereLeavesAWorkingKey kills `kagi rotate` (SIGKILL)
// at every named step of a rotation and at random moments, many times
// over; after each kill the key kagi has stored works at STS, and a
// following `kagi rotate` finishes cleanly with IAM holding exactly one
// key, the stored one.
func TestRotateKilledAnywhereLeavesAWorkingKey(t *testing.T) {
	if testing.Short() {
		t.Skip("kills kagi 32 times")
	}
	w := &awsemu.World{Users: []awsemu.User{{Account: "111111111111", Name: "rot",
		AccessKeys: []awsemu.AccessKey{{ID: killKey, Secret: killSecret, Created: "2020-01-02T03:04:05Z"}}}}}
	srv := awsemu.New(w)
	ctx := context.Background()
	url, stop, err := srv.Start(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	env := killEnv(t, url)
	addEnv := append(append([]string(nil), env...), "AWS_ACCESS_KEY_ID="+killKey, "AWS_SECRET_ACCESS_KEY="+killSecret)
	if _, stderr, err := runKagi(t, addEnv, "add", "rot", "--env"); err != nil {
		t.Fatalf("kagi add: %v\n%s", err, stderr)
	}

	// How long one rotation takes here, with a little latency and a new
	// key that STS refuses for a moment, so that random kills land
	// across all its steps.
	faults := awsemu.Faults{LatencyMS: 15, NewKeyDelayMS: 150}
	if err := srv.SetFaults(faults); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, debugOut, err := runKagi(t, env, "--debug", "rotate", "rot")
	if err != nil {
		t.Fatalf("kagi rotate: %v\n%s", err, debugOut)
	}
	span := time.Since(start)
	// --debug shows the steps, never the old or the new secret.
	if c := storedKey(t, env); c.AccessKeyID == killKey || strings.Contains(debugOut, c.SecretAccessKey) || strings.Contains(debugOut, killSecret) {
		t.Fatalf("the first rotation: stored %s; a secret in --debug output:\n%s", c.AccessKeyID, debugOut)
	}
	if !strings.Contains(debugOut, "rotate: rot: proven") {
		t.Errorf("--debug does not show the steps:\n%s", debugOut)
	}

	const iterations = 32
	killedAt := map[string]int{}
	for i := 0; i < iterations; i++ {
		runEnv := env
		var how string
		kagi, _ := exec.LookPath("kagi")
		if i%2 == 0 {
			point := rotate.Points[(i/2)%len(rotate.Points)]
			runEnv = append(append([]string(nil), env...), "KAGI_TEST_ROTATE_KILL_AT="+point)
			how = "at " + point
			cmd := exec.Command(kagi, "rotate", "rot")
			cmd.Env = runEnv
			var errb bytes.Buffer
			cmd.Stderr = &errb
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("iteration %d: kagi rotate with the hook %s: %v, want killed\n%s", i, how, err, errb.String())
			}
			killedAt[point]++
		} else {
			delay := time.Duration(rand.Int64N(int64(span)))
			how = "after " + delay.String()
			cmd := exec.Command(kagi, "rotate", "rot")
			cmd.Env = runEnv
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(delay) // a random moment to kill at, not a wait for something
			_ = cmd.Process.Signal(syscall.SIGKILL)
			_ = cmd.Wait()
		}
		// The stored key works, whatever step the kill hit.
		c := storedKey(t, env)
		if err := works(ctx, url, c); err != nil {
			t.Fatalf("iteration %d (killed %s): the stored key %s does not work: %v", i, how, c.AccessKeyID, err)
		}
		// The next rotate finishes, and IAM ends with the one key stored.
		if _, stderr, err := runKagi(t, env, "rotate", "rot"); err != nil {
			t.Fatalf("iteration %d (killed %s): the next kagi rotate: %v\n%s", i, how, err, stderr)
		}
		c = storedKey(t, env)
		if err := works(ctx, url, c); err != nil {
			t.Fatalf("iteration %d (killed %s): after the next rotate the stored key %s does not work: %v", i, how, c.AccessKeyID, err)
		}
		ids, err := srv.AccessKeyIDs(killUserARN)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != 1 || ids[0] != c.AccessKeyID {
			t.Fatalf("iteration %d (killed %s): IAM holds %v after a completed rotate, want only the stored %s", i, how, ids, c.AccessKeyID)
		}
	}
	for _, p := range rotate.Points {
		if killedAt[p] == 0 {
			t.Errorf("no kill at %s", p)
		}
	}
	t.Logf("one rotation takes %s here; killed at each point %v", span, killedAt)
}

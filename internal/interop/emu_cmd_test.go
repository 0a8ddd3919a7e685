package interop

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// buildAWSEmu builds cmd/awsemu into a temporary directory. The build keeps
// this machine's Go caches (a fresh HOME would rebuild and re-download
// everything) but nothing AWS-related.
func buildAWSEmu(t *testing.T) string {
	t.Helper()
	goBin := NeedTool(t, "go")
	var caches []string
	for _, v := range []string{"GOCACHE", "GOMODCACHE", "GOPATH"} {
		out, err := exec.Command(goBin, "env", v).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", v, err)
		}
		caches = append(caches, v+"="+strings.TrimSpace(string(out)))
	}
	bin := filepath.Join(t.TempDir(), "awsemu")
	cmd := exec.CommandContext(t.Context(), goBin, "build", "-o", bin, "github.com/kagi-cli/kagi/cmd/awsemu")
	// -mod=readonly: a test must never rewrite go.mod; GOPROXY=off: nor fetch.
	cmd.Env = CleanEnv(t, append(caches, "GOFLAGS=-mod=readonly", "GOPROXY=off")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/awsemu: %v\n%s", err, out)
	}
	return bin
}

func TestAWSEmuCommand(t *testing.T) {
	bin := buildAWSEmu(t)
	world := writeEmuWorld(t)

	t.Run("serve", func(t *testing.T) {
		cmd := exec.Command(bin, "serve", "--world", world, "--addr", "127.0.0.1:0")
		cmd.Env = CleanEnv(t)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		t.Cleanup(func() {
			_ = cmd.Process.Kill() // no-op once it has exited
		})

		// The first line names the address; wait for it with a deadline.
		lines := make(chan string, 1)
		go func() {
			line, _ := bufio.NewReader(stdout).ReadString('\n')
			lines <- line
			_, _ = io.Copy(io.Discard, stdout)
			exited <- cmd.Wait()
		}()
		var line string
		select {
		case line = <-lines:
		case <-time.After(30 * time.Second):
			t.Fatalf("no line from awsemu serve within 30s; stderr: %s", stderr.String())
		}
		m := regexp.MustCompile(`^listening on (http://127\.0\.0\.1:[0-9]+)\n$`).FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("first line %q, want \"listening on http://127.0.0.1:PORT\"", line)
		}
		url := m[1]

		client := sts.New(sts.Options{
			Region:       "us-east-1",
			BaseEndpoint: aws.String(url),
			Credentials:  credentials.NewStaticCredentialsProvider(emuAliceKey, emuAliceSecret, ""),
		})
		id, err := client.GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatalf("GetCallerIdentity: %v", err)
		}
		if aws.ToString(id.Arn) != emuAliceARN {
			t.Errorf("GetCallerIdentity Arn %s", aws.ToString(id.Arn))
		}
		resp, err := http.Get(url + "/_emu/stats")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var stats map[string]int
		decodeJSON(t, "/_emu/stats", body, &stats)
		if resp.StatusCode != 200 || len(stats) != 1 || stats["GetCallerIdentity"] != 1 {
			t.Errorf("/_emu/stats: %d %s", resp.StatusCode, body)
		}

		// SIGTERM (and SIGINT) end it cleanly.
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("awsemu serve after SIGTERM: %v; stderr: %s", err, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Fatal("awsemu serve still running 30s after SIGTERM")
		}
	})

	t.Run("totp", func(t *testing.T) {
		cmd := exec.Command(bin, "totp", "--world", world, "--serial", emuAliceSerial)
		cmd.Env = CleanEnv(t)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("awsemu totp: %v", err)
		}
		if !regexp.MustCompile(`^[0-9]{6}\n$`).Match(out) {
			t.Errorf("awsemu totp printed %q, want six digits and a newline", out)
		}
	})

	t.Run("errors", func(t *testing.T) {
		for _, tt := range []struct {
			args   []string
			code   int
			stderr string
		}{
			{nil, 2, "usage: awsemu serve"},
			{[]string{"serve"}, 2, "usage:"},
			{[]string{"serve", "--world", world, "--bogus"}, 2, "usage:"},
			{[]string{"totp", "--world", world}, 2, "usage:"},
			{[]string{"frobnicate"}, 2, "usage:"},
			{[]string{"serve", "--world", world, "--addr", "0.0.0.0:0"}, 1, `awsemu: error: address "0.0.0.0:0" is not a loopback address`},
			{[]string{"totp", "--world", filepath.Join(t.TempDir(), "none.json"), "--serial", "x"}, 1, "awsemu: error: read world"},
			{[]string{"totp", "--world", world, "--serial", "arn:aws:iam::111111111111:mfa/nobody"}, 1, "awsemu: error: no MFA device"},
		} {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			cmd := exec.CommandContext(ctx, bin, tt.args...)
			cmd.Env = CleanEnv(t)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			cancel()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tt.code || !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("awsemu %v: %v, stderr %q; want exit %d and %q", tt.args, err, stderr.String(), tt.code, tt.stderr)
			}
		}
	})
}

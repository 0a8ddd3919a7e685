package extcmd

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/fsguard"
)

func environ(kv ...string) func() []string {
	return func() []string { return append([]string{"PATH=/usr/bin:/bin"}, kv...) }
}

func TestOutput(t *testing.T) {
	var stderr bytes.Buffer
	r := &Runner{Environ: environ(), Stderr: &stderr}
	out, err := r.Output(context.Background(), Command{What: "test", Shell: `echo out; echo err >&2`})
	if err != nil || string(out) != "out\n" {
		t.Fatalf("Output = %q, %v", out, err)
	}
	if stderr.String() != "err\n" {
		t.Errorf("stderr passed on as %q", stderr.String())
	}
	out, err = r.Output(context.Background(), Command{What: "test", Path: "/bin/sh", Args: []string{"-c", "echo $0 $1", "a", "b"}})
	if err != nil || string(out) != "a b\n" {
		t.Fatalf("Output with Path = %q, %v", out, err)
	}
}

// A helper whose child outlives it holding stdout (sh -c 'sleep 1000 &
// echo ...') used to hang kagi for as long as the child lived.
func TestOutputGrandchildHoldingStdout(t *testing.T) {
	r := &Runner{Environ: environ(), Stderr: &bytes.Buffer{}, ownGroup: true}
	start := time.Now()
	out, err := r.Output(context.Background(), Command{What: "test", Shell: `sleep 60 & echo '{"ok":1}'`})
	if err != nil || string(out) != "{\"ok\":1}\n" {
		t.Fatalf("Output = %q, %v", out, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("returned after %v", d)
	}
}

func TestOutputTimeout(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    Runner
		c    Command
		want string
	}{
		{"KAGI_HELPER_TIMEOUT", Runner{Environ: environ("KAGI_HELPER_TIMEOUT=300ms")}, Command{Timeout: time.Hour}, "timed out after 300ms"},
		{"the command's own bound", Runner{Environ: environ()}, Command{Timeout: 200 * time.Millisecond}, "timed out after 200ms"},
		{"the runner's bound first", Runner{Environ: environ("KAGI_HELPER_TIMEOUT=1h"), Timeout: 100 * time.Millisecond}, Command{}, "timed out after 100ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.r.Stderr = &bytes.Buffer{}
			tc.c.What = `mfa_process of profile "jump"`
			tc.c.Shell = "sleep 30"
			start := time.Now()
			_, err := tc.r.Output(context.Background(), tc.c)
			var e *Error
			if !errors.As(err, &e) || err.Error() != `mfa_process of profile "jump" `+tc.want {
				t.Fatalf("error %v; want %q", err, tc.want)
			}
			if !strings.Contains(e.Hint(), "KAGI_HELPER_TIMEOUT") {
				t.Errorf("hint %q does not say how to allow longer", e.Hint())
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("returned after %v", d)
			}
		})
	}
	for _, v := range []string{"soon", "5", "-1m", "0s"} {
		r := &Runner{Environ: environ("KAGI_HELPER_TIMEOUT=" + v)}
		_, err := r.Output(context.Background(), Command{What: "test", Shell: "echo ran"})
		var te *TimeoutVarError
		if !errors.As(err, &te) || !strings.Contains(err.Error(), `KAGI_HELPER_TIMEOUT="`+v+`"`) {
			t.Errorf("KAGI_HELPER_TIMEOUT=%s: %v", v, err)
		}
	}
	if d, err := (&Runner{}).timeout(nil, Command{}); d != DefaultTimeout || err != nil {
		t.Errorf("default timeout %v, %v; want %v", d, err, DefaultTimeout)
	}
}

func TestOutputCancelled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	r := &Runner{Environ: environ(), Stderr: &bytes.Buffer{}}
	_, err := r.Output(ctx, Command{What: "test", Shell: "sleep 30; echo 123456"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v; want the context's", err)
	}
}

// kagi's own secrets never reach a helper; everything else does.
func TestOutputCleanEnvironment(t *testing.T) {
	r := &Runner{Environ: environ("KAGI_FILE_PASSPHRASE=hunter2", "KAGI_MFA_TOKEN=123456", "KAGI_BACKEND=file", "HOME=/home/x"), Stderr: &bytes.Buffer{}}
	out, err := r.Output(context.Background(), Command{What: "test", Shell: "env"})
	if err != nil {
		t.Fatal(err)
	}
	env := string(out)
	for _, bad := range []string{"KAGI_FILE_PASSPHRASE", "hunter2", "KAGI_MFA_TOKEN", "123456"} {
		if strings.Contains(env, bad) {
			t.Errorf("helper's environment holds %s:\n%s", bad, env)
		}
	}
	for _, good := range []string{"KAGI_BACKEND=file\n", "HOME=/home/x\n"} {
		if !strings.Contains(env, good) {
			t.Errorf("helper's environment lacks %q:\n%s", good, env)
		}
	}
	// No Environ: an empty environment, never kagi's own.
	t.Setenv("KAGI_FILE_PASSPHRASE", "hunter2")
	out, err = (&Runner{Stderr: &bytes.Buffer{}}).Output(context.Background(), Command{What: "test", Path: "/usr/bin/env"})
	if err != nil || strings.Contains(string(out), "hunter2") {
		t.Errorf("with no Environ: %q, %v", out, err)
	}
}

// Errors name what ran and how it ended: never the command line (it can
// hold a TOTP seed) and never what the helper printed.
func TestOutputErrorsNeverQuoteTheCommandOrItsOutput(t *testing.T) {
	const seed = "JBSWY3DPEHPK3PXP"
	for _, tc := range []struct {
		shell string
		want  string
	}{
		{"echo " + seed + "; echo bad key " + seed + " >&2; exit 3", `mfa_process of profile "jump" exited with status 3; its error output, if any, is above`},
		{"echo " + seed + " >&2; kill -TERM $$", `mfa_process of profile "jump" was killed by signal 15 (terminated)`},
		{"yes " + seed, `mfa_process of profile "jump" printed more than 4096 bytes`},
	} {
		var stderr bytes.Buffer
		r := &Runner{Environ: environ(), Stderr: &stderr}
		_, err := r.Output(context.Background(), Command{What: `mfa_process of profile "jump"`, Shell: tc.shell, MaxOutput: 4096})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: error %v; want %q", tc.shell, err, tc.want)
		}
	}
	_, err := (&Runner{}).Output(context.Background(), Command{What: "zenity", Path: "/nonexistent/zenity", Args: []string{seed}})
	if err == nil || !strings.HasPrefix(err.Error(), "zenity could not be started: ") || strings.Contains(err.Error(), seed) {
		t.Errorf("a program that cannot start: %v", err)
	}
}

// A program that another user can change is not run.
func TestOutputRefusesProgramsOthersCanWrite(t *testing.T) {
	dir := t.TempDir()
	ran := filepath.Join(dir, "ran")
	prog := filepath.Join(dir, "helper")
	if err := os.WriteFile(prog, []byte("#!/bin/sh\ntouch "+ran+"\necho 123456\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	r := &Runner{Environ: environ("PATH=" + dir + ":/usr/bin:/bin"), Stderr: &bytes.Buffer{}}
	c := Command{What: `mfa_process of profile "jump"`, Program: `mfa_process program of profile "jump"`}
	for _, line := range []string{prog + " --totp", "helper --totp", "X=1 helper"} {
		c.Shell = line
		if _, err := r.Output(context.Background(), c); err != nil {
			t.Fatalf("%s (mode 0700): %v", line, err)
		}
	}
	if err := os.Chmod(prog, 0o722); err != nil {
		t.Fatal(err)
	}
	os.Remove(ran)
	for _, line := range []string{prog + " --totp", "helper --totp", "X=1 helper"} {
		c.Shell = line
		_, err := r.Output(context.Background(), c)
		var we *fsguard.WritableError
		if !errors.As(err, &we) || we.Path != prog || !strings.Contains(err.Error(), `refusing mfa_process program of profile "jump" `+prog) {
			t.Errorf("%s (mode 0722): %v; want a refusal naming the file", line, err)
		}
		if _, err := os.Stat(ran); err == nil {
			t.Fatalf("%s (mode 0722) ran", line)
		}
	}
}

func TestProgram(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"oathtool", "with space"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "notexec"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	env := []string{"HOME=/home/alice", "PATH=/nonexistent:" + dir}
	for line, want := range map[string]string{
		"oathtool --totp -b SEED":         dir + "/oathtool",
		"  oathtool":                      dir + "/oathtool",
		"oathtool;echo":                   dir + "/oathtool",
		"'oathtool' -b x":                 dir + "/oathtool",
		`"with space" x`:                  dir + "/with space",
		`with\ space x`:                   dir + "/with space",
		"A=1 B=two oathtool":              dir + "/oathtool",
		"~/bin/helper x":                  "/home/alice/bin/helper",
		"/usr/local/bin/helper":           "/usr/local/bin/helper",
		"./helper":                        wd + "/helper",
		"notexec":                         "",
		"missing --x":                     "",
		"echo 123456":                     "",
		"exec oathtool":                   "",
		"$HOME/helper":                    "",
		"~bob/helper":                     "",
		"'unterminated":                   "",
		"":                                "",
		"A=1":                             "",
		"{ oathtool; }":                   "",
		"oathtool>out":                    dir + "/oathtool",
		"`which oathtool`":                "",
		"\"$(command -v oathtool)\" --ok": "",
	} {
		if got := Program(line, env); got != want {
			t.Errorf("Program(%q) = %q, want %q", line, got, want)
		}
	}
}

//go:build windows

package extcmd

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// Written for Windows and not run where kagi is developed (Linux).

// A setting's command line runs without a shell, split as the AWS CLI
// splits it: a quoted program path with spaces works.
func TestOutputRunsTheSplitCommandLine(t *testing.T) {
	r := &Runner{Environ: os.Environ, Stderr: &bytes.Buffer{}}
	out, err := r.Output(context.Background(), Command{What: "credential_process", Shell: `"` + os.Getenv("ComSpec") + `" /C echo 123456`})
	if err != nil || strings.TrimSpace(string(out)) != "123456" {
		t.Fatalf("got %q, %v", out, err)
	}
	_, err = r.Output(context.Background(), Command{What: "credential_process", Shell: `helper "--seed SECRET`})
	var e *Error
	if !errors.As(err, &e) || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("unclosed quote: %v; want an *Error that does not quote the line", err)
	}
}

// A helper that times out is stopped through its Job Object and the run
// fails with the timeout. (That ping, the grandchild, is gone too is not
// checked here.)
func TestOutputTimeoutEndsTheJob(t *testing.T) {
	r := &Runner{Environ: func() []string { return append(os.Environ(), "KAGI_HELPER_TIMEOUT=300ms") }, Stderr: &bytes.Buffer{}}
	start := time.Now()
	_, err := r.Output(context.Background(), Command{What: "mfa_process", Path: os.Getenv("ComSpec"), Args: []string{"/C", "ping -n 60 127.0.0.1"}})
	var e *Error
	if !errors.As(err, &e) || e.Timeout != 300*time.Millisecond {
		t.Fatalf("error %v; want a timeout", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("took %s", d)
	}
}

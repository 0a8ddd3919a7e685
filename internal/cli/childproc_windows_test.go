//go:build windows

package cli

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"
)

// Written for Windows and not run where kagi is developed (Linux): the
// exit code of the command exec runs as a child comes back unchanged, the
// NTSTATUS of a Ctrl-C included.
func TestRunChildPassesExitCodesOnWindows(t *testing.T) {
	for _, tc := range []struct {
		script string
		code   int
	}{
		{"exit 0", 0},
		{"exit 3", 3},
		{"exit -1073741510", 0xC000013A}, // STATUS_CONTROL_C_EXIT
	} {
		err := runChild(context.Background(), []string{os.Getenv("ComSpec"), "/C", tc.script}, os.Environ())
		var ee *exitError
		switch {
		case tc.code == 0 && err != nil:
			t.Errorf("%s: %v, want success", tc.script, err)
		case tc.code != 0 && (!errors.As(err, &ee) || ee.code != tc.code):
			t.Errorf("%s: %v, want exit code %#x", tc.script, err, tc.code)
		}
	}
}

// The command is bound to kagi: when kagi's handle to its job closes (as
// it does when kagi is killed), the command ends.
func TestBindChildEndsTheCommandWithKagi(t *testing.T) {
	// The command itself, not a cmd.exe around it: what a command starts
	// breaks away from the job.
	cmd := exec.Command("ping", "-n", "120", "127.0.0.1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	release := bindChild(cmd.Process)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	release() // what kagi's exit does
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the command outlived the job")
	}
}

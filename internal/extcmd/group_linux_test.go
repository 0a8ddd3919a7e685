package extcmd

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A helper that times out is killed with everything it started: its
// process group is gone, not only the shell.
func TestOutputTimeoutKillsTheProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	r := &Runner{Environ: environ("KAGI_HELPER_TIMEOUT=300ms"), Stderr: &bytes.Buffer{}, ownGroup: true}
	// The background sleep is the grandchild; the shell waits for it.
	_, err := r.Output(context.Background(), Command{What: `credential_process of profile "x"`, Shell: "sleep 60 & echo $! > " + pidFile + "; wait"})
	var e *Error
	if !errors.As(err, &e) || e.Timeout != 300*time.Millisecond {
		t.Fatalf("error %v; want a timeout", err)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("the helper's child %d is still running", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alive reports whether pid is a process that has not died (a zombie
// waiting for init to reap it has).
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) STATE ...: comm may hold spaces, the state follows its ')'.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

package sso_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestTokenChildProcess is not a test: it is the child of
// TestConcurrentRefreshAcrossProcesses, one process wanting a token.
func TestTokenChildProcess(t *testing.T) {
	home, endpoint := os.Getenv("KAGI_SSO_TEST_CHILD_HOME"), os.Getenv("KAGI_SSO_TEST_CHILD_ENDPOINT")
	if home == "" {
		t.Skip("a helper process of TestConcurrentRefreshAcrossProcesses")
	}
	tk := newTokens(t, &emu{url: endpoint}, home)
	tok, err := tk.Token(context.Background(), session)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("token:", tok)
}

// Processes, not goroutines: the lock is the system's (filelock), and
// each process reads the cache again after taking it. 8 processes with an
// expired access token and a valid refresh token make one CreateToken.
func TestConcurrentRefreshAcrossProcesses(t *testing.T) {
	e := newEmu(t)
	home := t.TempDir()
	cacheExpired(t, e, newTokens(t, e, home))
	const n = 8
	outs := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^TestTokenChildProcess$", "-test.count=1")
			cmd.Env = []string{"KAGI_SSO_TEST_CHILD_HOME=" + home, "KAGI_SSO_TEST_CHILD_ENDPOINT=" + e.url, "PATH=" + os.Getenv("PATH")}
			out, err := cmd.Output()
			outs[i], errs[i] = string(out), err
		}()
	}
	wg.Wait()
	var first string
	for i := range n {
		line := ""
		for _, l := range strings.Split(outs[i], "\n") {
			if strings.HasPrefix(l, "token: ") {
				line = l
			}
		}
		if errs[i] != nil || line == "" || (first != "" && line != first) {
			t.Fatalf("process %d: %v\n%s", i, errs[i], outs[i])
		}
		first = line
	}
	if c := e.count("CreateToken"); c != 1 {
		t.Fatalf("CreateToken calls: %d, want 1", c)
	}
	if _, err := os.Stat(filepath.Join(home, "locks")); err != nil {
		t.Fatal(err)
	}
}

package sso

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The red team's attack on the sign-in: another local user reads the
// authorize URL (state, port) from the browser's argv and answers the
// listener first, with the right state and a code of their own sign-in.
// Their request must end nothing and deliver no code; the user's own
// redirect still completes the sign-in.
func TestCallbackRefusesAnotherUser(t *testing.T) {
	if os.Getuid() != 0 {
		if os.Getenv("KAGI_INTEROP_REQUIRED") != "" {
			t.Fatal("needs root to connect as another user")
		}
		t.Skip("needs root to connect as another user")
	}
	var refused []error
	var mu sync.Mutex
	c, err := listenCallback("the-state", func(err error) { mu.Lock(); refused = append(refused, err); mu.Unlock() })
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	cmd := exec.Command("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", c.redirectURI()+"?state=the-state&code=ATTACKERS-CODE")
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin"} // no proxy of this machine
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("curl as nobody: %v: %s", err, out)
	}
	if string(out) != "403" {
		t.Fatalf("another user's redirect: %s, want 403", out)
	}
	mu.Lock()
	n := len(refused)
	mu.Unlock()
	if n != 1 {
		t.Fatalf("refusals reported: %d, want 1", n)
	}
	if got := get(t, c.redirectURI()+"?state=the-state&code=c1", ""); got != http.StatusOK {
		t.Fatalf("the user's own redirect after the attack: %d", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if code, err := c.wait(ctx, nil); err != nil || code != "c1" {
		t.Fatalf("wait: %q, %v; want the user's code c1", code, err)
	}
}

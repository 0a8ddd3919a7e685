package console_test

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/kagi-cli/kagi/internal/console"
	"github.com/kagi-cli/kagi/internal/loopback"
)

// A helper process: GET CONSOLE_TEST_GET without following redirects and
// print the status and the Location.
func TestMain(m *testing.M) {
	if u := os.Getenv("CONSOLE_TEST_GET"); u != "" {
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Get(u)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode, resp.Header.Get("Location"))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// getAs fetches url as uid (a copy of the test binary, since its own
// directory is private).
func getAs(t *testing.T, uid uint32, url string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "console-peer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/c.test", data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(dir + "/c.test")
	cmd.Env = []string{"CONSOLE_TEST_GET=" + url}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper as uid %d: %v: %s", uid, err, out)
	}
	return strings.TrimSpace(string(out))
}

// The attack of the red team: another local user reads the one-time link
// from the browser's argv and fetches it first. They must not get the
// sign-in link, and the user's own browser must still be sent on.
func TestRedirectRefusesAnotherUsersFetch(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("only Linux tells who made a loopback connection")
	}
	if os.Getuid() != 0 {
		if os.Getenv("KAGI_INTEROP_REQUIRED") != "" {
			t.Fatal("needs root to fetch as another user")
		}
		t.Skip("needs root to fetch as another user")
	}
	const target = "https://signin.example/federation?SigninToken=SECRET"
	rd, err := console.NewRedirect(target)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	got := getAs(t, 65534, rd.URL)
	if strings.Contains(got, "SECRET") || !strings.HasPrefix(got, "403") {
		t.Fatalf("another user's fetch got %q, want 403 and no link", got)
	}
	var fe *loopback.ForeignError
	if !errors.As(rd.Refused(), &fe) || fe.UID != 65534 {
		t.Fatalf("Refused() = %v, want uid 65534", rd.Refused())
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(rd.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != target {
		t.Fatalf("the user's own fetch after the attack: %d %q, want 302 to the link", resp.StatusCode, resp.Header.Get("Location"))
	}
}

package sso_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/sso"
)

// chromiumPath is Debian's chromium: the tests that claim a browser signs
// in use a real one. It skips only when chromium is missing and
// KAGI_INTEROP_REQUIRED is unset (CI sets it and installs chromium).
func chromiumPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("KAGI_INTEROP_REQUIRED") != "" {
			t.Fatal("chromium is not installed (apt-get install chromium) and KAGI_INTEROP_REQUIRED is set")
		}
		t.Skip("chromium is not installed")
	}
	return p
}

// headless is a $BROWSER for kagi: a script that records each URL it is
// given, then runs chromium headless on it with a fresh profile and a
// DevTools port (written by chromium to DevToolsActivePort in the
// profile), in place of itself, so that its pid (recorded) is chromium's.
type headless struct {
	dir    string
	script string
}

func newHeadless(t *testing.T) *headless {
	chromium := chromiumPath(t)
	dir := t.TempDir()
	h := &headless{dir: dir, script: filepath.Join(dir, "browser.sh")}
	script := fmt.Sprintf(`#!/bin/sh
echo "$1" >> %[1]s/opened
echo $$ >> %[1]s/pids
exec %[2]s --headless=new --no-sandbox --disable-gpu --no-first-run --no-default-browser-check \
  --user-data-dir=%[1]s/profile-$$ --remote-debugging-address=127.0.0.1 --remote-debugging-port=0 "$1" >/dev/null 2>&1
`, dir, chromium)
	if err := os.WriteFile(h.script, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.kill)
	return h
}

// opener is the Opener kagi uses, with BROWSER set to the script.
func (h *headless) opener() func(context.Context, string) (<-chan error, error) {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + h.dir}
	return sso.Browser{
		Env:     func(k string) (string, bool) { return h.script, k == "BROWSER" },
		Environ: func() []string { return env },
	}.Open
}

func (h *headless) lines(name string) []string {
	data, _ := os.ReadFile(filepath.Join(h.dir, name))
	return strings.Fields(string(data))
}

// kill ends every chromium the script started (each is a session leader:
// kagi starts the browser in a session of its own).
func (h *headless) kill() {
	for _, p := range h.lines("pids") {
		if pid, err := strconv.Atoi(p); err == nil {
			syscall.Kill(-pid, syscall.SIGKILL)
		}
	}
}

// devtools waits for the first chromium's DevTools endpoint.
func (h *headless) devtools(t *testing.T) string {
	t.Helper()
	var addr string
	waitFor(t, "chromium's DevTools port", 30*time.Second, func() bool {
		pids := h.lines("pids")
		if len(pids) == 0 {
			return false
		}
		f, err := os.Open(filepath.Join(h.dir, "profile-"+pids[0], "DevToolsActivePort"))
		if err != nil {
			return false
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		var ls []string
		for sc.Scan() {
			ls = append(ls, sc.Text())
		}
		if len(ls) < 2 {
			return false
		}
		addr = "ws://127.0.0.1:" + ls[0] + ls[1]
		return true
	})
	return addr
}

// clickAllow attaches to the page chromium opened (its URL contains
// urlPart) and presses the emulator's Allow button, as a person would.
func (h *headless) clickAllow(t *testing.T, urlPart string) {
	t.Helper()
	ws := h.devtools(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	actx, acancel := remote.NewAllocator(ctx, ws, remote.NoModifyURL)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	var target target.ID
	waitFor(t, "the sign-in page in chromium", 30*time.Second, func() bool {
		ts, err := chromedp.Targets(bctx)
		if err != nil {
			return false
		}
		for _, ti := range ts {
			if ti.Type == "page" && strings.Contains(ti.URL, urlPart) {
				target = ti.TargetID
				return true
			}
		}
		return false
	})
	tctx, tcancel := chromedp.NewContext(bctx, chromedp.WithTargetID(target), chromedp.WithDetachOnCancel())
	defer tcancel()
	const allow = chromedp.CSS(`button[type="submit"]:not([name])`) // the Allow button; Deny has name="deny"
	if err := chromedp.Do(tctx, chromedp.WaitVisible(allow), chromedp.Click(allow)); err != nil {
		t.Fatalf("click Allow: %v", err)
	}
	// The page the browser lands on after the redirects: kagi's loopback
	// listener's, or the emulator's for the device code. Until then the
	// tab must stay open, or the navigation is cut short.
	if err := chromedp.Do(tctx, chromedp.WaitVisible(chromedp.Search(`//p[contains(., "kagi: signed in")] | //h1[contains(., "Request approved")]`))); err != nil {
		t.Fatalf("after Allow: %v", err)
	}
}

// The authorization code flow with PKCE, signed in by headless Chromium
// that kagi opened through $BROWSER: several callers wanting a token at
// once get one browser window, one authorization, one CreateToken, and
// the same token, which is cached.
func TestPKCESignInWithChromium(t *testing.T) {
	h := newHeadless(t)
	e := newEmu(t)
	home := t.TempDir()
	const n = 4
	toks := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tk := newTokens(t, e, home)
			tk.Interactive = true
			tk.Opener = h.opener()
			tk.SignInTimeout = 2 * time.Minute
			toks[i], errs[i] = tk.Token(context.Background(), session)
		}()
	}
	h.clickAllow(t, "/authorize")
	wg.Wait()
	for i := range n {
		if errs[i] != nil || toks[i] == "" || toks[i] != toks[0] {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
	}
	// The browser's argv holds a one-time loopback link that redirects
	// to the authorize URL, never the URL itself (its state and
	// code_challenge would let another user sign this one in as them).
	if got := h.lines("opened"); len(got) != 1 || !loopbackLink.MatchString(got[0]) || strings.Contains(got[0], "state=") {
		t.Fatalf("browser windows opened: %q, want one on a loopback redirect link", got)
	}
	st := e.srv.Stats()
	if st["Authorize"] != 1 || st["AuthorizeConsent"] != 1 || st["CreateToken"] != 1 || st["RegisterClient"] != 1 {
		t.Fatalf("emulator calls: %v", st)
	}
	tok, ok, err := sso.ReadToken(sso.TokenPath(filepath.Join(home, ".aws", "sso", "cache"), session.CacheKey()))
	if err != nil || !ok || tok.AccessToken != toks[0] || tok.RefreshToken == "" {
		t.Fatalf("cached token: %v %v", ok, err)
	}
}

// The device code flow through chromium: kagi opens the verification page
// with the code filled in, the person presses Allow.
func TestDeviceCodeWithChromium(t *testing.T) {
	h := newHeadless(t)
	e := newEmu(t)
	tk := newTokens(t, e, t.TempDir())
	tk.Opener = h.opener()
	legacy := config.SSOSession{StartURL: startURL, Region: "us-east-1"}
	done := make(chan error, 1)
	go func() { done <- tk.Login(context.Background(), legacy, true) }()
	h.clickAllow(t, "/device")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	tok, ok, err := sso.ReadToken(sso.TokenPath(tk.Dir, legacy.CacheKey()))
	if err != nil || !ok || tok.AccessToken == "" || tok.StartURL != startURL {
		t.Fatalf("cached token: %v %v", ok, err)
	}
	if st := e.srv.Stats(); st["DeviceConsent"] != 1 {
		t.Fatalf("emulator calls: %v", st)
	}
}

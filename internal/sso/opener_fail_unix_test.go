//go:build unix

package sso_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/sso"
)

// browserScript is a $BROWSER: a shell script that records its pid and
// the URL it was given, then runs body.
func browserScript(t *testing.T, body string) (dir string, open func(context.Context, string) (<-chan error, error)) {
	t.Helper()
	dir = t.TempDir()
	script := filepath.Join(dir, "browser.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho $$ > "+dir+"/pid\necho \"$1\" > "+dir+"/url\n"+body+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + os.Getenv("PATH")}
	return dir, sso.Browser{
		Env:     func(k string) (string, bool) { return script, k == "BROWSER" },
		Environ: func() []string { return env },
	}.Open
}

// An opener that fails before the browser fetched the link (xdg-open on a
// machine without a display exits 3 at once, having printed its complaint)
// ends the browser sign-in at once, not after the 10 minutes of waiting
// for a browser that is not coming: the error names the opener and its
// status, never its output or the URL, and the hint offers the device
// code flow and --no-browser.
func TestOpenerThatFailsEndsTheBrowserSignInAtOnce(t *testing.T) {
	for _, c := range []struct{ name, body, status string }{
		{"exit 3", `echo "xdg-open: no method available for opening '$1'" >&2; exit 3`, "(exit status 3)"},
		{"killed", `kill -9 $$`, "(signal: killed)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEmu(t)
			tk := newTokens(t, e, t.TempDir())
			tk.Interactive = true
			_, tk.Opener = browserScript(t, c.body)
			start := time.Now()
			err := tk.Login(context.Background(), session, false)
			if took := time.Since(start); took > 10*time.Second {
				t.Fatalf("Login took %s", took)
			}
			var of *sso.OpenerFailedError
			if !errors.As(err, &of) {
				t.Fatalf("Login: %v, want an *OpenerFailedError", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, `sign-in to sso-session "my-sso": no browser opened the sign-in URL: the browser opener "`) ||
				!strings.Contains(msg, `browser.sh" failed `+c.status) {
				t.Fatalf("error: %s", msg)
			}
			if strings.Contains(msg, "127.0.0.1") || strings.Contains(msg, "no method") {
				t.Fatalf("the error shows the URL or the opener's output: %s", msg)
			}
			if h := of.Hint(); h != "on a machine without a browser (over SSH), kagi sso login --sso-session my-sso --use-device-code signs in with a code on any device; --no-browser prints the URL to open yourself" {
				t.Fatalf("hint: %s", h)
			}
		})
	}
}

// An opener that exits 0 without (yet) fetching the link changes nothing:
// the sign-in waits for the browser's redirect as before, and completes
// when the link is followed after the opener is gone.
func TestOpenerThatExitsZeroStillWaits(t *testing.T) {
	e := newEmu(t)
	tk := newTokens(t, e, t.TempDir())
	tk.Interactive = true
	dir, open := browserScript(t, "exit 0")
	tk.Opener = open
	done := make(chan error, 1)
	go func() { done <- tk.Login(context.Background(), session, false) }()

	var pid int
	waitFor(t, "the opener to start", 10*time.Second, func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "url"))
		p, _ := os.ReadFile(filepath.Join(dir, "pid"))
		pid, _ = strconv.Atoi(strings.TrimSpace(string(p)))
		return len(b) > 0 && pid > 0
	})
	// Gone and reaped (kagi's Wait returned): ESRCH.
	waitFor(t, "the opener to be reaped", 10*time.Second, func() bool {
		return syscall.Kill(pid, 0) == syscall.ESRCH
	})
	select {
	case err := <-done:
		t.Fatalf("Login ended when the opener exited 0: %v", err)
	default:
	}

	// Now be the browser: the loopback link, the authorize page's Allow,
	// the redirect to kagi's callback.
	b, _ := os.ReadFile(filepath.Join(dir, "url"))
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	location := func(resp *http.Response, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("%s: %s", resp.Request.URL.Path, resp.Status)
		}
		return resp.Header.Get("Location")
	}
	authorize, err := url.Parse(location(hc.Get(strings.TrimSpace(string(b)))))
	if err != nil {
		t.Fatal(err)
	}
	form := authorize.Query()
	form.Set("user", alice)
	callback := location(hc.PostForm(e.url+"/authorize", form))
	resp, err := hc.Get(callback)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Login: %v\n%s", err, tk.Out)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Login did not end after the redirect")
	}
}

// The device code flow needs no browser here: an opener that fails is
// a warning, and the code is still approved from another device.
func TestOpenerThatFailsIsAWarningInTheDeviceCodeFlow(t *testing.T) {
	e := newEmu(t)
	tk := newTokens(t, e, t.TempDir())
	tk.Interactive = true
	_, tk.Opener = browserScript(t, "exit 3")
	out := tk.Out.(*syncBuffer)
	done := make(chan error, 1)
	go func() { done <- tk.Login(context.Background(), session, true) }()
	waitFor(t, "the warning", 30*time.Second, func() bool {
		return strings.Contains(out.String(), `kagi: warning: no browser opened (the browser opener "`)
	})
	approveDevice(t, e, out)
	if err := <-done; err != nil {
		t.Fatalf("Login: %v\n%s", err, out)
	}
	if !strings.Contains(out.String(), `browser.sh" failed (exit status 3)); open the URL above on any device`) {
		t.Fatalf("output:\n%s", out)
	}
}

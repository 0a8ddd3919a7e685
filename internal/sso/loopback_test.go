package sso

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func get(t *testing.T, url, host string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1
	}
	resp.Body.Close()
	return resp.StatusCode
}

// The loopback listener is on 127.0.0.1, ignores other paths and Hosts,
// takes the one redirect with the right state, then is closed.
func TestCallbackOneRequestRightState(t *testing.T) {
	c, err := listenCallback("the-state", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	if !strings.HasPrefix(c.redirectURI(), "http://127.0.0.1:") || !strings.HasSuffix(c.redirectURI(), "/oauth/callback") {
		t.Fatalf("redirect URI %s", c.redirectURI())
	}
	base := c.redirectURI()
	if got := get(t, base+"?state=the-state&code=c1", "localhost.evil.example:1"); got != http.StatusNotFound {
		t.Fatalf("another Host: %d", got)
	}
	if got := get(t, strings.TrimSuffix(base, "/oauth/callback")+"/favicon.ico", ""); got != http.StatusNotFound {
		t.Fatalf("another path: %d", got)
	}
	if got := get(t, base+"?state=the-state&code=c1", ""); got != http.StatusOK {
		t.Fatalf("the redirect: %d", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	code, err := c.wait(ctx, nil)
	if err != nil || code != "c1" {
		t.Fatalf("wait: %q %v", code, err)
	}
	if got := get(t, base+"?state=the-state&code=c2", ""); got != -1 {
		t.Fatalf("a second request was answered: %d", got)
	}
}

func TestCallbackWrongStateEndsTheSignIn(t *testing.T) {
	c, err := listenCallback("the-state", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	if got := get(t, c.redirectURI()+"?state=other&code=c1", ""); got != http.StatusBadRequest {
		t.Fatalf("wrong state: %d", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if code, err := c.wait(ctx, nil); err == nil || code != "" || !strings.Contains(err.Error(), "wrong state") {
		t.Fatalf("wait: %q %v", code, err)
	}
	if got := get(t, c.redirectURI()+"?state=the-state&code=c1", ""); got != -1 {
		t.Fatalf("the listener still answers: %d", got)
	}
}

// Open starts the first $BROWSER entry that exists, with the URL, and
// does not wait for it.
func TestBrowserOpenStartsAndDoesNotWait(t *testing.T) {
	if _, err := lookPathSh(); err != nil {
		t.Skip("no /bin/sh")
	}
	dir := t.TempDir()
	out := dir + "/got"
	script := dir + "/b.sh"
	writeExec(t, script, "#!/bin/sh\necho $$ > "+dir+"/pid\necho \"$1\" > "+out+"\nexec sleep 30\n")
	t.Cleanup(func() { killPIDFile(dir + "/pid") })
	b := Browser{Env: func(k string) (string, bool) { return "no-such-browser-kagi:" + script, k == "BROWSER" }}
	start := time.Now()
	if _, err := b.Open(context.Background(), "http://127.0.0.1:1/x?a=1&b=2"); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("Open waited for the browser")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, _ := readFile(out)
		if strings.TrimSpace(data) == "http://127.0.0.1:1/x?a=1&b=2" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the browser got %q", data)
		}
		time.Sleep(10 * time.Millisecond)
	}
	none := Browser{Env: func(k string) (string, bool) { return "no-such-browser-kagi", k == "BROWSER" }}
	if _, err := none.Open(context.Background(), "http://x"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("missing browser: %v", err)
	}
}

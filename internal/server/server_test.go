package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"

	"github.com/kagi-cli/kagi/internal/creds"
	"github.com/kagi-cli/kagi/internal/server"
)

const testHost = "127.0.0.1:49152"

// fakeProvider counts calls and returns credentials that last lifetime from
// the fake clock's now.
type fakeProvider struct {
	calls    atomic.Int32
	lifetime time.Duration
	now      func() time.Time
	err      error
	gate     chan struct{} // when set, each call waits for it
}

func (p *fakeProvider) provide(ctx context.Context) (creds.Credentials, error) {
	n := p.calls.Add(1)
	if p.gate != nil {
		select {
		case <-p.gate:
		case <-ctx.Done():
			return creds.Credentials{}, ctx.Err()
		}
	}
	if p.err != nil {
		return creds.Credentials{}, p.err
	}
	return creds.Credentials{
		AccessKeyID:     "ASIAFAKE" + string(rune('A'+n%26)),
		SecretAccessKey: "secret-" + string(rune('a'+n%26)),
		SessionToken:    "token-" + string(rune('a'+n%26)),
		Expiration:      p.now().Add(p.lifetime).Truncate(time.Second),
	}, nil
}

// clock is a settable fake clock, safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newECS(t *testing.T, p *fakeProvider, clk *clock) (*server.ECS, string) {
	t.Helper()
	p.now = clk.Now
	tok := server.NewToken()
	r := server.NewRefresher(t.Context(), p.provide, server.RefresherOptions{Now: clk.Now})
	return server.NewECS(testHost, tok, r, nil), tok
}

func request(method, target, remote, host string, header map[string]string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	r.RemoteAddr = remote
	r.Host = host
	for k, v := range header {
		r.Header.Set(k, v)
	}
	return r
}

func TestNewTokenIsLongAndRandom(t *testing.T) {
	a, b := server.NewToken(), server.NewToken()
	if a == b {
		t.Fatal("two tokens are equal")
	}
	if len(a) < 43 { // 32 bytes in base64url
		t.Errorf("token %d characters long, want at least 43", len(a))
	}
	if strings.ContainsAny(a, "\r\n =+/") {
		t.Errorf("token %q has characters unfit for a header", a)
	}
}

// TestECSRefusals: each refusal the issue lists, and what a good request
// gets, for the same handler.
func TestECSRefusals(t *testing.T) {
	p := &fakeProvider{lifetime: time.Hour}
	h, tok := newECS(t, p, newClock())
	good := map[string]string{"Authorization": tok}
	// The token with its last character changed to one it is not.
	wrong := tok[:len(tok)-1] + "x"
	if tok[len(tok)-1] == 'x' {
		wrong = tok[:len(tok)-1] + "y"
	}
	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
	}{
		{"good", request("GET", "/", "127.0.0.1:50000", testHost, good), 200},
		{"missing token", request("GET", "/", "127.0.0.1:50000", testHost, nil), 403},
		{"wrong token", request("GET", "/", "127.0.0.1:50000", testHost, map[string]string{"Authorization": wrong}), 403},
		{"token with a prefix", request("GET", "/", "127.0.0.1:50000", testHost, map[string]string{"Authorization": "Bearer " + tok}), 403},
		{"token as a prefix", request("GET", "/", "127.0.0.1:50000", testHost, map[string]string{"Authorization": tok + "x"}), 403},
		{"rebound DNS name", request("GET", "/", "127.0.0.1:50000", "evil.example:49152", good), 403},
		{"localhost", request("GET", "/", "127.0.0.1:50000", "localhost:49152", good), 403},
		{"other port", request("GET", "/", "127.0.0.1:50000", "127.0.0.1:49153", good), 403},
		{"no port", request("GET", "/", "127.0.0.1:50000", "127.0.0.1", good), 403},
		{"POST", request("POST", "/", "127.0.0.1:50000", testHost, good), 405},
		{"PUT", request("PUT", "/", "127.0.0.1:50000", testHost, good), 405},
		{"HEAD", request("HEAD", "/", "127.0.0.1:50000", testHost, good), 405},
		{"off loopback", request("GET", "/", "192.0.2.7:50000", testHost, good), 403},
		{"off loopback IPv6", request("GET", "/", "[2001:db8::1]:50000", testHost, good), 403},
		{"loopback IPv6", request("GET", "/", "[::1]:50000", testHost, good), 200},
		{"other loopback address", request("GET", "/", "127.0.0.2:50000", testHost, good), 200},
		{"unparsable peer", request("GET", "/", "somewhere", testHost, good), 403},
		{"other path", request("GET", "/x", "127.0.0.1:50000", testHost, good), 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, tc.req)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			body := w.Body.String()
			if tc.status != 200 && (strings.Contains(body, "secret-") || strings.Contains(body, "ASIA")) {
				t.Errorf("a refusal leaks credentials: %s", body)
			}
			if strings.Contains(body, tok) {
				t.Errorf("response contains the token: %s", body)
			}
			if tc.status == 405 && w.Header().Get("Allow") != "GET" {
				t.Errorf("405 without Allow: GET")
			}
		})
	}
}

// TestECSJSONShape: the four fields botocore requires and the Go SDK reads,
// Expiration in RFC 3339 UTC.
func TestECSJSONShape(t *testing.T) {
	clk := newClock()
	p := &fakeProvider{lifetime: time.Hour}
	h, tok := newECS(t, p, clk)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, request("GET", "/", "127.0.0.1:1", testHost, map[string]string{"Authorization": tok}))
	if w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var got map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"AccessKeyId":     "ASIAFAKEB",
		"SecretAccessKey": "secret-b",
		"Token":           "token-b",
		"Expiration":      "2025-06-01T13:00:00Z",
	}
	if len(got) != len(want) {
		t.Errorf("fields %v, want exactly %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestECSProviderErrorIs500WithMessage(t *testing.T) {
	p := &fakeProvider{lifetime: time.Hour, err: errors.New("AssumeRole arn:aws:iam::1:role/x: access denied")}
	h, tok := newECS(t, p, newClock())
	w := httptest.NewRecorder()
	h.ServeHTTP(w, request("GET", "/", "127.0.0.1:1", testHost, map[string]string{"Authorization": tok}))
	if w.Code != 500 {
		t.Fatalf("status %d, want 500", w.Code)
	}
	var e struct{ Code, Message string }
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || !strings.Contains(e.Message, "access denied") {
		t.Errorf("body %s (%v), want the SDK's error shape with the reason", w.Body, err)
	}
}

// TestECSConcurrentRequestsOneProviderCall: 200 concurrent requests, the
// first time and again once the credentials are due for a refresh, each
// cause one provider call.
func TestECSConcurrentRequestsOneProviderCall(t *testing.T) {
	clk := newClock()
	p := &fakeProvider{lifetime: time.Hour, gate: make(chan struct{})}
	h, tok := newECS(t, p, clk)
	burst := func() {
		t.Helper()
		const n = 200
		var wg sync.WaitGroup
		var entered atomic.Int32
		codes := make([]int, n)
		keys := make([]string, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w := httptest.NewRecorder()
				entered.Add(1)
				h.ServeHTTP(w, request("GET", "/", "127.0.0.1:1", testHost, map[string]string{"Authorization": tok}))
				codes[i] = w.Code
				var c struct{ AccessKeyId string }
				_ = json.Unmarshal(w.Body.Bytes(), &c)
				keys[i] = c.AccessKeyId
			}()
		}
		// The provider takes its time: requests pile up behind the one
		// refresh until it is let go.
		for deadline := time.Now().Add(10 * time.Second); entered.Load() < n && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		select {
		case p.gate <- struct{}{}:
		case <-time.After(10 * time.Second):
			t.Fatal("the provider was never called")
		}
		wg.Wait()
		for i := range n {
			if codes[i] != 200 || keys[i] != keys[0] {
				t.Fatalf("request %d: status %d key %q, want 200 and %q", i, codes[i], keys[i], keys[0])
			}
		}
	}
	burst()
	if n := p.calls.Load(); n != 1 {
		t.Fatalf("provider called %d times for 200 concurrent requests, want 1", n)
	}
	// Fresh: served from memory, no call.
	clk.Add(50 * time.Minute)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, request("GET", "/", "127.0.0.1:1", testHost, map[string]string{"Authorization": tok}))
	if w.Code != 200 || p.calls.Load() != 1 {
		t.Fatalf("with 10 minutes left: status %d, %d provider calls; want 200 and still 1", w.Code, p.calls.Load())
	}
	// Inside the refresh window (5 minutes): one more call for a new burst.
	clk.Add(6 * time.Minute)
	burst()
	if n := p.calls.Load(); n != 2 {
		t.Fatalf("provider called %d times in all, want 2", n)
	}
}

// TestECSWithGoSDK: the AWS SDK for Go v2's container credentials client
// reads the endpoint over real HTTP; without the token it is refused.
func TestECSWithGoSDK(t *testing.T) {
	p := &fakeProvider{lifetime: time.Hour, now: time.Now}
	r := server.NewRefresher(t.Context(), p.provide, server.RefresherOptions{})
	tok := server.NewToken()
	ep, err := server.Start(t.Context(), func(host string) http.Handler { return server.NewECS(host, tok, r, nil) })
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	if !strings.HasPrefix(ep.URL(), "http://127.0.0.1:") {
		t.Fatalf("URL %q is not on 127.0.0.1", ep.URL())
	}
	prov := endpointcreds.New(ep.URL(), func(o *endpointcreds.Options) { o.AuthorizationToken = tok })
	c, err := prov.Retrieve(t.Context())
	if err != nil {
		t.Fatalf("endpointcreds: %v", err)
	}
	if !strings.HasPrefix(c.AccessKeyID, "ASIAFAKE") || c.SessionToken == "" || !c.CanExpire {
		t.Errorf("got %+v", c)
	}
	bad := endpointcreds.New(ep.URL(), func(o *endpointcreds.Options) {
		o.AuthorizationToken = "wrong"
		o.Retryer = aws.NopRetryer{}
	})
	if _, err := bad.Retrieve(t.Context()); err == nil {
		t.Error("a wrong token was served")
	}
	// The real listener refuses a forged Host too.
	req, _ := http.NewRequestWithContext(t.Context(), "GET", ep.URL(), nil)
	req.Host = "kagi.example:80"
	req.Header.Set("Authorization", tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("forged Host: %d, want 403", resp.StatusCode)
	}
}

// TestEndpointStopsWithContext: Start's server stops when its context ends.
func TestEndpointStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	ep, err := server.Start(ctx, func(string) http.Handler { return http.NotFoundHandler() })
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-ep.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("endpoint still serving 10s after its context ended")
	}
	ep.Close() // idempotent
}

package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	"github.com/kagi-cli/kagi/internal/server"
)

func newIMDS(t *testing.T, clk *clock) (*server.IMDS, *fakeProvider) {
	t.Helper()
	p := &fakeProvider{lifetime: time.Hour}
	p.now = clk.Now
	r := server.NewRefresher(t.Context(), p.provide, server.RefresherOptions{Now: clk.Now})
	return server.NewIMDS(testHost, r, server.IMDSOptions{Role: "admin", Region: "eu-west-1", Now: clk.Now}), p
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestIMDSv2Flow: PUT a token, list the role, read its credentials in
// EC2's shape; the token expires after its TTL.
func TestIMDSv2Flow(t *testing.T) {
	clk := newClock()
	h, _ := newIMDS(t, clk)
	const peer = "127.0.0.1:50000"
	w := serve(h, request("PUT", "/latest/api/token", peer, testHost, map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "60"}))
	if w.Code != 200 || w.Header().Get("X-Aws-Ec2-Metadata-Token-Ttl-Seconds") != "60" {
		t.Fatalf("token: %d %v %s", w.Code, w.Header(), w.Body)
	}
	tok := map[string]string{"X-aws-ec2-metadata-token": w.Body.String()}

	w = serve(h, request("GET", "/latest/meta-data/iam/security-credentials/", peer, testHost, tok))
	if w.Code != 200 || w.Body.String() != "admin" {
		t.Fatalf("role list: %d %q", w.Code, w.Body)
	}
	w = serve(h, request("GET", "/latest/meta-data/iam/security-credentials/admin", peer, testHost, tok))
	if w.Code != 200 {
		t.Fatalf("credentials: %d %s", w.Code, w.Body)
	}
	var c map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &c); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Code": "Success", "Type": "AWS-HMAC", "LastUpdated": "2025-06-01T12:00:00Z",
		"AccessKeyId": "ASIAFAKEB", "SecretAccessKey": "secret-b", "Token": "token-b",
		"Expiration": "2025-06-01T13:00:00Z",
	}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("%s = %q, want %q", k, c[k], v)
		}
	}
	w = serve(h, request("GET", "/latest/meta-data/placement/region", peer, testHost, tok))
	if w.Code != 200 || w.Body.String() != "eu-west-1" {
		t.Errorf("region: %d %q", w.Code, w.Body)
	}
	w = serve(h, request("GET", "/latest/meta-data/iam/security-credentials/other", peer, testHost, tok))
	if w.Code != 404 {
		t.Errorf("another role: %d, want 404", w.Code)
	}
	clk.Add(61 * time.Second)
	w = serve(h, request("GET", "/latest/meta-data/iam/security-credentials/", peer, testHost, tok))
	if w.Code != 401 {
		t.Errorf("expired token: %d, want 401", w.Code)
	}
}

func TestIMDSRefusals(t *testing.T) {
	clk := newClock()
	h, p := newIMDS(t, clk)
	const peer = "127.0.0.1:50000"
	ttl := map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "21600"}
	tokText := serve(h, request("PUT", "/latest/api/token", peer, testHost, ttl)).Body.String()
	tok := map[string]string{"X-aws-ec2-metadata-token": tokText}
	other, _ := newIMDS(t, clk) // another endpoint, another key
	otherTok := serve(other, request("PUT", "/latest/api/token", peer, testHost, ttl)).Body.String()
	creds := "/latest/meta-data/iam/security-credentials/admin"
	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
	}{
		{"good", request("GET", creds, peer, testHost, tok), 200},
		{"IMDSv1 (no token)", request("GET", creds, peer, testHost, nil), 401},
		{"garbage token", request("GET", creds, peer, testHost, map[string]string{"X-aws-ec2-metadata-token": "AAAA"}), 401},
		{"token of another endpoint", request("GET", creds, peer, testHost, map[string]string{"X-aws-ec2-metadata-token": otherTok}), 401},
		{"tampered token", request("GET", creds, peer, testHost, map[string]string{"X-aws-ec2-metadata-token": flip(tokText)}), 401},
		{"token without TTL", request("PUT", "/latest/api/token", peer, testHost, nil), 400},
		{"TTL 0", request("PUT", "/latest/api/token", peer, testHost, map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "0"}), 400},
		{"TTL too long", request("PUT", "/latest/api/token", peer, testHost, map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "21601"}), 400},
		{"token through a proxy", request("PUT", "/latest/api/token", peer, testHost, map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "60", "X-Forwarded-For": "192.0.2.1"}), 403},
		{"GET a token", request("GET", "/latest/api/token", peer, testHost, ttl), 405},
		{"POST credentials", request("POST", creds, peer, testHost, tok), 405},
		{"rebound DNS name, token", request("PUT", "/latest/api/token", peer, "evil.example:49152", ttl), 403},
		{"rebound DNS name, credentials", request("GET", creds, peer, "evil.example:49152", tok), 403},
		{"169.254.169.254", request("GET", creds, peer, "169.254.169.254", tok), 403},
		{"off loopback, token", request("PUT", "/latest/api/token", "192.0.2.7:50000", testHost, ttl), 403},
		{"off loopback, credentials", request("GET", creds, "192.0.2.7:50000", testHost, tok), 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := serve(h, tc.req)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if tc.status != 200 && strings.Contains(w.Body.String(), "secret-") {
				t.Errorf("a refusal leaks credentials: %s", w.Body)
			}
		})
	}
	if n := p.calls.Load(); n != 1 {
		t.Errorf("provider called %d times, want 1 (only for the good request)", n)
	}
}

// flip changes the token's first character (the last may hold only
// padding bits).
func flip(s string) string {
	c := "A"
	if s[0] == 'A' {
		c = "B"
	}
	return c + s[1:]
}

// TestIMDSWithGoSDK: the AWS SDK for Go v2's own EC2 role provider reads the
// endpoint over real HTTP, through its IMDSv2 client.
func TestIMDSWithGoSDK(t *testing.T) {
	p := &fakeProvider{lifetime: time.Hour, now: time.Now}
	r := server.NewRefresher(t.Context(), p.provide, server.RefresherOptions{})
	ep, err := server.Start(t.Context(), func(host string) http.Handler {
		return server.NewIMDS(host, r, server.IMDSOptions{Role: "admin"})
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	client := imds.New(imds.Options{Endpoint: ep.URL(), EnableFallback: aws.FalseTernary})
	prov := ec2rolecreds.New(func(o *ec2rolecreds.Options) { o.Client = client })
	c, err := prov.Retrieve(t.Context())
	if err != nil {
		t.Fatalf("ec2rolecreds: %v", err)
	}
	if !strings.HasPrefix(c.AccessKeyID, "ASIAFAKE") || c.SessionToken == "" || !c.CanExpire {
		t.Errorf("got %+v", c)
	}
}

// TestIMDSDoubledSlash: over real HTTP, a client that joins an endpoint
// ending in "/" with "/latest/..." (the JavaScript SDK v2 does) gets its
// token and credentials, not 405.
func TestIMDSDoubledSlash(t *testing.T) {
	p := &fakeProvider{lifetime: time.Hour, now: time.Now}
	r := server.NewRefresher(t.Context(), p.provide, server.RefresherOptions{})
	ep, err := server.Start(t.Context(), func(host string) http.Handler {
		return server.NewIMDS(host, r, server.IMDSOptions{Role: "admin"})
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	do := func(method, path string, header map[string]string) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, ep.URL()+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if !strings.HasSuffix(ep.URL(), "/") {
		t.Fatalf("URL %q: the test means to double the slash", ep.URL())
	}
	status, tok := do("PUT", "/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "60"})
	if status != 200 {
		t.Fatalf("PUT //latest/api/token: %d %s", status, tok)
	}
	h := map[string]string{"X-aws-ec2-metadata-token": tok}
	if status, body := do("GET", "/latest/meta-data/iam/security-credentials/", h); status != 200 || body != "admin" {
		t.Fatalf("GET //latest/meta-data/iam/security-credentials/: %d %q", status, body)
	}
	if status, body := do("GET", "//latest/meta-data/iam/security-credentials/admin", h); status != 200 || !strings.Contains(body, "ASIAFAKE") {
		t.Fatalf("GET ///latest/meta-data/iam/security-credentials/admin: %d %q", status, body)
	}
	// Still only those paths: no other prefix is dropped.
	if status, _ := do("GET", "/x/latest/meta-data/iam/security-credentials/", h); status != 404 {
		t.Errorf("GET //x/latest/...: %d, want 404", status)
	}
}

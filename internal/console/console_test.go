package console_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/console"
)

func TestPartitionOf(t *testing.T) {
	for region, want := range map[string][2]string{
		"":               {"https://signin.aws.amazon.com/federation", "console.aws.amazon.com"},
		"eu-west-1":      {"https://signin.aws.amazon.com/federation", "console.aws.amazon.com"},
		"us-gov-west-1":  {"https://signin.amazonaws-us-gov.com/federation", "console.amazonaws-us-gov.com"},
		"us-gov-east-1":  {"https://signin.amazonaws-us-gov.com/federation", "console.amazonaws-us-gov.com"},
		"cn-north-1":     {"https://signin.amazonaws.cn/federation", "console.amazonaws.cn"},
		"cn-northwest-1": {"https://signin.amazonaws.cn/federation", "console.amazonaws.cn"},
	} {
		p := console.PartitionOf(region)
		if p.Federation != want[0] || p.ConsoleHost != want[1] {
			t.Errorf("%q: %+v, want %v", region, p, want)
		}
	}
}

func TestDestination(t *testing.T) {
	aws, gov, cn := console.PartitionOf(""), console.PartitionOf("us-gov-west-1"), console.PartitionOf("cn-north-1")
	for _, tc := range []struct {
		p            console.Partition
		region, dest string
		want, err    string
	}{
		{aws, "", "", "https://console.aws.amazon.com/console/home", ""},
		{aws, "eu-west-1", "", "https://console.aws.amazon.com/console/home?region=eu-west-1", ""},
		{aws, "eu-west-1", "/ec2/home", "https://console.aws.amazon.com/ec2/home?region=eu-west-1", ""},
		{aws, "eu-west-1", "/ec2/home?region=us-east-1#Instances:", "https://console.aws.amazon.com/ec2/home?region=us-east-1#Instances:", ""},
		{aws, "", "https://eu-west-1.console.aws.amazon.com/s3/buckets", "https://eu-west-1.console.aws.amazon.com/s3/buckets", ""},
		{gov, "us-gov-west-1", "", "https://console.amazonaws-us-gov.com/console/home?region=us-gov-west-1", ""},
		{gov, "us-gov-west-1", "/iam/home", "https://console.amazonaws-us-gov.com/iam/home?region=us-gov-west-1", ""},
		{cn, "cn-north-1", "https://console.amazonaws.cn/ec2/home", "https://console.amazonaws.cn/ec2/home?region=cn-north-1", ""},
		// Off the partition's console.
		{aws, "", "https://evil.example/", "", "not on the aws console"},
		{aws, "", "https://console.aws.amazon.com.evil.example/", "", "not on the aws console"},
		{aws, "", "https://evilconsole.aws.amazon.com/", "", "not on the aws console"},
		{aws, "", "http://console.aws.amazon.com/", "", "not on the aws console"},
		{aws, "", "https://user@console.aws.amazon.com/", "", "not on the aws console"},
		{aws, "", "https://console.aws.amazon.com:8443/", "", "not on the aws console"},
		{gov, "", "https://console.aws.amazon.com/", "", "not on the aws-us-gov console"},
		{aws, "", "//evil.example/x", "", "not a path"},
		{aws, "", "ec2/home", "", "neither a path"},
	} {
		got, err := console.Destination(tc.p, tc.region, tc.dest)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s %q: %q, %v; want an error with %q", tc.p.ID, tc.dest, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s %q in %q: %q, %v; want %q", tc.p.ID, tc.dest, tc.region, got, err, tc.want)
		}
	}
}

func TestCheckEndpoint(t *testing.T) {
	for ep, ok := range map[string]bool{
		"https://signin.aws.amazon.com/federation": true,
		"http://127.0.0.1:8080/federation":         true,
		"http://[::1]:8080/federation":             true,
		"http://signin.example/federation":         false,
		"http://localhost:8080/federation":         false, // a name can resolve anywhere
		"ftp://127.0.0.1/federation":               false,
		"not a url":                                false,
	} {
		if err := console.CheckEndpoint(ep); (err == nil) != ok {
			t.Errorf("%q: %v, want ok=%v", ep, err, ok)
		}
	}
}

// The loopback link answers one GET, on its own path and host, with a 302
// to the secret, and nothing after.
func TestRedirectIsOneShot(t *testing.T) {
	const secret = "https://signin.aws.amazon.com/federation?Action=login&SigninToken=secret"
	r, err := console.NewRedirect(secret)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !strings.HasPrefix(r.URL, "http://127.0.0.1:") || strings.Contains(r.URL, "secret") {
		t.Fatalf("link %q", r.URL)
	}
	hc := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u, host string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		if host != "" {
			req.Host = host
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	base := r.URL[:strings.LastIndexByte(r.URL, '/')]
	if resp := get(base+"/other", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another path: %d", resp.StatusCode)
	}
	if resp := get(r.URL, "attacker.example"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another Host: %d", resp.StatusCode)
	}
	head, err := hc.Head(r.URL)
	if err != nil {
		t.Fatal(err)
	}
	head.Body.Close()
	if head.StatusCode != http.StatusNoContent || head.Header.Get("Location") != "" {
		t.Errorf("HEAD: %d %q", head.StatusCode, head.Header.Get("Location"))
	}
	resp := get(r.URL, "")
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != secret || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("first GET: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if err := r.Wait(context.Background(), 10*time.Second, nil); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	// Closed after the one redirect.
	if _, err := hc.Get(r.URL); err == nil {
		t.Errorf("the listener still answers after the redirect")
	}
}

func TestRedirectSecondGetIsGone(t *testing.T) {
	r, err := console.NewRedirect("https://console.aws.amazon.com/")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	hc := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for i, want := range []int{http.StatusFound, http.StatusGone} {
		resp, err := hc.Get(r.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %d: %d, want %d", i+1, resp.StatusCode, want)
		}
	}
}

func TestRedirectTimesOut(t *testing.T) {
	r, err := console.NewRedirect("https://console.aws.amazon.com/")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Wait(context.Background(), time.Millisecond, nil); !errors.Is(err, console.ErrNotOpened) {
		t.Errorf("Wait: %v, want ErrNotOpened", err)
	}
}

func TestSigninToken(t *testing.T) {
	var got map[string]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.RawQuery != "" {
			t.Errorf("%s with query %q: the credentials belong in a POST body", r.Method, r.URL.RawQuery)
		}
		r.ParseForm()
		got = map[string]string{"Action": r.PostForm.Get("Action"), "Session": r.PostForm.Get("Session"), "SessionDuration": r.PostForm.Get("SessionDuration")}
		if r.PostForm.Get("SessionDuration") == "60" {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, "nope\n")
			return
		}
		io.WriteString(w, `{"SigninToken":"tok"}`)
	}))
	defer srv.Close()
	c := console.Credentials{AccessKeyID: "ASIA1", SecretAccessKey: "s", SessionToken: "t"}
	tok, err := console.SigninToken(context.Background(), srv.Client(), srv.URL, c, time.Hour, console.Role)
	if err != nil || tok != "tok" {
		t.Fatalf("%q %v", tok, err)
	}
	if got["Action"] != "getSigninToken" || got["Session"] != `{"sessionId":"ASIA1","sessionKey":"s","sessionToken":"t"}` || got["SessionDuration"] != "3600" {
		t.Errorf("sent %v", got)
	}
	_, err = console.SigninToken(context.Background(), srv.Client(), srv.URL, c, time.Minute, console.Temporary)
	var re *console.RefusedError
	if !errors.As(err, &re) || re.Status != 400 || re.Reason != "nope" || !strings.Contains(err.Error(), "not GetSessionToken") || re.Hint() == "" {
		t.Errorf("refusal: %v", err)
	}
	if strings.Contains(err.Error(), "s\"") || strings.Contains(err.Error(), "ASIA1") {
		t.Errorf("the error names the credentials: %v", err)
	}
}

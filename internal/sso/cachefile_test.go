package sso

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// The registration's file name must be the AWS CLI v2's, byte for byte of
// Python's json.dumps, or the two tools register a client each. The
// expected values were computed with CPython 3.11:
//
//	hashlib.sha1(json.dumps({"tool": "botocore", "startUrl": u, "region": r,
//	    "scopes": sc, "session_name": n}, sort_keys=True).encode()).hexdigest()
func TestRegistrationKeyIsTheAWSCLIs(t *testing.T) {
	for _, c := range []struct {
		url, region string
		scopes      []string
		session     string
		want        string
	}{
		{"https://example.awsapps.com/start", "us-east-1", nil, "my-sso", "9065e9472ec6b87bbc18bb77fc3c3016d8d42df9"},
		{"https://example.awsapps.com/start", "eu-west-1", []string{"sso:account:access", "x"}, "dév\U0001F600\"\\\n", "88734d3d3d5167f39527b264c6e8cdda9abfea67"},
		{"https://example.awsapps.com/start", "us-east-1", nil, "", "6c6f31f93a84fcbeca9b94bb5d13f4109559e71a"},
	} {
		if got := RegistrationKey(c.url, c.region, c.scopes, c.session); got != c.want {
			t.Errorf("RegistrationKey(%q, %q, %q, %q) = %s, want %s", c.url, c.region, c.scopes, c.session, got, c.want)
		}
	}
}

// A file the AWS CLI v2 wrote (its shape, including a field kagi does not
// know) reads back, and a rewrite keeps the unknown field and writes
// times as RFC 3339 UTC with a Z, 0600.
func TestTokenFileRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sso", "cache")
	awscli := `{"startUrl": "https://example.awsapps.com/start", "region": "us-east-1", "accessToken": "aoa", "expiresAt": "2026-11-30T08:00:00Z", "clientId": "cid", "clientSecret": "cs", "registrationExpiresAt": "2027-02-27T08:00:00Z", "refreshToken": "aor", "futureField": {"a": 1}}`
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "x.json")
	if err := os.WriteFile(path, []byte(awscli), 0o600); err != nil {
		t.Fatal(err)
	}
	tok, ok, err := ReadToken(path)
	if err != nil || !ok {
		t.Fatalf("ReadToken: %v %v", ok, err)
	}
	if tok.AccessToken != "aoa" || tok.RefreshToken != "aor" || tok.ClientID != "cid" || tok.ClientSecret != "cs" ||
		!tok.ExpiresAt.Equal(time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)) || !tok.RegistrationExpiresAt.Equal(time.Date(2027, 2, 27, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("read %+v", tok)
	}
	tok.ExpiresAt = time.Date(2026, 12, 1, 9, 30, 0, 0, time.FixedZone("x", 3600))
	if err := WriteToken(path, tok); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if m["expiresAt"] != "2026-12-01T08:30:00Z" || m["registrationExpiresAt"] != "2027-02-27T08:00:00Z" || m["futureField"] == nil || m["startUrl"] != "https://example.awsapps.com/start" {
		t.Fatalf("rewritten file: %s", data)
	}
	if fi, _ := os.Stat(path); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
}

// Early AWS CLI v2 releases wrote "...UTC"; botocore reads it still.
func TestTokenLegacyTime(t *testing.T) {
	var tok Token
	if err := tok.UnmarshalJSON([]byte(`{"accessToken":"a","expiresAt":"2019-11-14T04:05:45UTC"}`)); err != nil {
		t.Fatal(err)
	}
	if !tok.ExpiresAt.Equal(time.Date(2019, 11, 14, 4, 5, 45, 0, time.UTC)) {
		t.Fatal(tok.ExpiresAt)
	}
	err := tok.UnmarshalJSON([]byte(`{"accessToken":"secret-value","expiresAt":7}`))
	if err == nil || strings.Contains(err.Error(), "secret-value") {
		t.Fatalf("bad field: %v", err)
	}
}

func TestBrowserCommands(t *testing.T) {
	const u = "http://127.0.0.1:1/authorize?a=1&b=2"
	env := func(v string) func(string) (string, bool) {
		return func(k string) (string, bool) { return v, k == "BROWSER" && v != "" }
	}
	for _, c := range []struct {
		browser, goos string
		want          string
	}{
		{"", "linux", "xdg-open " + u},
		{"", "darwin", "osascript -|open " + u},
		{"", "windows", "rundll32 url.dll,FileProtocolHandler " + u},
		{"firefox", "linux", "firefox " + u},
		{"w3m:lynx -dump", "linux", "w3m " + u + "|lynx -dump " + u},
		{"my-browser --url=%s --new", "linux", "my-browser --url=" + u + " --new"},
		{" : ", "linux", "xdg-open " + u},
	} {
		cmds, err := Browser{Env: env(c.browser), GOOS: c.goos}.commands(u)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, argv := range cmds {
			lines = append(lines, strings.Join(argv, " "))
		}
		if got := strings.Join(lines, "|"); got != c.want {
			t.Errorf("BROWSER=%q on %s: %q, want %q", c.browser, c.goos, got, c.want)
		}
	}
}

package credsection_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/credfile"
	"github.com/kagi-cli/kagi/internal/credsection"
)

// TestCheck is the table behind write-credentials' refusals and export
// --format ini's section names: which sections the SDKs would read as
// meant, and which would feed a chain.
func TestCheck(t *testing.T) {
	cfg, err := config.Parse("~/.aws/config", config.ConfigFile, []byte(`[profile jump]
mfa_serial = arn:aws:iam::111111111111:mfa/jump
[profile prod]
role_arn = arn:aws:iam::333333333333:role/admin
source_profile = jump
[profile self]
role_arn = arn:aws:iam::333333333333:role/admin
source_profile = self
[profile proc]
credential_process = kagi credential-process prod
[profile sso]
sso_session = corp
[profile prod-tf]
region = us-east-1
[profile lone]
region = us-east-1
`))
	if err != nil {
		t.Fatal(err)
	}
	creds, err := config.Parse("~/.aws/credentials", config.CredentialsFile, []byte("[written]\naws_access_key_id = ASIAX\naws_secret_access_key = s\naws_session_token = t\n[viacreds]\nsource_profile = written-elsewhere\n"))
	if err != nil {
		t.Fatal(err)
	}
	files := &config.Files{Config: cfg, Credentials: creds}
	rules := credsection.New(files, credsection.Resolve(files, nil))
	for _, tc := range []struct {
		profile, section string
		writing          []string // besides profile
		refused          string   // "" = allowed
	}{
		{"prod", "prod", nil, `[prod]: profile "prod" sets role_arn (~/.aws/config:4)`},
		{"prod", "prod-tf", nil, ""},
		{"prod", "brand-new", nil, ""},
		{"prod", "written", nil, ""}, // its own chain reads it: what it is for
		{"prod", "jump", nil, `profile "prod" names it as source_profile`},
		{"prod", "self", nil, "sets role_arn"},
		{"prod", "proc", nil, "sets credential_process"},
		{"prod", "sso", nil, "sets sso_session"},
		{"prod", "written-elsewhere", nil, `profile "viacreds" names it as source_profile (~/.aws/credentials:6)`},
		{"jump", "jump", nil, `profile "prod" names it as source_profile`},
		{"lone", "lone", nil, `profile "lone" gets its own credentials from there`},
		{"written", "written", nil, `profile "written" gets its own credentials from there`},
		// Writing lone elsewhere while another profile is written into
		// [lone]'s place: lone's chain would start from the keys.
		{"prod", "lone", []string{"lone"}, `profile "lone" gets its own credentials from there`},
	} {
		writing := map[string]bool{tc.profile: true}
		for _, p := range tc.writing {
			writing[p] = true
		}
		err := rules.Check(tc.section, writing)
		var re *credsection.RefusedError
		switch {
		case tc.refused == "" && err != nil:
			t.Errorf("%s as [%s]: refused: %v", tc.profile, tc.section, err)
		case tc.refused != "" && (err == nil || !strings.Contains(err.Error(), tc.refused)):
			t.Errorf("%s as [%s]: %v, want a refusal with %q", tc.profile, tc.section, err, tc.refused)
		case err != nil && !errors.As(err, &re):
			t.Errorf("%s as [%s]: %T, want *RefusedError", tc.profile, tc.section, err)
		}
	}
}

func TestKeys(t *testing.T) {
	got := credsection.Keys("ASIAX", "secret", "tok", "eu-west-1")
	kv := func(k, v string) credfile.KV { return credfile.KV{Key: k, Value: v} }
	want := []credfile.KV{kv("aws_access_key_id", "ASIAX"), kv("aws_secret_access_key", "secret"),
		kv("aws_session_token", "tok"), kv("aws_security_token", "tok"), kv("region", "eu-west-1")}
	if len(got) != len(want) {
		t.Fatalf("Keys = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Keys[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	// Long-term keys (export --no-session) and no region: nothing else.
	if got := credsection.Keys("AKIAX", "secret", "", ""); len(got) != 2 {
		t.Errorf("Keys without token and region = %v", got)
	}
}

func TestNoteRoundTrip(t *testing.T) {
	exp := time.Date(2026, 11, 22, 12, 0, 0, 0, time.FixedZone("JST", 9*3600))
	for _, profile := range []string{"prod", `a"b`, "ünï cödé"} {
		note := credsection.Note(profile, exp)
		p, e, ok := credsection.ParseNote(note)
		if !ok || p != profile || !e.Equal(exp) {
			t.Errorf("ParseNote(%q) = %q, %v, %v", note, p, e, ok)
		}
	}
	if got := credsection.Note("prod", exp); got != `temporary credentials for profile "prod", expire 2026-11-22T03:00:00Z` {
		t.Errorf("Note = %q: the format earlier kagis wrote must not change", got)
	}
	for _, bad := range []string{"rotated by hand", `temporary credentials for profile "prod", expire soon`, `temporary credentials for profile prod, expire 2026-11-22T03:00:00Z`} {
		if _, _, ok := credsection.ParseNote(bad); ok {
			t.Errorf("ParseNote(%q) ok", bad)
		}
	}
}

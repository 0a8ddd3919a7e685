package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func codes(ws []Warning) []string {
	var out []string
	for _, w := range ws {
		s := w.Code + "@" + w.File + ":" + itoa(w.Line) + "/" + w.Profile
		if w.Unusable {
			s += "!"
		}
		out = append(out, s)
	}
	return out
}

func itoa(n int) string {
	return strings.TrimSpace(strings.Repeat(" ", 0) + string(rune('0'+n/10%10)) + string(rune('0'+n%10)))
}

// The four cases issue 11 names, each decided on purpose: a broken or
// ambiguous section makes that profile unusable and leaves the others
// working; where kagi stays lenient, it warns.
func TestIssue11Cases(t *testing.T) {
	const keys = "[jumpuser]\naws_access_key_id = A\naws_secret_access_key = S\n"
	role := "role_arn = arn:aws:iam::123456789012:role/r\nsource_profile = jumpuser\n"
	tests := []struct {
		name, config string
		broken       string // profile whose Resolve fails with a *SectionError
		reason       string
		ok           string // profile that still resolves
		warn         []string
	}{
		{"second [profile a]", "[profile a]\n" + role + "[profile b]\n" + role + "[profile a]\nregion = eu-west-1\n",
			"a", "c:7: profile \"a\" cannot be used: declared twice in this file (lines 1 and 7): the AWS CLI refuses the whole file", "b",
			[]string{"duplicate-section@c:07/a!"}},
		{"duplicated role_arn", "[profile a]\n" + role + "role_arn = arn:aws:iam::123456789012:role/other\n[profile b]\n" + role,
			"a", "c:4: profile \"a\" cannot be used: role_arn is set twice (lines 2 and 4): the AWS CLI refuses the whole file", "b",
			[]string{"duplicate-key@c:04/a!"}},
		{"[default] and [profile default] (seed 002)", "[default]\n" + role + "[profile default]\nregion = eu-west-1\n[profile b]\n" + role,
			"default", "c:4: profile \"default\" cannot be used: [default] (line 1) and [profile default] (line 4) declare the same section", "b",
			[]string{"duplicate-section@c:04/default!"}},
		{"[profile ] anywhere", "[profile ]\nregion = x\n[profile b]\n" + role, "", "", "b", nil},
		{"source_profile with an inline comment (seed 003)", "[profile b]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile=jumpuser # 切り替え元IAMユーザのプロファイル\n",
			"", "", "b", []string{"inline-comment@c:03/b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := Parse("c", ConfigFile, []byte(tt.config))
			creds, _ := Parse("k", CredentialsFile, []byte(keys))
			fs := &Files{Config: cfg, Credentials: creds}
			if got := codes(fs.Warnings()); !reflect.DeepEqual(got, tt.warn) {
				t.Errorf("warnings %q, want %q", got, tt.warn)
			}
			if tt.broken != "" {
				_, err := Resolve(fs, Request{Profile: tt.broken})
				var se *SectionError
				if !errors.As(err, &se) || !strings.HasPrefix(err.Error(), tt.reason) {
					t.Errorf("Resolve(%s) = %v, want *SectionError %q", tt.broken, err, tt.reason)
				}
				// And through source_profile.
				via := &Files{Config: mustParse(t, ConfigFile, tt.config+"[profile via]\nrole_arn = arn:aws:iam::123456789012:role/v\nsource_profile = "+tt.broken+"\n"), Credentials: creds}
				if _, err := Resolve(via, Request{Profile: "via"}); !errors.As(err, &se) {
					t.Errorf("Resolve(via) = %v", err)
				}
			}
			c, err := Resolve(fs, Request{Profile: tt.ok})
			if err != nil {
				t.Fatalf("Resolve(%s): %v", tt.ok, err)
			}
			if c.Source.Profile != "jumpuser" || !reflect.DeepEqual(c.Profiles, []string{tt.ok, "jumpuser"}) {
				t.Errorf("chain: source %q, profiles %q", c.Source.Profile, c.Profiles)
			}
		})
	}
}

func TestWarningsFor(t *testing.T) {
	cfg := mustParse(t, ConfigFile, "\ufeff[profile a]\nregion = x # c\n[profile b]\nregion = y # c\n[profile c]\n[profile c]\n")
	fs := &Files{Config: cfg}
	got := codes(fs.WarningsFor([]string{"a"}))
	want := []string{"bom@~/.aws/config:01/", "inline-comment@~/.aws/config:02/a"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := len(fs.Warnings()); got != 4 {
		t.Errorf("all warnings: %d", got)
	}
	w := fs.Warnings()[1]
	if s := w.String(); s != `~/.aws/config:2: profile "a": region: the AWS CLI reads "x # c" (it keeps inline comments), kagi and the Go SDK read "x"; put the comment on a line of its own` {
		t.Errorf("String() = %s", s)
	}
}

// An inline comment after a secret is reported without the value.
func TestWarningHidesSecrets(t *testing.T) {
	f := mustParse(t, CredentialsFile, "[a]\naws_secret_access_key = wJalrXUtnFEMI # old\n")
	if len(f.Warnings()) != 1 || strings.Contains(f.Warnings()[0].String(), "wJalr") {
		t.Fatalf("%v", f.Warnings())
	}
}

func TestShellSplit(t *testing.T) {
	for in, want := range map[string][]string{
		`profile a`:        {"profile", "a"},
		`profile "a b"`:    {"profile", "a b"},
		`profile 'a"b'`:    {"profile", `a"b`},
		`profile a\ b`:     {"profile", "a b"},
		"profile \t a  b ": {"profile", "a", "b"},
	} {
		if got, ok := shellSplit(in); !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: %q %v", in, got, ok)
		}
	}
	for _, in := range []string{`profile 'a`, `profile a\`} {
		if _, ok := shellSplit(in); ok {
			t.Errorf("%q: ok", in)
		}
	}
}

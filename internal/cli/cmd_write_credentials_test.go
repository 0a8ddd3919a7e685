package cli

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/config"
)

func TestWriteCredentialsArgvToOptions(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		code int
		want writeCredentialsOptions
	}{
		{[]string{"prod"}, ExitOK, writeCredentialsOptions{Profiles: []string{"prod"}}},
		{[]string{"prod", "--as", "prod-tf", "--force", "--refresh-before", "15m"}, ExitOK,
			writeCredentialsOptions{Profiles: []string{"prod"}, As: "prod-tf", Force: true, RefreshBefore: 15 * time.Minute}},
		{[]string{"prod", "dev", "--as", "{profile}-tf", "--mfa-token", "123456"}, ExitOK,
			writeCredentialsOptions{Profiles: []string{"prod", "dev"}, As: "{profile}-tf", Creds: credFlags{MFAToken: "123456"}}},
		{[]string{"--all", "--as", "tf-{profile}", "--refresh-before", "1h"}, ExitOK,
			writeCredentialsOptions{Profiles: []string{}, All: true, As: "tf-{profile}", RefreshBefore: time.Hour}},
		{[]string{"prod", "--role-arn", "arn:aws:iam::333333333333:role/x", "--duration", "30m"}, ExitOK,
			writeCredentialsOptions{Profiles: []string{"prod"}, Creds: credFlags{RoleARN: "arn:aws:iam::333333333333:role/x", Duration: 30 * time.Minute}}},
		{nil, ExitUsage, writeCredentialsOptions{}},
		{[]string{"--all", "prod"}, ExitUsage, writeCredentialsOptions{}},
		{[]string{"--all", "--mfa-token", "123456"}, ExitUsage, writeCredentialsOptions{}},
		{[]string{"--all", "--as", "fixed"}, ExitUsage, writeCredentialsOptions{}},
		{[]string{"prod", "dev", "--as", "fixed"}, ExitUsage, writeCredentialsOptions{}},
		{[]string{"prod", "dev", "--as", "{profile}", "--role-arn", "arn:aws:iam::333333333333:role/x"}, ExitUsage, writeCredentialsOptions{}},
		{[]string{"prod", "prod"}, ExitUsage, writeCredentialsOptions{}},
		{[]string{"prod", "--refresh-before", "-5m"}, ExitUsage, writeCredentialsOptions{}},
		{[]string{"prod", "--refresh-before", "soon"}, ExitUsage, writeCredentialsOptions{}},
	} {
		t.Run(strings.Join(tc.argv, " "), func(t *testing.T) {
			io, _, _ := testIO(nil)
			a := &app{io: io}
			var got *writeCredentialsOptions
			a.optionsHook = func(o any) error { w := o.(writeCredentialsOptions); got = &w; return nil }
			root := a.rootCommand(nil)
			root.SetArgs(append([]string{"write-credentials"}, tc.argv...))
			root.SetOut(io.Out)
			root.SetErr(io.Err)
			if code := report(io.Err, root.ExecuteContext(context.Background())); code != tc.code {
				t.Fatalf("exit code %d, want %d", code, tc.code)
			}
			if tc.code != ExitOK {
				return
			}
			if got == nil || !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("options = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestCheckSection is the table behind write-credentials' refusals: which
// sections the SDKs would read as meant, and which would feed a chain.
func TestCheckSection(t *testing.T) {
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
	for _, tc := range []struct {
		profile, section string
		writing          []string // besides profile
		refused          string   // "" = allowed
	}{
		{"prod", "prod", nil, `profile "prod" sets role_arn (~/.aws/config:4)`},
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
		w := &writeRun{files: files, sourcedFrom: map[string][]string{}, writing: map[string]bool{tc.profile: true}}
		for _, p := range tc.writing {
			w.writing[p] = true
		}
		for _, name := range files.ProfileNames() {
			if c, err := config.Resolve(files, config.Request{Profile: name}); err == nil && c.Source.Profile != "" {
				w.sourcedFrom[c.Source.Profile] = append(w.sourcedFrom[c.Source.Profile], name)
			}
		}
		err := w.checkSection(tc.profile, tc.section)
		switch {
		case tc.refused == "" && err != nil:
			t.Errorf("%s as [%s]: refused: %v", tc.profile, tc.section, err)
		case tc.refused != "" && (err == nil || !strings.Contains(err.Error(), tc.refused)):
			t.Errorf("%s as [%s]: %v, want a refusal with %q", tc.profile, tc.section, err, tc.refused)
		case err != nil && !strings.Contains(err.(*hintError).Hint(), "--as"):
			t.Errorf("%s as [%s]: hint %q does not name --as", tc.profile, tc.section, err.(*hintError).Hint())
		}
	}
}

func TestWrittenExpiryReadsTheNoteBack(t *testing.T) {
	exp := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, note, profile string
		token               bool
		ok                  bool
	}{
		{"as written", `temporary credentials for profile "prod", expire 2026-11-22T12:00:00Z`, "prod", true, true},
		{"a profile name with quotes", `temporary credentials for profile "a\"b", expire 2026-11-22T12:00:00Z`, `a"b`, true, true},
		{"written for another profile", `temporary credentials for profile "dev", expire 2026-11-22T12:00:00Z`, "prod", true, false},
		{"keys removed since", `temporary credentials for profile "prod", expire 2026-11-22T12:00:00Z`, "prod", false, false},
		{"not a time", `temporary credentials for profile "prod", expire soon`, "prod", true, false},
		{"someone else's note", `rotated by hand`, "prod", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "credentials")
			data := "[tf]\n# kagi: " + tc.note + "\naws_access_key_id = ASIAX\n"
			if tc.token {
				data += "aws_session_token = tok\n"
			}
			writeFile(t, path, data)
			creds, err := config.Parse(path, config.CredentialsFile, []byte(data))
			if err != nil {
				t.Fatal(err)
			}
			w := &writeRun{files: &config.Files{Credentials: creds}, path: path}
			got, ok := w.writtenExpiry(tc.profile, "tf")
			if ok != tc.ok || ok && !got.Equal(exp) {
				t.Errorf("writtenExpiry = %v, %v; want ok=%v", got, ok, tc.ok)
			}
		})
	}
}

func TestLeftText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		20 * time.Second:                "less than a minute",
		59*time.Minute + 40*time.Second: "1h00m",
		59 * time.Minute:                "59m",
		11*time.Hour + 59*time.Minute:   "11h59m",
	} {
		if got := leftText(d); got != want {
			t.Errorf("leftText(%v) = %q, want %q", d, got, want)
		}
	}
}

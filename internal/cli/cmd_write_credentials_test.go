package cli

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/credsection"
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
		// Without --as, every role profile's own section would be refused.
		{[]string{"--all"}, ExitUsage, writeCredentialsOptions{}},
		{[]string{"--all", "--refresh-before", "10m"}, ExitUsage, writeCredentialsOptions{}},
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

// TestSectionRefusedNamesTheWayOut: a refused section's error says what
// refused it, and the hint the way out, --as.
func TestSectionRefusedNamesTheWayOut(t *testing.T) {
	err := sectionRefused(&credsection.RefusedError{Section: "prod", Profile: "prod", Setting: "role_arn", File: "~/.aws/config", Line: 4, Reason: "ignored"}, "prod")
	if want := `not writing [prod]: profile "prod" sets role_arn (~/.aws/config:4); ignored`; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	var h hinter
	if !errors.As(err, &h) || !strings.Contains(h.Hint(), "--as prod-tf") {
		t.Errorf("hint does not name --as: %v", err)
	}
	var re *credsection.RefusedError
	if !errors.As(err, &re) {
		t.Errorf("the *RefusedError is not kept: %T", err)
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

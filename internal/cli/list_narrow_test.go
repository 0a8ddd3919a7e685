package cli

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kagi-cli/kagi/internal/config"
)

// longConfig is a real organisation's config at its widest: long profile
// names, roles with paths and AWS's longest common role name, a chain of
// two roles, a hardware token, a profile that cannot be used.
const longConfig = `[profile jumpuser]
mfa_serial = arn:aws:iam::111111111111:mfa/jumpuser.with.a.rather.long.name@example.com
region = ap-northeast-1
[profile mycompany-production-organization-admin]
role_arn = arn:aws:iam::444444444444:role/OrganizationAccountAccessRole
source_profile = jumpuser
region = ap-southeast-2
[profile mycompany-production-organization-admin-readonly-auditor]
role_arn = arn:aws:iam::555555555555:role/teams/security/audit/SecurityAuditReadOnlyAccessForExternalAuditors
source_profile = mycompany-production-organization-admin
[profile hardware]
mfa_serial = GAHT12345678
[profile ci]
aws_access_key_id = AKIAEXAMPLEEXAMPLE01
aws_secret_access_key = not-a-real-secret-for-tests-only
[profile broken-with-a-long-name-and-a-long-reason]
role_arn = arn:aws:iam::666666666666:rolle/typo-in-the-resource-type-makes-this-unusable
source_profile = jumpuser
`

func TestListFitsTheTerminal(t *testing.T) {
	dir := t.TempDir()
	cfg := dir + "/config"
	writeFile(t, cfg, longConfig)
	env := map[string]string{"AWS_CONFIG_FILE": cfg, "AWS_SHARED_CREDENTIALS_FILE": dir + "/none"}
	for _, width := range []int{0, 80, 100, 132} {
		io, out, _ := testIO(env)
		io.OutIsTTY = true
		io.OutWidth = func() int { return width }
		if err := (&app{io: io}).runList(context.Background(), listOptions{}); err != nil {
			t.Fatal(err)
		}
		limit := width
		if width == 0 {
			limit = 80 // unknown: an 80-column terminal
		}
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		for _, l := range lines {
			if n := utf8.RuneCountInString(l); n > limit {
				t.Errorf("width %d: %d runes: %q", width, n, l)
			}
		}
		text := out.String()
		for _, want := range []string{
			"PROFILE", "SESSION", // a header
			"mfa/jumpuse", "GAHT12345678", "444444444444:", "+1 555555555555", "cannot be used:",
			"ci (file)", "jumpuser (no", "hardware (n",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("width %d: no %q in\n%s", width, want, text)
			}
		}
		if strings.Contains(text, "arn:aws:iam::444444444444") {
			t.Errorf("width %d: a full role ARN on the terminal:\n%s", width, text)
		}
		if width == 132 && !strings.Contains(text, "jumpuser (no keys)") {
			t.Errorf("a 132-column terminal has room for the whole source:\n%s", text)
		}
		// The reason of the broken profile is all there, wrapped.
		flat := strings.Join(strings.Fields(text), " ")
		if !strings.Contains(flat, `rolle/typo-in-the-resource-type-makes-this-unusable"`) && !strings.Contains(strings.ReplaceAll(text, "\n", ""), "typo-in-the-resource") {
			t.Errorf("width %d: the reason is cut:\n%s", width, text)
		}
	}
}

func TestListWideAndPipeKeepFullARNs(t *testing.T) {
	dir := t.TempDir()
	cfg := dir + "/config"
	writeFile(t, cfg, longConfig)
	env := map[string]string{"AWS_CONFIG_FILE": cfg, "AWS_SHARED_CREDENTIALS_FILE": dir + "/none"}
	for _, tc := range []struct {
		name string
		tty  bool
		opts listOptions
	}{
		{"wide", true, listOptions{Wide: true}},
		{"pipe", false, listOptions{}},
		{"pipe, wide", false, listOptions{Wide: true}},
	} {
		io, out, _ := testIO(env)
		io.OutIsTTY = tc.tty
		if err := (&app{io: io}).runList(context.Background(), tc.opts); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{
			"arn:aws:iam::444444444444:role/OrganizationAccountAccessRole -> arn:aws:iam::555555555555:role/teams/security/audit/SecurityAuditReadOnlyAccessForExternalAuditors",
			"arn:aws:iam::111111111111:mfa/jumpuser.with.a.rather.long.name@example.com", "ap-southeast-2",
		} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s: no %q in\n%s", tc.name, want, out.String())
			}
		}
		if hasHeader := strings.HasPrefix(out.String(), "PROFILE"); hasHeader != tc.tty {
			t.Errorf("%s: header %v, want %v", tc.name, hasHeader, tc.tty)
		}
	}
}

func TestListBrokenProfileIsARowThenAnErrorUnknownIsAnError(t *testing.T) {
	dir := t.TempDir()
	cfg := dir + "/config"
	writeFile(t, cfg, longConfig)
	env := map[string]string{"AWS_CONFIG_FILE": cfg, "AWS_SHARED_CREDENTIALS_FILE": dir + "/none"}

	io, out, _ := testIO(env)
	err := (&app{io: io}).runList(context.Background(), listOptions{Profiles: []string{"broken-with-a-long-name-and-a-long-reason", "ci"}})
	var se *config.SettingError
	if !errors.As(err, &se) || se.Profile != "broken-with-a-long-name-and-a-long-reason" {
		t.Fatalf("a broken profile asked for by name: err = %v, want its *SettingError after the rows", err)
	}
	if !strings.Contains(out.String(), "broken-with-a-long-name-and-a-long-reason\tinvalid: "+cfg) || !strings.Contains(out.String(), "ci\tfile\t") {
		t.Errorf("output:\n%s", out.String())
	}

	io, out, _ = testIO(env)
	err = (&app{io: io}).runList(context.Background(), listOptions{Profiles: []string{"jumpuesr"}})
	var upe *config.UnknownProfileError
	if !errors.As(err, &upe) || upe.Suggestion != "jumpuser" {
		t.Fatalf("unknown profile: err = %v, want an *UnknownProfileError suggesting jumpuser", err)
	}
	if out.Len() != 0 {
		t.Errorf("printed %q", out.String())
	}
}

func TestListSaysWhereItLookedWhenThereAreNoProfiles(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"the default files", map[string]string{"HOME": dir},
			"kagi: no profiles in " + dir + "/.aws/config (no such file) or " + dir + "/.aws/credentials (no such file)\n"},
		{"named by the environment, one empty", map[string]string{"AWS_CONFIG_FILE": dir + "/empty", "AWS_SHARED_CREDENTIALS_FILE": dir + "/missing"},
			"kagi: no profiles in " + dir + "/empty or " + dir + "/missing (no such file)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			writeFile(t, dir+"/empty", "# nothing yet\n")
			for _, tty := range []bool{false, true} {
				io, out, errOut := testIO(tc.env)
				io.OutIsTTY = tty
				if err := (&app{io: io}).runList(context.Background(), listOptions{}); err != nil {
					t.Fatal(err)
				}
				if errOut.String() != tc.want {
					t.Errorf("stderr %q, want %q", errOut.String(), tc.want)
				}
				if tty && strings.TrimSpace(out.String()) != "PROFILE  SOURCE  MFA  ROLE  SESSION" {
					t.Errorf("stdout %q, want the header alone", out.String())
				}
				if !tty && out.Len() != 0 {
					t.Errorf("stdout %q in a pipe", out.String())
				}
			}
		})
	}
}

func TestWrapAndTruncate(t *testing.T) {
	if got := truncate("444444444444:OrganizationAccountAccessRole", 20); got != "444444444444:Organi…" || utf8.RuneCountInString(got) != 20 {
		t.Errorf("truncate = %q", got)
	}
	if got := truncate("short", 20); got != "short" {
		t.Errorf("truncate = %q", got)
	}
	text := `cannot be used: /home/someone/.aws/config:12: profile "x": a/very/long/path/that/does/not/fit/on/one/line/at/all`
	got := wrap(text, 20)
	for _, l := range got {
		if utf8.RuneCountInString(l) > 20 {
			t.Errorf("wrapped line %q longer than 20", l)
		}
	}
	if strings.Join(got, "") != strings.ReplaceAll(text, " ", "") && strings.ReplaceAll(strings.Join(got, ""), " ", "") != strings.ReplaceAll(text, " ", "") {
		t.Errorf("wrap lost text: %q", got)
	}
}

// TestListShowsNoControlCharacters: a config that anyone may have written
// (a shared one, a generated one) reaches the terminal through kagi list
// with its escape sequences and bidi overrides shown as "?", at a terminal
// and in a pipe.
func TestListShowsNoControlCharacters(t *testing.T) {
	dir := t.TempDir()
	cfg := dir + "/config"
	writeFile(t, cfg, "[profile evil\x1b]0;pwned\x07]\nregion = us-east-1\u202e\n[profile ok]\nrole_arn = arn:aws:iam::111111111111:role/x\x9b2J\nsource_profile = evil\x1b]0;pwned\x07\n")
	env := map[string]string{"AWS_CONFIG_FILE": cfg, "AWS_SHARED_CREDENTIALS_FILE": dir + "/none"}
	for _, tty := range []bool{true, false} {
		io, out, _ := testIO(env)
		io.OutIsTTY = tty
		io.OutWidth = func() int { return 200 }
		if err := (&app{io: io}).runList(context.Background(), listOptions{}); err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(out.String(), "\x1b\x07\u202e\u009b") {
			t.Errorf("tty %v: a control character reached the output:\n%q", tty, out.String())
		}
		if !strings.Contains(out.String(), "evil?]0;pwned?") {
			t.Errorf("tty %v: the profile is not shown:\n%q", tty, out.String())
		}
	}
}

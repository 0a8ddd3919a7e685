package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/ssoprofiles"
)

func TestSSOProfilesArgvToOptions(t *testing.T) {
	def := ssoprofiles.DefaultTemplate
	for _, tc := range []struct {
		argv []string
		code int
		want ssoProfilesOptions
	}{
		{nil, ExitOK, ssoProfilesOptions{Template: def, Parallel: 8}},
		{[]string{"--sso-session", "corp", "--json"}, ExitOK, ssoProfilesOptions{Session: "corp", JSON: true, Template: def, Parallel: 8}},
		{[]string{"--write", "--template", "{account_id}-{role_name}", "--region", "eu-west-1"}, ExitOK,
			ssoProfilesOptions{Write: true, Template: "{account_id}-{role_name}", Region: "eu-west-1", RegionSet: true, Parallel: 8}},
		{[]string{"--write", "--region", ""}, ExitOK, ssoProfilesOptions{Write: true, Template: def, RegionSet: true, Parallel: 8}},
		{[]string{"--prune", "--dry-run", "--parallel", "2"}, ExitOK, ssoProfilesOptions{Prune: true, DryRun: true, Template: def, Parallel: 2}},
		{[]string{"--dry-run"}, ExitUsage, ssoProfilesOptions{}},
		{[]string{"--template", "{account_name}-{role}"}, ExitUsage, ssoProfilesOptions{}},
		{[]string{"--template", "{role_name}"}, ExitUsage, ssoProfilesOptions{}},
		{[]string{"--parallel", "0"}, ExitUsage, ssoProfilesOptions{}},
		{[]string{"--write", "--region", "eu west"}, ExitUsage, ssoProfilesOptions{}},
		{[]string{"prod"}, ExitUsage, ssoProfilesOptions{}},
	} {
		t.Run(strings.Join(tc.argv, " "), func(t *testing.T) {
			io, _, _ := testIO(nil)
			a := &app{io: io}
			var got *ssoProfilesOptions
			a.optionsHook = func(o any) error { w := o.(ssoProfilesOptions); got = &w; return nil }
			root := a.rootCommand(nil)
			root.SetArgs(append([]string{"sso", "profiles"}, tc.argv...))
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

// TestSSOProfilesLegacyHintNamesAProfile: without a token for a legacy
// start URL, the hint is the sign-in of a profile that uses it.
func TestSSOProfilesLegacyHintNamesAProfile(t *testing.T) {
	home := t.TempDir()
	io, _, _ := testIO(map[string]string{"HOME": home})
	io.Now = time.Now
	a := &app{io: io}
	f, _ := config.Parse("config", config.ConfigFile, []byte("[profile old]\nsso_start_url = https://legacy.awsapps.com/start\nsso_region = eu-west-1\nsso_account_id = 111111111111\nsso_role_name = Old\n"))
	files := &config.Files{Config: f}
	s := config.SSOSession{StartURL: "https://legacy.awsapps.com/start", Region: "eu-west-1"}
	_, err := a.ssoProfilesToken(t.Context(), files, s)
	var h hinter
	if !errors.As(err, &h) || h.Hint() != "run kagi sso login --profile old" {
		t.Fatalf("err %v, hint %v", err, h)
	}
	if err := os.MkdirAll(filepath.Join(home, ".aws", "sso", "cache"), 0o700); err != nil {
		t.Fatal(err)
	}
	tok := `{"accessToken":"tok1","expiresAt":"` + time.Now().Add(time.Hour).UTC().Format(time.RFC3339) + `"}`
	if err := os.WriteFile(filepath.Join(home, ".aws", "sso", "cache", s.CacheKey()+".json"), []byte(tok), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := a.ssoProfilesToken(t.Context(), files, s); err != nil || got != "tok1" {
		t.Errorf("token %q, %v", got, err)
	}
}

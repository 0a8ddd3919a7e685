package cli

import (
	"context"
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

// TestSSOProfilesTokenFromTheAWSCLICache reads the token cache file as the
// AWS CLI v2 writes it, both expiresAt forms, and refuses one about to
// expire.
func TestSSOProfilesTokenFromTheAWSCLICache(t *testing.T) {
	home := t.TempDir()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	io, _, _ := testIO(map[string]string{"HOME": home})
	io.Now = func() time.Time { return now }
	a := &app{io: io}
	s := config.SSOSession{Name: "corp", StartURL: "https://example.awsapps.com/start", Region: "eu-west-1"}
	dir := filepath.Join(home, ".aws", "sso", "cache")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, s.CacheKey()+".json")
	for _, tc := range []struct {
		content, want string
	}{
		{`{"accessToken":"tok1","expiresAt":"2026-11-29T13:00:00Z","region":"eu-west-1","startUrl":"https://example.awsapps.com/start"}`, "tok1"},
		{`{"accessToken":"tok2","expiresAt":"2026-11-29T13:00:00UTC"}`, "tok2"},
		{`{"accessToken":"tok3","expiresAt":"2026-11-29T12:00:30Z"}`, "has expired"},
		{`{"accessToken":"tok4","expiresAt":"tomorrow"}`, "cannot be read"},
		{`not json`, "cannot be read"},
	} {
		if err := os.WriteFile(file, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := a.ssoProfilesToken(t.Context(), &config.Files{}, s)
		if err != nil {
			got = err.Error()
			if strings.Contains(got, "tok3") || strings.Contains(got, "tok4") {
				t.Errorf("the error shows the token: %v", err)
			}
		}
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.content, got, tc.want)
		}
	}
}

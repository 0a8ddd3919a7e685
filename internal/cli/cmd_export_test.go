package cli

import (
	"strings"
	"testing"

	"github.com/kagi-cli/kagi/internal/config"
)

// TestINISection: export --format ini names its section by
// write-credentials' rules, in environment mode too.
func TestINISection(t *testing.T) {
	parse := func(cfg string) *config.Files {
		t.Helper()
		c, err := config.Parse("~/.aws/config", config.ConfigFile, []byte(cfg))
		if err != nil {
			t.Fatal(err)
		}
		empty, err := config.Parse("~/.aws/credentials", config.CredentialsFile, nil)
		if err != nil {
			t.Fatal(err)
		}
		return &config.Files{Config: c, Credentials: empty}
	}
	roles := parse("[profile jump]\nmfa_serial = arn:aws:iam::111111111111:mfa/jump\n[profile prod]\nrole_arn = arn:aws:iam::333333333333:role/admin\nsource_profile = jump\n[default]\nrole_arn = arn:aws:iam::333333333333:role/admin\ncredential_source = Environment\n")
	for _, tc := range []struct {
		name          string
		files         *config.Files
		profile, as   string
		want, stderr  string
		refusedPrefix string
	}{
		{"a role profile", roles, "prod", "", "prod-kagi", `section [prod-kagi], not [prod]: profile "prod" sets role_arn`, ""},
		{"--as", roles, "prod", "prod-tf", "prod-tf", "", ""},
		{"--as a chain's source", roles, "prod", "jump", "", "", `not naming the section [jump]: profile "prod" names it as source_profile`},
		{"environment mode", parse(""), "", "", "default", "", ""},
		{"environment mode, [default] a role profile", roles, "", "", "default-kagi", `section [default-kagi], not [default]`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			io, _, errOut := testIO(nil)
			a := &app{io: io}
			got, err := a.iniSection(tc.files, tc.profile, tc.as)
			if tc.refusedPrefix != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.refusedPrefix) {
					t.Fatalf("got %q, %v; want a refusal %q", got, err, tc.refusedPrefix)
				}
				if h, ok := err.(hinter); !ok || !strings.Contains(h.Hint(), "--as") {
					t.Errorf("no hint naming --as: %v", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
			if !strings.Contains(errOut.String(), tc.stderr) || tc.stderr == "" && errOut.Len() > 0 {
				t.Errorf("stderr %q, want %q", errOut.String(), tc.stderr)
			}
		})
	}
}

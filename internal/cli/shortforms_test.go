package cli

import (
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/config"
)

func TestShortForms(t *testing.T) {
	for _, tc := range []struct{ in, role, mfa string }{
		{"arn:aws:iam::333333333333:role/admin", "333333333333:admin", "role/admin"},
		{"arn:aws:iam::333333333333:role/teams/platform/deploy", "333333333333:deploy", "role/teams/platform/deploy"},
		{"arn:aws-cn:iam::444444444444:role/OrganizationAccountAccessRole", "444444444444:OrganizationAccountAccessRole", "role/OrganizationAccountAccessRole"},
		{"arn:aws:iam::111111111111:mfa/jumpuser", "arn:aws:iam::111111111111:mfa/jumpuser", "mfa/jumpuser"},
		{"GAHT12345678", "GAHT12345678", "GAHT12345678"},
		{"not-an-arn", "not-an-arn", "not-an-arn"},
		{"arn:aws:iam:::role/x", "arn:aws:iam:::role/x", "arn:aws:iam:::role/x"},
	} {
		if got := shortRole(tc.in); got != tc.role {
			t.Errorf("shortRole(%q) = %q, want %q", tc.in, got, tc.role)
		}
		if got := shortMFA(tc.in); got != tc.mfa {
			t.Errorf("shortMFA(%q) = %q, want %q", tc.in, got, tc.mfa)
		}
	}
	for d, want := range map[time.Duration]string{
		45 * time.Second: "45s", 59*time.Minute + 59*time.Second: "59m", time.Hour: "1h",
		11*time.Hour + 59*time.Minute + 30*time.Second: "11h59m", 12 * time.Hour: "12h", 0: "0s",
	} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestShellLine(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	now := time.Date(2026, 11, 29, 22, 0, 0, 0, tokyo)
	prod := &config.Chain{Profile: "prod", Roles: []config.RoleHop{
		{RoleARN: "arn:aws:iam::222222222222:role/hop"}, {RoleARN: "arn:aws:iam::333333333333:role/admin"},
	}}
	for _, tc := range []struct {
		name  string
		chain *config.Chain
		exp   time.Time
		want  string
	}{
		{"role", prod, now.Add(59*time.Minute + 30*time.Second).UTC(),
			`kagi: profile "prod", role 333333333333:admin, until 22:59 JST (59m left); exit the shell to leave`},
		{"session only", &config.Chain{Profile: "jumpuser"}, now.Add(12 * time.Hour),
			`kagi: profile "jumpuser", until 10:00 JST (12h left); exit the shell to leave`},
		{"long-term keys", &config.Chain{Profile: "ci"}, time.Time{},
			`kagi: profile "ci", long-term keys that do not expire; exit the shell to leave`},
		{"environment", &config.Chain{Roles: []config.RoleHop{{RoleARN: "arn:aws:iam::333333333333:role/deploy"}}}, now.Add(time.Hour),
			`kagi: environment credentials, role 333333333333:deploy, until 23:00 JST (1h left); exit the shell to leave`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := shellLine(tc.chain, tc.exp, now)
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if n := len([]rune(got)); n > 120 {
				t.Errorf("%d runes: not one short line", n)
			}
		})
	}
}

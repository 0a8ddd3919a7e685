package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/console"
)

func TestLoginArgvToOptions(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want any
		code int
	}{
		{[]string{"login"}, loginOptions{}, ExitOK},
		{[]string{"login", "prod", "--stdout"}, loginOptions{Profile: "prod", Stdout: true}, ExitOK},
		{[]string{"login", "prod", "--region", "eu-west-1", "--destination", "/ec2/home", "--duration", "2h"},
			loginOptions{Profile: "prod", Region: "eu-west-1", Destination: "/ec2/home", Duration: 2 * time.Hour}, ExitOK},
		{[]string{"login", "prod", "--no-session", "--mfa-token", "123456", "--prompt", "terminal"},
			loginOptions{Profile: "prod", NoSession: true, MFAToken: "123456", Prompt: "terminal"}, ExitOK},
		{[]string{"login", "a", "b"}, nil, ExitUsage},
		{[]string{"login", "--duration", "14m"}, nil, ExitUsage},
		{[]string{"login", "--duration", "0s"}, nil, ExitUsage},
		{[]string{"login", "--prompt", "carrier-pigeon"}, nil, ExitUsage},
		{[]string{"login", "--role-arn", "arn:aws:iam::1:role/x"}, nil, ExitUsage},
	} {
		t.Run(strings.Join(tc.argv, " "), func(t *testing.T) {
			io, _, _ := testIO(nil)
			a := &app{io: io}
			var got any
			a.optionsHook = func(o any) error { got = o; return nil }
			root := a.rootCommand(tc.argv)
			root.SetArgs(tc.argv)
			if code := report(io.Err, root.ExecuteContext(context.Background())); code != tc.code {
				t.Fatalf("exit code %d, want %d", code, tc.code)
			}
			if tc.code == ExitOK && fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", tc.want) {
				t.Errorf("options = %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

// What the federation endpoint will make of each kind of chain, which
// decides what --duration may be.
func TestLoginKind(t *testing.T) {
	keys := config.Source{Kind: config.KeyringKeys, Profile: "jump"}
	role := config.RoleHop{RoleARN: "arn:aws:iam::222222222222:role/admin"}
	mfa := &config.MFASession{Serial: "arn:aws:iam::111111111111:mfa/jump"}
	noEnv := func(string) (string, bool) { return "", false }
	withToken := func(k string) (string, bool) { return "token", k == "AWS_SESSION_TOKEN" }
	for _, tc := range []struct {
		name  string
		chain config.Chain
		env   func(string) (string, bool)
		want  console.Kind
	}{
		{"user without a role", config.Chain{Source: keys, MFA: mfa}, noEnv, console.Federation},
		{"keys in the environment", config.Chain{Source: config.Source{Kind: config.Environment}}, noEnv, console.Federation},
		{"session in the environment", config.Chain{Source: config.Source{Kind: config.Environment}}, withToken, console.Temporary},
		{"temporary keys in the file", config.Chain{Source: config.Source{Kind: config.SharedKeys, Temporary: true}}, noEnv, console.Temporary},
		{"credential_process", config.Chain{Source: config.Source{Kind: config.Process}}, noEnv, console.Temporary},
		{"Identity Center", config.Chain{Source: config.Source{Kind: config.SSO}}, noEnv, console.SSO},
		{"role from the MFA session", config.Chain{Source: keys, MFA: mfa, Roles: []config.RoleHop{role}}, noEnv, console.Chained},
		{"role from the keys (--no-session)", config.Chain{Source: keys, Roles: []config.RoleHop{role}}, noEnv, console.Role},
		{"role from environment keys", config.Chain{Source: config.Source{Kind: config.Environment}, Roles: []config.RoleHop{role}}, noEnv, console.Role},
		{"role from an environment session", config.Chain{Source: config.Source{Kind: config.Environment}, Roles: []config.RoleHop{role}}, withToken, console.Chained},
		{"role from a web identity", config.Chain{Source: config.Source{Kind: config.WebIdentity}, Roles: []config.RoleHop{role}}, noEnv, console.Role},
		{"two roles", config.Chain{Source: keys, Roles: []config.RoleHop{role, role}}, noEnv, console.Chained},
		{"role from Identity Center", config.Chain{Source: config.Source{Kind: config.SSO}, Roles: []config.RoleHop{role}}, noEnv, console.Chained},
	} {
		if got := loginKind(&tc.chain, tc.env); got != tc.want {
			t.Errorf("%s: kind %d, want %d", tc.name, got, tc.want)
		}
	}
}

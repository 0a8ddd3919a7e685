package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kagi-cli/kagi/internal/config"
)

func TestServerArgvToOptions(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want any
		code int
	}{
		{[]string{"server", "prod"}, serverOptions{Profile: "prod"}, ExitOK},
		{[]string{"server", "--ec2", "prod", "--region", "eu-west-1"}, serverOptions{Profile: "prod", EC2: true, Creds: credFlags{Region: "eu-west-1"}}, ExitOK},
		{[]string{"server"}, serverOptions{}, ExitOK},
		{[]string{"server", "a", "b"}, nil, ExitUsage},
		{[]string{"exec", "--server", "prod", "--", "terraform", "apply"}, execOptions{Profile: "prod", Command: []string{"terraform", "apply"}, Server: true}, ExitOK},
	} {
		t.Run(strings.Join(tc.argv, " "), func(t *testing.T) {
			io, _, _ := testIO(nil)
			a := &app{io: io}
			var got any
			a.optionsHook = func(o any) error { got = o; return nil }
			root := a.rootCommand(nil)
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

func TestServerChildEnv(t *testing.T) {
	parent := []string{
		"PATH=/bin", "KAGI_FILE_PASSPHRASE=pw", "KAGI_MFA_TOKEN=123456", "AWS_ACCESS_KEY_ID=AKIAPARENT", "AWS_SECRET_ACCESS_KEY=parent", "AWS_SESSION_TOKEN=ptok",
		"AWS_PROFILE=p", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/x", "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://old/",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN=old", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=/var/run/token",
		"AWS_CREDENTIAL_EXPIRATION=2020-01-01T00:00:00Z", "KAGI_PROFILE=x",
	}
	got := serverChildEnv(parent, "http://127.0.0.1:4242/", "tok", "eu-west-1", "prod")
	want := []string{
		"PATH=/bin", "AWS_REGION=eu-west-1", "AWS_DEFAULT_REGION=eu-west-1", "KAGI_PROFILE=prod",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:4242/", "AWS_CONTAINER_AUTHORIZATION_TOKEN=tok",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("serverChildEnv:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestIMDSRoleName(t *testing.T) {
	for _, tc := range []struct {
		roles []config.RoleHop
		want  string
	}{
		{nil, "kagi"},
		{[]config.RoleHop{{RoleARN: "arn:aws:iam::1:role/a"}, {RoleARN: "arn:aws:iam::2:role/path/to/deploy"}}, "deploy"},
	} {
		if got := imdsRoleName(&config.Chain{Roles: tc.roles}); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.roles, got, tc.want)
		}
	}
}

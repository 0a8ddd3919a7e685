package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/creds"
)

func TestRunChildPassesExitCodes(t *testing.T) {
	for _, tc := range []struct {
		script string
		code   int // 0: no error
	}{
		{"exit 0", 0},
		{"exit 3", 3},
		{"kill -TERM $$", 128 + 15},
		{"kill -KILL $$", 128 + 9},
	} {
		t.Run(tc.script, func(t *testing.T) {
			err := runChild(context.Background(), []string{"/bin/sh", "-c", tc.script}, os.Environ())
			var ee *exitError
			switch {
			case tc.code == 0 && err != nil:
				t.Fatalf("got %v, want success", err)
			case tc.code != 0 && (!errors.As(err, &ee) || ee.code != tc.code):
				t.Fatalf("got %v, want exit code %d", err, tc.code)
			}
		})
	}
}

func TestRunChildMissingProgram(t *testing.T) {
	err := runChild(context.Background(), []string{"/nonexistent/program"}, nil)
	var ee *exitError
	if err == nil || errors.As(err, &ee) || !strings.Contains(err.Error(), `cannot run "/nonexistent/program"`) {
		t.Fatalf("got %v, want a start error naming the program", err)
	}
	if code := report(io.Discard, &runError{err}); code != ExitNotFound {
		t.Fatalf("exit code %d, want %d as shells give", code, ExitNotFound)
	}
}

func TestChildEnv(t *testing.T) {
	exp := time.Date(2026, 11, 22, 1, 2, 3, 0, time.FixedZone("JST", 9*3600))
	parent := []string{
		"PATH=/bin", "HOME=/h", "KAGI_FILE_PASSPHRASE=pw", "KAGI_BACKEND=file", "KAGI_MFA_TOKEN=123456",
		"AWS_ACCESS_KEY_ID=AKIAPARENT", "AWS_SECRET_ACCESS_KEY=parent",
		"AWS_SESSION_TOKEN=ptok", "AWS_SECURITY_TOKEN=old", "AWS_PROFILE=p", "AWS_DEFAULT_PROFILE=p",
		"AWS_ROLE_ARN=arn", "AWS_ROLE_SESSION_NAME=s", "AWS_WEB_IDENTITY_TOKEN_FILE=/t",
		"AWS_CREDENTIAL_FILE=/c", "AWS_SDK_LOAD_CONFIG=1", "AWS_REGION=eu-west-1", "KAGI_PROFILE=x",
	}
	c := creds.Credentials{AccessKeyID: "ASIANEW", SecretAccessKey: "new", SessionToken: "tok", Expiration: exp}
	for _, tc := range []struct {
		name, region, profile string
		want                  []string
	}{
		{"profile with region", "us-east-1", "prod", []string{
			"PATH=/bin", "HOME=/h", "KAGI_BACKEND=file", "AWS_ACCESS_KEY_ID=ASIANEW", "AWS_SECRET_ACCESS_KEY=new", "AWS_SESSION_TOKEN=tok",
			"AWS_CREDENTIAL_EXPIRATION=2026-11-21T16:02:03Z", "AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1", "KAGI_PROFILE=prod"}},
		{"environment mode keeps the parent's region", "", "", []string{
			"PATH=/bin", "HOME=/h", "KAGI_BACKEND=file", "AWS_REGION=eu-west-1", "AWS_ACCESS_KEY_ID=ASIANEW", "AWS_SECRET_ACCESS_KEY=new", "AWS_SESSION_TOKEN=tok",
			"AWS_CREDENTIAL_EXPIRATION=2026-11-21T16:02:03Z", "KAGI_PROFILE=env"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := childEnv(parent, c, tc.region, tc.profile)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("childEnv:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"ASIA123":      "ASIA123",
		"a/b+c=":       "a/b+c=",
		"":             "''",
		"it's":         `'it'\''s'`,
		"$(rm -rf /)":  "'$(rm -rf /)'",
		"two words":    "'two words'",
		"tok\nnewline": "'tok\nnewline'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCredentialCommandsArgvToOptions(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want any
		code int
	}{
		{[]string{"exec", "prod", "--", "aws", "--version"}, execOptions{Profile: "prod", Command: []string{"aws", "--version"}}, ExitOK},
		{[]string{"exec", "--duration", "2h", "-u", "--", "true"}, execOptions{Command: []string{"true"}, Creds: credFlags{Duration: 2 * time.Hour, UsernameSession: true}}, ExitOK},
		{[]string{"exec", "prod", "--no-session", "--mfa-token", "123456", "--region", "eu-west-1", "--role-arn", "arn:aws:iam::1:role/x", "--external-id", "e", "--session-name", "s"},
			execOptions{Profile: "prod", Command: []string{}, Creds: credFlags{NoSession: true, MFAToken: "123456", Region: "eu-west-1", RoleARN: "arn:aws:iam::1:role/x", ExternalID: "e", SessionName: "s"}}, ExitOK},
		{[]string{"exec", "--duration", "soon"}, nil, ExitUsage},
		// From the command's name on, every argument is the command's.
		{[]string{"exec", "prod", "aws", "sts", "get-caller-identity", "--query", "Arn"},
			execOptions{Profile: "prod", Command: []string{"aws", "sts", "get-caller-identity", "--query", "Arn"}}, ExitOK},
		{[]string{"exec", "prod", "echo", "-u", "--region", "x", "--server", "--", "y"},
			execOptions{Profile: "prod", Command: []string{"echo", "-u", "--region", "x", "--server", "--", "y"}}, ExitOK},
		{[]string{"exec", "--region", "r", "prod", "-u", "--server", "echo", "-u"},
			execOptions{Profile: "prod", Command: []string{"echo", "-u"}, Creds: credFlags{Region: "r", UsernameSession: true}, Server: true}, ExitOK},
		{[]string{"exec", "prod", "--region", "r", "--", "-dash-named", "-a"},
			execOptions{Profile: "prod", Command: []string{"-dash-named", "-a"}, Creds: credFlags{Region: "r"}}, ExitOK},
		{[]string{"exec", "--", "prod", "-u"}, execOptions{Command: []string{"prod", "-u"}}, ExitOK},
		{[]string{"exec"}, execOptions{Command: []string{}}, ExitOK},
		{[]string{"exec", "prod", "--bogus", "echo"}, nil, ExitUsage},
		{[]string{"exec", "prod", "--duration"}, nil, ExitUsage},
		{[]string{"exec", "--profiles", "a", "terraform", "plan", "--json"},
			execOptions{Command: []string{"terraform", "plan", "--json"}, Many: manyOptions{Patterns: []string{"a"}, Parallel: 8, Command: []string{"terraform", "plan", "--json"}}}, ExitOK},
		{[]string{"exec", "--all-roles"}, nil, ExitUsage},
		{[]string{"exec", "prod", "--all-roles", "true"}, nil, ExitUsage},
		{[]string{"export", "prod", "--format", "ini"}, exportOptions{Profile: "prod", Format: "ini"}, ExitOK},
		{[]string{"export"}, exportOptions{Format: "env"}, ExitOK},
		{[]string{"export", "a", "b"}, nil, ExitUsage},
		{[]string{"credential-process", "prod", "--mfa-token", "123456"}, credentialProcessOptions{Profile: "prod", Creds: credFlags{MFAToken: "123456"}}, ExitOK},
		{[]string{"add", "jump", "--import"}, addOptions{Profile: "jump", Import: true}, ExitOK},
		{[]string{"remove", "jump", "-y"}, removeOptions{Profile: "jump", Yes: true}, ExitOK},
		{[]string{"clear"}, clearOptions{}, ExitOK},
		{[]string{"exec", "--profiles", "prod-*,dev", "--parallel", "3", "--json", "--", "terraform", "plan"},
			execOptions{Command: []string{"terraform", "plan"}, Many: manyOptions{Patterns: []string{"prod-*", "dev"}, Parallel: 3, JSON: true, Command: []string{"terraform", "plan"}}}, ExitOK},
		{[]string{"exec", "--all-roles", "--", "true"}, execOptions{Command: []string{"true"}, Many: manyOptions{AllRoles: true, Parallel: 8, Command: []string{"true"}}}, ExitOK},
		{[]string{"exec", "prod", "--parallel", "3", "--", "true"}, nil, ExitUsage},
		{[]string{"exec", "--all-roles", "--server", "--", "true"}, nil, ExitUsage},
	} {
		// The whole tree (nil) and the one-command tree Main builds for
		// these args must parse them alike.
		for _, tree := range [][]string{nil, tc.argv} {
			t.Run(fmt.Sprintf("%s/tree=%d", strings.Join(tc.argv, " "), len(tree)), func(t *testing.T) {
				io, _, _ := testIO(nil)
				a := &app{io: io}
				var got any
				a.optionsHook = func(o any) error { got = o; return nil }
				root := a.rootCommand(tree)
				root.SetArgs(tc.argv)
				root.SetOut(io.Out)
				root.SetErr(io.Err)
				if code := report(io.Err, root.ExecuteContext(context.Background())); code != tc.code {
					t.Fatalf("exit code %d, want %d", code, tc.code)
				}
				if tc.code == ExitOK && fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", tc.want) {
					t.Errorf("options = %#v\nwant %#v", got, tc.want)
				}
			})
		}
	}
}

func TestSelectProfiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/config", `[profile jump]
[profile prod-a]
role_arn = arn:aws:iam::111111111111:role/a
source_profile = jump
[profile prod-b]
role_arn = arn:aws:iam::222222222222:role/b
source_profile = jump
[profile dev]
role_arn = arn:aws:iam::333333333333:role/d
source_profile = jump
`)
	env := config.MapEnv(map[string]string{"HOME": dir, "AWS_CONFIG_FILE": dir + "/config", "AWS_SHARED_CREDENTIALS_FILE": dir + "/none"})
	files, err := config.Load(env)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		opts manyOptions
		want string
		err  string
	}{
		{manyOptions{Patterns: []string{"prod-*"}}, "prod-a,prod-b", ""},
		{manyOptions{Patterns: []string{"dev", "prod-b", "prod-*"}}, "dev,prod-a,prod-b", ""},
		{manyOptions{AllRoles: true}, "dev,prod-a,prod-b", ""},
		{manyOptions{Patterns: []string{"stage-*"}}, "", `"stage-*" matches no profile`},
		{manyOptions{Patterns: []string{"[bad"}}, "", "bad pattern"},
	} {
		got, err := selectProfiles(files, env, tc.opts)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%+v: err %v, want %q", tc.opts, err, tc.err)
			}
			continue
		}
		if err != nil || strings.Join(got, ",") != tc.want {
			t.Errorf("%+v: %q, %v; want %q", tc.opts, got, err, tc.want)
		}
	}
}

func TestPlainCommand(t *testing.T) {
	for args, want := range map[string]string{
		"":                             "",
		"credential-process prod":      "credential-process",
		"exec prod -- aws --help":      "exec",
		"exec prod --help":             "",
		"help exec":                    "",
		"-h":                           "",
		"--debug credential-process p": "--debug",
	} {
		if got := plainCommand(strings.Fields(args)); got != want {
			t.Errorf("plainCommand(%q) = %q, want %q", args, got, want)
		}
	}
}

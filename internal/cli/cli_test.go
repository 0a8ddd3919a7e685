package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/config"
)

// testIO is an IO with buffers and a map for the environment, made
// hermetic: see hermetic.
func testIO(env map[string]string) (*IO, *bytes.Buffer, *bytes.Buffer) {
	env = hermetic(env)
	var out, errOut bytes.Buffer
	return &IO{
		In:        strings.NewReader(""),
		Out:       &out,
		Err:       &errOut,
		LookupEnv: config.MapEnv(env),
		Environ: func() []string {
			var kv []string
			for k, v := range env {
				kv = append(kv, k+"="+v)
			}
			return kv
		},
		Now: time.Now,
	}, &out, &errOut
}

func TestReportMapsErrorsToExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		err      error
		code     int
		wantErr  string
		wantHint string
	}{
		{"nil", nil, ExitOK, "", ""},
		{"runtime error", &runError{errors.New("boom")}, ExitError, "kagi: error: boom\n", ""},
		{"runtime error with hint", &runError{fmt.Errorf("wrapped: %w", &config.UnknownProfileError{Name: "prdo", Suggestion: "prod"})}, ExitError,
			"kagi: error: wrapped: ", "kagi: hint: "},
		{"usage error", usageErrorf("bad flag"), ExitUsage, "kagi: error: bad flag\n", "kagi: hint: run 'kagi --help' for usage\n"},
		{"cobra's own error", errors.New(`unknown command "x" for "kagi"`), ExitUsage, "kagi: error: unknown command", "run 'kagi --help'"},
		{"cobra's suggestion, on one line", errors.New("unknown command \"exce\" for \"kagi\"\n\nDid you mean this?\n\texec\n"), ExitUsage,
			"kagi: error: unknown command \"exce\" for \"kagi\"; did you mean \"exec\"?\nkagi: hint: ", ""},
		{"usage error in a command", &inCommand{usageErrorf("bad flag"), "kagi exec"}, ExitUsage, "kagi: error: bad flag\n", "kagi: hint: run 'kagi exec --help' for usage\n"},
		{"cobra's error in a command", &inCommand{errors.New("accepts 1 arg(s), received 0"), "kagi credential-process"}, ExitUsage, "", "kagi: hint: run 'kagi credential-process --help' for usage\n"},
		{"runtime error in a command", &inCommand{&runError{errors.New("boom")}, "kagi exec"}, ExitError, "kagi: error: boom\n", ""},
		// An error quoting a hostile config value or path reaches the
		// terminal without its escape sequences.
		{"hostile text", &runError{fmt.Errorf("profile %s: no\x1b]0;pwned\x07 \u202ehere", "x\x9b2J")}, ExitError,
			"kagi: error: profile x?2J: no?]0;pwned? ?here\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if got := report(&buf, tc.err); got != tc.code {
				t.Errorf("exit code = %d, want %d", got, tc.code)
			}
			if !strings.Contains(buf.String(), tc.wantErr) || !strings.Contains(buf.String(), tc.wantHint) {
				t.Errorf("stderr = %q, want %q and %q", buf.String(), tc.wantErr, tc.wantHint)
			}
			if tc.err == nil && buf.Len() != 0 {
				t.Errorf("success printed %q", buf.String())
			}
		})
	}
}

func TestListArgvToOptions(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want listOptions
		code int
	}{
		{[]string{"list"}, listOptions{}, ExitOK},
		{[]string{"list", "--json"}, listOptions{JSON: true}, ExitOK},
		{[]string{"list", "--wide"}, listOptions{Wide: true}, ExitOK},
		{[]string{"ls", "a", "b"}, listOptions{Profiles: []string{"a", "b"}}, ExitOK},
		{[]string{"list", "--jsn"}, listOptions{}, ExitUsage},
	} {
		t.Run(strings.Join(tc.argv, " "), func(t *testing.T) {
			io, _, _ := testIO(nil)
			a := &app{io: io}
			var got *listOptions
			a.optionsHook = func(o any) error { lo := o.(listOptions); got = &lo; return nil }
			root := a.rootCommand(nil)
			root.SetArgs(tc.argv)
			root.SetOut(io.Out)
			root.SetErr(io.Err)
			code := report(io.Err, root.ExecuteContext(context.Background()))
			if code != tc.code {
				t.Fatalf("exit code %d, want %d", code, tc.code)
			}
			if tc.code != ExitOK {
				return
			}
			if got == nil {
				t.Fatal("list did not run")
			}
			if got.JSON != tc.want.JSON || got.Wide != tc.want.Wide || strings.Join(got.Profiles, ",") != strings.Join(tc.want.Profiles, ",") {
				t.Errorf("options = %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestListOutput(t *testing.T) {
	dir := t.TempDir()
	cfg := dir + "/config"
	writeFile(t, cfg, `[profile jump]
mfa_serial = arn:aws:iam::111111111111:mfa/jumpuser
[profile prod]
role_arn = arn:aws:iam::333333333333:role/admin
source_profile = jump
region = us-east-1
[profile broken]
role_arn = not-an-arn
source_profile = jump
`)
	env := map[string]string{"HOME": dir, "AWS_CONFIG_FILE": cfg, "AWS_SHARED_CREDENTIALS_FILE": dir + "/none"}

	for _, tc := range []struct {
		name string
		opts listOptions
		tty  bool
		want []string
	}{
		{"pipe", listOptions{}, false, []string{
			"broken\tinvalid: " + cfg + ":8: ",
			"jump\tkeyring\tarn:aws:iam::111111111111:mfa/jumpuser\t-\t-\t-\t-\n",
			"prod\tkeyring (jump)\tarn:aws:iam::111111111111:mfa/jumpuser\tarn:aws:iam::333333333333:role/admin\tus-east-1\t-\t-\n",
		}},
		{"terminal", listOptions{}, true, []string{
			"PROFILE  SOURCE          MFA           ROLE                SESSION\n",
			"jump     jump (no keys)  mfa/jumpuser  -                   -\n",
			"prod     jump (no keys)  mfa/jumpuser  333333333333:admin  -\n",
			"broken   cannot be used: " + cfg[:min(len(cfg), 40)],
		}},
		{"terminal, wide", listOptions{Wide: true}, true, []string{"PROFILE  ", "prod     ", "keyring (jump)", "arn:aws:iam::333333333333:role/admin", "us-east-1"}},
		{"json, wide", listOptions{JSON: true, Wide: true}, false, []string{`"role_arn": "arn:aws:iam::333333333333:role/admin"`}},
		{"json", listOptions{JSON: true}, false, []string{
			`"name": "prod"`, `"region": "us-east-1"`, `"kind": "keyring"`, `"duration_seconds": 43200`,
			`"role_arn": "arn:aws:iam::333333333333:role/admin"`, `"error": "` + cfg + `:8: `,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			io, out, _ := testIO(env)
			io.OutIsTTY = tc.tty
			if err := (&app{io: io}).runList(context.Background(), tc.opts); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

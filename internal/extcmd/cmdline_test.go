package extcmd

import (
	"slices"
	"strings"
	"testing"
)

// The cases of botocore's own test of compat_shell_split on win32
// (tests/unit/test_compat.py), Microsoft's four examples among them, and
// the forms a credential_process line takes on Windows.
func TestSplitWindowsCommandLineAsTheAWSCLI(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{``, nil},
		{`spam \\`, []string{`spam`, `\\`}},
		{`spam `, []string{`spam`}},
		{` spam`, []string{`spam`}},
		{"spam eggs", []string{"spam", "eggs"}},
		{"spam\teggs", []string{"spam", "eggs"}},
		{"spam\neggs", []string{"spam\neggs"}},
		{`""`, []string{""}},
		{`" "`, []string{" "}},
		{"\"\t\"", []string{"\t"}},
		{`\\`, []string{`\\`}},
		{`\\ `, []string{`\\`}},
		{"\\\\\t", []string{`\\`}},
		{`\"`, []string{`"`}},
		{`"abc" d e`, []string{`abc`, `d`, `e`}},
		{`a\\b d"e f"g h`, []string{`a\\b`, `de fg`, `h`}},
		{`a\\\"b c d`, []string{`a\"b`, `c`, `d`}},
		{`a\\\\"b c" d e`, []string{`a\\b c`, `d`, `e`}},
		// credential_process lines.
		{`"C:\Program Files\Helper\helper.exe" --profile "dev team" -v`, []string{`C:\Program Files\Helper\helper.exe`, `--profile`, `dev team`, `-v`}},
		{`C:\tools\kagi.exe credential-process prod`, []string{`C:\tools\kagi.exe`, `credential-process`, `prod`}},
		{`helper --dir "C:\out dir\\"`, []string{`helper`, `--dir`, `C:\out dir\`}},
		{`a "" b`, []string{"a", "", "b"}},
		{`x 'single quotes' y`, []string{"x", "'single", "quotes'", "y"}},
		{`oathtool --totp -b SEED & echo`, []string{"oathtool", "--totp", "-b", "SEED", "&", "echo"}},
	} {
		got, err := splitWindowsCommandLine(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("splitWindowsCommandLine(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{`"`, `helper "--seed SECRET`, `a\\"b`} {
		got, err := splitWindowsCommandLine(in)
		if err == nil {
			t.Errorf("splitWindowsCommandLine(%q) = %q; want an error", in, got)
		} else if strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "helper") {
			t.Errorf("splitWindowsCommandLine(%q): error %q quotes the line", in, err)
		}
	}
}

func TestShellArgv(t *testing.T) {
	for _, tc := range []struct {
		goos, line string
		path       string
		args       []string
		err        bool
	}{
		{"linux", `oathtool --totp -b "$SEED"`, "/bin/sh", []string{"-c", `oathtool --totp -b "$SEED"`}, false},
		{"darwin", `~/bin/helper`, "/bin/sh", []string{"-c", `~/bin/helper`}, false},
		{"windows", `"C:\Program Files\h.exe" --x "a b"`, `C:\Program Files\h.exe`, []string{"--x", "a b"}, false},
		{"windows", `h.exe`, `h.exe`, []string{}, false},
		{"windows", `   `, "", nil, true},
		{"windows", `h.exe "unclosed`, "", nil, true},
	} {
		path, args, err := shellArgv(tc.goos, tc.line)
		if (err != nil) != tc.err || path != tc.path || !slices.Equal(args, tc.args) {
			t.Errorf("shellArgv(%s, %q) = %q, %q, %v; want %q, %q (error %v)", tc.goos, tc.line, path, args, err, tc.path, tc.args, tc.err)
		}
	}
}

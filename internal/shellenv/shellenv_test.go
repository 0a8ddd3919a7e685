package shellenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// needShell skips a test of a shell that is not installed, except under
// KAGI_INTEROP_REQUIRED (CI installs bash, zsh and fish), where it fails.
// PowerShell installs from no registry this machine reaches: it is tested
// as text, and skips even there.
func needShell(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("KAGI_INTEROP_REQUIRED") != "" && name != "pwsh" {
			t.Fatalf("%s is not installed (KAGI_INTEROP_REQUIRED is set)", name)
		}
		t.Skipf("%s is not installed", name)
	}
}

// hostile are values no quoting may change or run: quotes of every kind,
// expansions, escapes, separators, a newline, fish's and PowerShell's own
// specials and its typographic quotes.
var hostile = []string{
	"plain",
	"",
	`it's`,
	`'`,
	`''`,
	`'\''`,
	`"double" and $HOME and $(touch pwned) and ` + "`touch pwned`",
	`back\slash\\ and \'`,
	`semi; colon & amp | pipe > gt < lt`,
	"new\nline",
	"tab\tand space  ",
	`fish (command) {brace,es} *glob* ~tilde $var[1]`,
	`ps $env:HOME @(1) ` + "`n" + ` ‘smart’ ‚low‛ “dq”`,
	"ünïcödé 鍵",
	"!history !! !$",
	"%prompt%s",
	// KAGI_USE_SAVED: the values kagi use --clear restores, as JSON.
	`{"AWS_PROFILE":"it's \"me\"","AWS_REGION":"$(touch pwned)\u003c"}`,
}

// TestScriptRoundTrip evaluates Script's code in each shell that is
// installed and compares every variable with what was set, byte for byte;
// an Unset variable must be gone. A value that ran a command would leave
// the file "pwned".
func TestScriptRoundTrip(t *testing.T) {
	for _, sh := range []struct {
		shell Shell
		argv  []string
		// print prints NAME's value between markers, or "<unset>".
		print func(name string) string
	}{
		{Bash, []string{"bash", "--norc", "--noprofile", "-c"}, posixPrint},
		{Zsh, []string{"zsh", "-f", "-c"}, posixPrint},
		{Fish, []string{"fish", "--no-config", "-c"}, func(n string) string {
			return "if set -q " + n + "; printf '<%s>\\n' \"$" + n + "\"; else; echo '<unset>'; end\n"
		}},
		{PowerShell, []string{"pwsh", "-NoProfile", "-NonInteractive", "-Command"}, func(n string) string {
			return "if (Test-Path Env:" + n + ") { [Console]::Out.Write('<' + $env:" + n + " + \">`n\") } else { [Console]::Out.Write(\"<unset>`n\") }\n"
		}},
	} {
		t.Run(string(sh.shell), func(t *testing.T) {
			needShell(t, sh.argv[0])
			dir := t.TempDir()
			var c Change
			c.Unset = []string{"KAGI_GONE"}
			var want strings.Builder
			for i, v := range hostile {
				if sh.shell == PowerShell && v == "" {
					continue // PowerShell removes a variable set to ''
				}
				c.Set = append(c.Set, Var{Name: name(i), Value: v})
			}
			code := sh.shell.Script(c)
			var prog strings.Builder
			prog.WriteString(code)
			prog.WriteString(sh.print("KAGI_GONE"))
			want.WriteString("<unset>\n")
			for _, v := range c.Set {
				prog.WriteString(sh.print(v.Name))
				want.WriteString("<" + v.Value + ">\n")
			}
			cmd := exec.Command(sh.argv[0], append(sh.argv[1:], prog.String())...)
			cmd.Dir = dir
			cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "KAGI_GONE=here"}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s\ncode:\n%s", err, out, code)
			}
			if got := strings.ReplaceAll(string(out), "\r\n", "\n"); got != want.String() {
				t.Errorf("values read back differ\ngot:\n%s\nwant:\n%s\ncode:\n%s", got, want.String(), code)
			}
			if _, err := exec.Command("test", "-e", dir+"/pwned").CombinedOutput(); err == nil {
				t.Errorf("a value ran a command")
			}
		})
	}
}

func posixPrint(n string) string {
	return "if [ -n \"${" + n + "+x}\" ]; then printf '<%s>\\n' \"$" + n + "\"; else echo '<unset>'; fi\n"
}

func name(i int) string { return "KAGI_T" + string(rune('A'+i)) }

func TestQuote(t *testing.T) {
	for _, tc := range []struct {
		sh   Shell
		in   string
		want string
	}{
		{Bash, `it's`, `'it'\''s'`},
		{Zsh, `a`, `'a'`},
		{Fish, `it's \ x`, `'it\'s \\ x'`},
		{PowerShell, `it's ‘x’`, `'it''s ‘‘x’’'`},
	} {
		if got := tc.sh.Quote(tc.in); got != tc.want {
			t.Errorf("%s.Quote(%q) = %s, want %s", tc.sh, tc.in, got, tc.want)
		}
	}
}

func TestParse(t *testing.T) {
	for _, n := range Shells() {
		if sh, err := Parse(n); err != nil || string(sh) != n {
			t.Errorf("Parse(%q) = %q, %v", n, sh, err)
		}
	}
	if sh, _ := Parse("pwsh"); sh != PowerShell {
		t.Errorf("pwsh is %q", sh)
	}
	if _, err := Parse("tcsh"); err == nil || !strings.Contains(err.Error(), `"tcsh"`) {
		t.Errorf("tcsh: %v", err)
	}
}

// TestInitParses checks each installed shell reads Init's code without a
// syntax error, with and without the prompt.
func TestInitParses(t *testing.T) {
	for _, tc := range []struct {
		sh   Shell
		argv []string
	}{
		{Bash, []string{"bash", "-n"}},
		{Zsh, []string{"zsh", "-n"}},
		{Fish, []string{"fish", "--no-execute"}},
	} {
		t.Run(string(tc.sh), func(t *testing.T) {
			needShell(t, tc.argv[0])
			for _, prompt := range []bool{false, true} {
				cmd := exec.Command(tc.argv[0], tc.argv[1:]...)
				cmd.Stdin = strings.NewReader(tc.sh.Init(prompt))
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("%s (prompt %v): %v\n%s", tc.sh, prompt, err, out)
				}
			}
		})
	}
}

// zsh expands % sequences in PROMPT after the segment is substituted: the
// segment is escaped, so a profile named with a % shows as it is.
func TestZshPromptShowsAPercentAsItIs(t *testing.T) {
	needShell(t, "zsh")
	dir := t.TempDir()
	fake := dir + "/kagi"
	// A stand-in for `kagi prompt`, which prints what its environment says.
	if err := os.WriteFile(fake, []byte("#!/bin/sh\nprintf '%s 5m\\n' \"$KAGI_PROFILE\"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	script := Zsh.Init(true) + "\nprint -rP -- \"$PROMPT\"\n"
	cmd := exec.Command("zsh", "-f")
	cmd.Stdin = strings.NewReader("PROMPT='> '\n" + script)
	cmd.Env = []string{"PATH=" + dir + ":/usr/bin:/bin", "KAGI_PROFILE=a%F{red}b%%c"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("zsh: %v\n%s", err, out)
	}
	if got, want := string(out), "(a%F{red}b%%c 5m) > \n"; got != want {
		t.Errorf("the prompt is %q, want %q", got, want)
	}
}

func TestScriptRefusesBadNames(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for a bad name")
		}
	}()
	Bash.Script(Change{Set: []Var{{Name: "A;rm", Value: "x"}}})
}

// Found by the red team (row 15): in fish, `set -e` of a variable that is
// not set fails (status 4) and a later `set` keeps that status, so the
// first `kagi use` in a new fish shell returned 4 although it worked, and
// `kagi use prod; and aws ...` did not run aws. The function's status is
// kagi's when kagi succeeded.
func TestFishUseSucceedsInAFreshShell(t *testing.T) {
	needShell(t, "fish")
	dir := t.TempDir()
	fake := dir + "/kagi"
	// A stand-in for `kagi use --shell fish`: the code of a real Change.
	code := Fish.Script(Change{Unset: []string{"KAGI_TEST_NEVER_SET"}, Set: []Var{{Name: "KAGI_TEST_A", Value: "1"}}})
	if err := os.WriteFile(fake, []byte("#!/bin/sh\ncat <<'EOF'\n"+code+"EOF\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("fish", "--no-config", "-c", Fish.Init(false)+"\nkagi use x; echo status=$status A=$KAGI_TEST_A")
	cmd.Env = []string{"PATH=" + dir + ":/usr/bin:/bin", "HOME=" + dir}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("fish: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "status=0 A=1" {
		t.Errorf("kagi use in a fresh fish: %q, want status=0 A=1", got)
	}
}

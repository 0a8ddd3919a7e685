package interop

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// The profile picker in a real terminal (tmux): `kagi exec` with no
// profile shows the profiles, typing filters them, Enter runs the command
// in the one chosen (its role assumed from the emulator); Esc and Ctrl-C
// run nothing. Whichever way, the picker's lines are gone and the terminal
// is back in its modes (stty -a after kagi: echo, canonical input,
// signals, CR to NL).

// pickerEnv is the setup's environment with nothing that chooses a profile
// or environment mode: the CI services' CI=true would turn the picker off.
func pickerEnv(env []string) []string {
	return append(append([]string{}, env...), "CI=", "ACTIONS_ID_TOKEN_REQUEST_URL=", "AWS_PROFILE=", "KAGI_NO_PICKER=")
}

// pickerCommand runs kagi exec with no profile, then stty -a, and exits
// with kagi's code.
func pickerCommand() string {
	return kagiBin + ` exec -- sh -c 'echo "ran in $KAGI_PROFILE"'; rc=$?; stty -a | tr -s " ;\n" "\n\n\n" | grep -xE -- "-?(echo|icanon|isig|icrnl)" | tr "\n" " "; echo; (exit $rc)`
}

func checkSttyRestored(t *testing.T, lines []string) {
	t.Helper()
	for _, l := range lines {
		fields := strings.Fields(l)
		if len(fields) == 4 && strings.Contains(l, "icanon") {
			for _, f := range fields {
				if strings.HasPrefix(f, "-") {
					t.Fatalf("after kagi the terminal has %s: %q", f, l)
				}
			}
			return
		}
	}
	t.Fatalf("no stty line after kagi:\n%s", strings.Join(lines, "\n"))
}

func checkPickerGone(t *testing.T, lines []string) {
	t.Helper()
	for _, l := range lines {
		if strings.Contains(l, "profile>") || regexp.MustCompile(`^[> ] acct-`).MatchString(l) {
			t.Fatalf("the picker's lines are left on the screen: %q\n%s", l, strings.Join(lines, "\n"))
		}
	}
}

func TestPickerChoosesTheProfileToRunIn(t *testing.T) {
	world, config := manyAccountsWorld(12)
	s := newKagiSetupWorld(t, world, config)
	tt := newTmuxTerm(t, pickerEnv(s.Env), pickerCommand())
	lines := tt.waitFor("picker", hasLine(`^kagi: profile>`))
	lines = tt.waitFor("profiles", hasLine(`^  acct-12 +500000000012:admin +mfa/jumpuser$`))
	if !hasLine(`^> acct-01 +500000000001:admin +mfa/jumpuser$`)(lines) || !hasLine(`^  jumpuser +jumpuser +mfa/jumpuser$`)(lines) {
		t.Fatalf("the picker shows:\n%s", strings.Join(lines, "\n"))
	}
	// Typing filters: "a07" is a subsequence of acct-07 alone.
	tt.run("send-keys", "-l", "a07")
	lines = tt.waitFor("filtered list", hasLine(`^kagi: profile> a07 +1/14$`))
	for _, l := range lines {
		if strings.Contains(l, "acct-") && !strings.Contains(l, "acct-07") {
			t.Fatalf("after typing a07 the picker still shows %q:\n%s", l, strings.Join(lines, "\n"))
		}
	}
	if !hasLine(`^> acct-07 +500000000007:admin +mfa/jumpuser$`)(lines) {
		t.Fatalf("acct-07 is not highlighted:\n%s", strings.Join(lines, "\n"))
	}
	tt.run("send-keys", "Enter")
	lines = tt.waitFor("exit", hasLine(`^kagi-exit:\d+$`))
	text := strings.Join(lines, "\n")
	if !hasLine(`^kagi-exit:0$`)(lines) || !hasLine(`^ran in acct-07$`)(lines) {
		t.Fatalf("after Enter:\n%s", text)
	}
	if n := s.Emu.Stats()["AssumeRole"]; n != 1 {
		t.Errorf("the emulator saw %d AssumeRole calls, want 1 (acct-07's role)", n)
	}
	checkPickerGone(t, lines)
	checkSttyRestored(t, lines)
}

func TestPickerEscAndCtrlCRunNothing(t *testing.T) {
	world, config := manyAccountsWorld(3)
	s := newKagiSetupWorld(t, world, config)
	for _, tc := range []struct {
		name, key, code, says string
	}{
		{"esc", "Escape", "1", `^kagi: error: no profile chosen: the picker was cancelled$`},
		{"ctrl-c", "C-c", "130", `^kagi: interrupted$`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tt := newTmuxTerm(t, pickerEnv(s.Env), pickerCommand())
			tt.waitFor("picker", hasLine(`^  acct-03 `))
			tt.run("send-keys", "-l", "acct")
			tt.waitFor("query", hasLine(`^kagi: profile> acct `))
			tt.run("send-keys", tc.key)
			lines := tt.waitFor("exit", hasLine(`^kagi-exit:\d+$`))
			text := strings.Join(lines, "\n")
			if !hasLine(`^kagi-exit:`+tc.code+`$`)(lines) || !hasLine(tc.says)(lines) {
				t.Fatalf("after %s:\n%s", tc.key, text)
			}
			if hasLine(`^ran in`)(lines) {
				t.Fatalf("the command ran:\n%s", text)
			}
			if n := s.Emu.Stats()["AssumeRole"] + s.Emu.Stats()["GetSessionToken"]; n != 0 {
				t.Errorf("the emulator saw %d calls", n)
			}
			checkPickerGone(t, lines)
			checkSttyRestored(t, lines)
		})
	}
}

// A terminal too short for the list: it scrolls with the highlight, and a
// resize redraws it in the new size, lines cut, never wrapped.
func TestPickerScrollsAndFollowsAResize(t *testing.T) {
	world, config := manyAccountsWorld(30)
	s := newKagiSetupWorld(t, world, config)
	tt := newTmuxTerm(t, pickerEnv(s.Env), pickerCommand())
	tt.waitFor("picker", hasLine(`^  acct-14 `)) // 15 rows: jumpuser's row is the 32nd
	tt.run("resize-window", "-x", "30", "-y", "8")
	// The visible screen (the terminal's own resize may push lines into
	// the scrollback).
	visible := func() []string {
		return strings.Split(strings.TrimRight(tt.run("capture-pane", "-p", "-J"), "\n "), "\n")
	}
	deadline := time.Now().Add(30 * time.Second)
	var lines []string
	for {
		lines = visible()
		if !hasLine(`^  acct-14`)(lines) && hasLine(`^  acct-07 +500000000007:…$`)(lines) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no redraw in 30x8:\n%s", strings.Join(lines, "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, l := range lines {
		if len([]rune(l)) > 29 {
			t.Errorf("a line wider than the terminal less one: %q", l)
		}
	}
	for range 20 {
		tt.run("send-keys", "Down")
	}
	tt.waitFor("scrolled to acct-21", hasLine(`^> acct-21 `))
	tt.run("send-keys", "Enter")
	lines = tt.waitFor("exit", hasLine(`^kagi-exit:\d+$`))
	if !hasLine(`^kagi-exit:0$`)(lines) || !hasLine(`^ran in acct-21$`)(lines) {
		t.Fatalf("after Enter:\n%s", strings.Join(lines, "\n"))
	}
	checkPickerGone(t, visible())
}

// TestPickerChoosesTheProfileToSignInAs: `kagi login` with no profile
// offers the same picker, and the console link it prints is for the role
// picked.
func TestPickerChoosesTheProfileToSignInAs(t *testing.T) {
	world, config := manyAccountsWorld(3)
	s := newKagiSetupWorld(t, world, config)
	env := append(pickerEnv(s.Env), "KAGI_FEDERATION_ENDPOINT="+s.URL+"/federation")
	tt := newTmuxTerm(t, env, kagiBin+` login --stdout`)
	tt.waitFor("picker", hasLine(`^kagi: profile>`))
	tt.run("send-keys", "-l", "acct-02")
	tt.waitFor("filtered list", hasLine(`^kagi: profile> acct-02 +1/\d+$`))
	tt.run("send-keys", "Enter")
	lines := tt.waitFor("exit", hasLine(`^kagi-exit:\d+$`))
	text := strings.Join(lines, "")
	if !hasLine(`^kagi-exit:0$`)(lines) || !strings.Contains(text, s.URL+"/federation?Action=login") {
		t.Fatalf("after Enter:\n%s", strings.Join(lines, "\n"))
	}
	if n := s.Emu.Stats()["AssumeRole"]; n != 1 {
		t.Errorf("the emulator saw %d AssumeRole calls, want 1 (acct-02's role)", n)
	}
	signedIn := ""
	for _, r := range s.Emu.Requests() {
		if r.Action == "getSigninToken" {
			signedIn = r.Caller
		}
	}
	if !strings.HasPrefix(signedIn, "arn:aws:sts::500000000002:assumed-role/") {
		t.Errorf("the sign-in token was made for %q, want acct-02's role", signedIn)
	}
	checkPickerGone(t, lines)
}

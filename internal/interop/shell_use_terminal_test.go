package interop

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// useConfig: prod's role from the jump user, whose MFA codes come from the
// counting mfa_process, so no one has to type one into the terminal.
const useConfig = `[profile jumpuser]
mfa_serial = arn:aws:iam::111111111111:mfa/jumpuser
mfa_process = %MFA%

[profile prod]
role_arn = arn:aws:iam::222222222222:role/admin
source_profile = jumpuser
region = us-east-1
`

// TestUseInInteractiveShells types into a real interactive bash, zsh and
// fish (in tmux, each with an rc file that loads `kagi shell-init SHELL
// --prompt`) what a person would: the AWS CLI first finds no credentials;
// after `kagi use prod` the same shell's `aws sts get-caller-identity` is
// the role, and the prompt shows "(prod 59m)"; after `kagi use --clear` the
// segment is gone and so are the credentials; `kagi use` alone offers the
// picker, and the profile picked is the shell's. The shell's history file
// then holds `kagi use prod` and neither the secret key nor the session
// token. PowerShell is not here: no registry this project reaches serves
// it (docs/design.md); its code is tested through internal/shellenv's
// quoting table and the testscripts.
func TestUseInInteractiveShells(t *testing.T) {
	awsBin := NeedAWSCLI(t)
	for _, sh := range []struct {
		name string
		// rc is the rc file's path under HOME and its text; start runs
		// the interactive shell; history is the history file under HOME.
		rcPath, rc, start, history string
		// show prints KAGI_PROFILE or "none", in the shell's syntax;
		// status is the last command's exit code.
		show, status string
	}{
		{
			name:   "bash",
			rcPath: ".bashrc",
			rc: `HISTFILE="$HOME/.bash_history"; HISTSIZE=1000; HISTFILESIZE=1000
PS1='$ '
eval "$(kagi shell-init bash --prompt)"
`,
			start:   "bash --noprofile --rcfile \"$HOME/.bashrc\" -i",
			history: ".bash_history",
			show:    `echo "profile=${KAGI_PROFILE-none}"`,
			status:  "$?",
		},
		{
			name:   "zsh",
			rcPath: ".zshrc",
			rc: `HISTFILE="$HOME/.zsh_history"; HISTSIZE=1000; SAVEHIST=1000
PROMPT='$ '
eval "$(kagi shell-init zsh --prompt)"
`,
			start:   "ZDOTDIR=\"$HOME\" zsh -i",
			history: ".zsh_history",
			show:    `echo "profile=${KAGI_PROFILE-none}"`,
			status:  "$?",
		},
		{
			name:   "fish",
			rcPath: ".config/fish/config.fish",
			rc: `set -g fish_greeting ''
function fish_prompt; echo -n '$ '; end
kagi shell-init fish --prompt | source
`,
			start:   "fish -i",
			history: ".local/share/fish/fish_history",
			show:    `if set -q KAGI_PROFILE; echo "profile=$KAGI_PROFILE"; else; echo profile=none; end`,
			status:  "$status",
		},
	} {
		t.Run(sh.name, func(t *testing.T) {
			NeedTool(t, sh.name)
			s := newKagiSetup(t, useConfig)
			writeTestFile(t, filepath.Join(s.Home, sh.rcPath), sh.rc, 0o600)
			// fish generates completions from man pages in the
			// background on its first start, unless this directory is
			// there; they would still be written when the test ends.
			if err := os.MkdirAll(filepath.Join(s.Home, ".local", "share", "fish", "generated_completions"), 0o700); err != nil {
				t.Fatal(err)
			}
			tt := newTmuxTerm(t, s.Env, "cd \"$HOME\" && "+sh.start)
			type_ := func(line string) {
				tt.run("send-keys", "-l", line)
				tt.run("send-keys", "Enter")
			}
			tt.waitFor("prompt", hasLine(`^\$$`))

			type_(awsBin + " sts get-caller-identity --output text --query Arn; echo aws-exit-" + sh.status)
			lines := tt.waitFor("the AWS CLI's answer", hasLine(`^aws-exit-\d+$`))
			if hasLine(`^aws-exit-0$`)(lines) {
				t.Fatalf("the AWS CLI found credentials before kagi use:\n%s", strings.Join(lines, "\n"))
			}

			type_("kagi use prod")
			type_(sh.show)
			lines = tt.waitFor("the profile", hasLine(`^profile=`))
			if !hasLine(`^profile=prod$`)(lines) {
				t.Fatalf("kagi use prod did not set KAGI_PROFILE:\n%s", strings.Join(lines, "\n"))
			}
			// The prompt before the next command shows the segment.
			if !hasLine(`^\(prod (59m|1h00m)\) \$ ` + regexp.QuoteMeta(sh.show) + `$`)(lines) {
				t.Errorf("no prompt segment after kagi use prod:\n%s", strings.Join(lines, "\n"))
			}

			type_(awsBin + " sts get-caller-identity --output text --query Arn")
			lines = tt.waitFor("the role's ARN", hasLine(`^`+regexp.QuoteMeta(prodARN)+`\S+$`))

			type_("kagi use --clear")
			type_(strings.Replace(sh.show, "profile=", "cleared=", -1))
			lines = tt.waitFor("the profile after --clear", hasLine(`^cleared=`))
			if !hasLine(`^cleared=none$`)(lines) {
				t.Errorf("kagi use --clear left KAGI_PROFILE:\n%s", strings.Join(lines, "\n"))
			}
			if !hasLine(`^\$ ` + regexp.QuoteMeta(strings.Replace(sh.show, "profile=", "cleared=", -1)) + `$`)(lines) {
				t.Errorf("the prompt segment stayed after kagi use --clear:\n%s", strings.Join(lines, "\n"))
			}
			type_(awsBin + " sts get-caller-identity --output text --query Arn; echo after-clear-" + sh.status)
			lines = tt.waitFor("the AWS CLI's answer after --clear", hasLine(`^after-clear-\d+$`))
			if hasLine(`^after-clear-0$`)(lines) {
				t.Errorf("the AWS CLI still found credentials after kagi use --clear:\n%s", strings.Join(lines, "\n"))
			}

			// No profile named, none in the environment or a .aws-profile:
			// the picker, on the terminal, filtered as one types.
			type_("kagi use")
			tt.waitFor("the picker", hasLine(`^kagi: profile>`))
			tt.run("send-keys", "-l", "prod")
			tt.waitFor("the filtered list", hasLine(`^kagi: profile> prod +1/2$`))
			// Enter and the next command in one write to the terminal (a
			// fast typist, a paste), while the picker is still on it: it
			// reads no further than the Enter, so the shell gets the whole
			// line. (paste-buffer turns each newline into a CR, as Enter.)
			tt.run("set-buffer", "\n"+strings.Replace(sh.show, "profile=", "picked=", -1)+"\n")
			tt.run("paste-buffer", "-d")
			lines = tt.waitFor("the picked profile", hasLine(`^picked=`))
			if !hasLine(`^picked=prod$`)(lines) {
				t.Errorf("the profile picked is not in the shell:\n%s", strings.Join(lines, "\n"))
			}

			type_("exit")
			tt.waitFor("the shell's exit", hasLine(`^kagi-exit:\d+$`))

			// The credentials kagi use set: the cached session, read again.
			var c struct{ AccessKeyId, SecretAccessKey, SessionToken string }
			if err := json.Unmarshal([]byte(s.kagi(t, nil, "export", "prod", "--format", "json")), &c); err != nil {
				t.Fatal(err)
			}
			if c.SecretAccessKey == "" || c.SessionToken == "" {
				t.Fatalf("no session from the cache: %+v", c.AccessKeyId)
			}
			hist, err := os.ReadFile(filepath.Join(s.Home, sh.history))
			if err != nil {
				t.Fatalf("the shell's history: %v", err)
			}
			if !strings.Contains(string(hist), "kagi use prod") {
				t.Errorf("the history has no 'kagi use prod':\n%s", hist)
			}
			for what, secret := range map[string]string{"secret key": c.SecretAccessKey, "session token": c.SessionToken} {
				if strings.Contains(string(hist), secret) {
					t.Errorf("the %s is in the shell's history file", what)
				}
			}
			if st := s.Emu.Stats(); st["AssumeRole"] != 1 || st["GetSessionToken"] != 1 || s.mfaAsked(t) != 1 {
				t.Errorf("emulator saw %v, MFA asked %d times; want one of each", st, s.mfaAsked(t))
			}
		})
	}
}

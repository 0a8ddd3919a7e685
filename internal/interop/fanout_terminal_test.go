package interop

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A terminal for kagi: a tmux server of the test's own (private socket, no
// configuration), whose pane shows what a person would see, escape
// sequences applied.
type tmuxTerm struct {
	t    *testing.T
	sock string
	env  []string
}

func newTmuxTerm(t *testing.T, env []string, command string) *tmuxTerm {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		Missing(t, "tmux not on PATH (Debian: apt-get install tmux)")
	}
	dir, err := os.MkdirTemp("", "kagi-tmux-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	tt := &tmuxTerm{t: t, sock: filepath.Join(dir, "sock"), env: append(append([]string{}, env...), "TERM=xterm")}
	// The pane stays after kagi exits, so its last screen can be read.
	tt.run("-f", "/dev/null", "new-session", "-d", "-x", "100", "-y", "50", command+`; echo "kagi-exit:$?"; exec sleep 600`)
	t.Cleanup(tt.kill)
	return tt
}

// kill ends the tmux server and waits, up to ten seconds, until the
// processes its panes ran have exited: a shell hung up on writes its
// history file as it goes, and the test's HOME is removed after this.
func (tt *tmuxTerm) kill() {
	out, _ := exec.Command("tmux", "-S", tt.sock, "list-panes", "-a", "-F", "#{pane_pid}").Output()
	_ = exec.Command("tmux", "-S", tt.sock, "kill-server").Run()
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	waitExited(pids, 10*time.Second)
}

// waitExited polls until none of pids is a running process (gone, or a
// zombie nobody reaped), or limit has passed.
func waitExited(pids []int, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for _, pid := range pids {
		for running(pid) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// running says whether pid is a process that can still run: /proc/PID/stat
// names its state after the command's name in parentheses; Z is a zombie,
// X a dead one. Where there is no /proc, a process is taken as gone.
func running(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return false
	}
	return s[i+2] != 'Z' && s[i+2] != 'X'
}

func (tt *tmuxTerm) run(args ...string) string {
	tt.t.Helper()
	cmd := exec.Command("tmux", append([]string{"-S", tt.sock}, args...)...)
	cmd.Env = tt.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		tt.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// screen is the pane's text, trailing blank lines dropped.
func (tt *tmuxTerm) screen() []string {
	lines := strings.Split(strings.TrimRight(tt.run("capture-pane", "-p", "-J", "-S", "-"), "\n "), "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	return lines
}

// waitFor polls the screen until ok says so, or fails after a deadline.
func (tt *tmuxTerm) waitFor(what string, ok func(lines []string) bool) []string {
	tt.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		lines := tt.screen()
		if ok(lines) {
			return lines
		}
		if time.Now().After(deadline) {
			tt.t.Fatalf("no %s on the terminal within 30s:\n%s", what, strings.Join(lines, "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func hasLine(re string) func([]string) bool {
	r := regexp.MustCompile(re)
	return func(lines []string) bool {
		for _, l := range lines {
			if r.MatchString(l) {
				return true
			}
		}
		return false
	}
}

var progressText = regexp.MustCompile(`kagi: \d+/\d+ done, \d+ failed`)

// The progress line is cleared before each output line and drawn again
// after it: no line on the screen has output glued to "kagi: 1/6 done, 0
// failed" (issue 11: before, every run's first line came out after it on
// the same line), and when kagi is done the progress line is gone.
func TestFanOutProgressLineOnATerminal(t *testing.T) {
	world, config := manyAccountsWorld(6)
	s := newKagiSetupWorld(t, world, config)
	tt := newTmuxTerm(t, s.Env, kagiBin+` exec --profiles 'acct-0*' --parallel 1 -- sh -c 'echo "line one from $KAGI_PROFILE"; echo "line two from $KAGI_PROFILE"'`)
	lines := tt.waitFor("exit", hasLine(`^kagi-exit:\d+$`))
	text := strings.Join(lines, "\n")
	if !hasLine(`^kagi-exit:0$`)(lines) {
		t.Fatalf("kagi failed:\n%s", text)
	}
	for i := 1; i <= 6; i++ {
		for _, which := range []string{"one", "two"} {
			if !hasLine(`^acct-0` + string(rune('0'+i)) + ` \| line ` + which + ` from acct-0` + string(rune('0'+i)) + `$`)(lines) {
				t.Errorf("no clean line %s of acct-0%d:\n%s", which, i, text)
			}
		}
	}
	for _, l := range lines {
		if progressText.MatchString(l) {
			t.Errorf("a progress line is left on the screen: %q\n%s", l, text)
		}
	}
	if !hasLine(`^PROFILE +EXIT +TIME +ERROR$`)(lines) {
		t.Errorf("no summary:\n%s", text)
	}
}

// A prompt pauses the other runs' output: while the file keyring asks for
// its passphrase, the lines of a profile that needs no keyring (its keys
// come from credential_process) are held, not written after the question;
// once it is answered they come out, and every run succeeds.
func TestFanOutPromptPausesOutput(t *testing.T) {
	world, config := manyAccountsWorld(1)
	home := t.TempDir()
	done := filepath.Join(home, "talker-done")
	config += "\n[profile talker]\ncredential_process = sh -c 'printf \"{\\\"Version\\\":1,\\\"AccessKeyId\\\":\\\"AKIATALKER\\\",\\\"SecretAccessKey\\\":\\\"x\\\"}\"'\n"
	s := newKagiSetupWorld(t, world, config)
	var env []string
	for _, kv := range s.Env {
		if !strings.HasPrefix(kv, "KAGI_FILE_PASSPHRASE=") {
			env = append(env, kv)
		}
	}
	// talker writes 20 lines while acct-01 waits for the passphrase, then
	// leaves a mark; acct-01 writes one line once it has its credentials.
	script := `if [ "$KAGI_PROFILE" = talker ]; then i=0; while [ $i -lt 20 ]; do echo "tick $i"; i=$((i+1)); done; touch '` + done + `'; else echo "has credentials"; fi`
	tt := newTmuxTerm(t, env, kagiBin+` exec --profiles 'acct-01' --profiles talker -- sh -c '`+strings.ReplaceAll(script, `'`, `'\''`)+`'`)
	tt.waitFor("passphrase prompt", hasLine(`Passphrase for kagi's file keyring:`))
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(done); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("talker never finished:\n%s", strings.Join(tt.screen(), "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	// talker has written all its lines; the pane must still end with the
	// question, nothing after it or glued to it.
	lines := tt.screen()
	if last := lines[len(lines)-1]; last != "Passphrase for kagi's file keyring:" {
		t.Fatalf("while the prompt waits the screen ends with %q, want the question:\n%s", last, strings.Join(lines, "\n"))
	}
	for _, l := range lines {
		if strings.Contains(l, "tick") || progressText.MatchString(l) {
			t.Fatalf("output during the prompt: %q\n%s", l, strings.Join(lines, "\n"))
		}
	}
	tt.run("send-keys", "interop-passphrase", "Enter")
	lines = tt.waitFor("exit", hasLine(`^kagi-exit:\d+$`))
	text := strings.Join(lines, "\n")
	if !hasLine(`^kagi-exit:0$`)(lines) || !hasLine(`^acct-01 \| has credentials$`)(lines) || !hasLine(`^talker \| tick 19$`)(lines) {
		t.Fatalf("after the answer:\n%s", text)
	}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The profile picker on a terminal (a pseudo-terminal of the test's own):
// however it ends (Enter, Esc, Ctrl-C, SIGTERM), the terminal's modes are
// exactly what they were before kagi started, and only Enter runs the
// command, in the profile chosen.
func TestPickerLeavesTheTerminalAsItWas(t *testing.T) {
	home := t.TempDir()
	aws := filepath.Join(home, ".aws")
	if err := os.MkdirAll(aws, 0o700); err != nil {
		t.Fatal(err)
	}
	// Profiles whose credentials come from credential_process: nothing
	// calls AWS.
	process := `credential_process = sh -c 'printf "{\"Version\":1,\"AccessKeyId\":\"AKIAPICKEREXAMPLE001\",\"SecretAccessKey\":\"x\"}"'` + "\n"
	// [default] with only a region is a settings profile: not offered.
	cfg := "[default]\nregion = us-east-1\n[profile dev]\n" + process + "[profile prod]\n" + process + "[profile prod-eu]\n" + process
	if err := os.WriteFile(filepath.Join(aws, "config"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cacheDir := t.TempDir()
	if err := os.Chmod(cacheDir, 0o700); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"HOME=" + home, "PATH=" + os.Getenv("PATH"), "TERM=xterm",
		"KAGI_BACKEND=file", "KAGI_CACHE_DIR=" + cacheDir, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL=http://127.0.0.1:1",
	}
	ran := filepath.Join(home, "ran")
	command := []string{"exec", "--", "sh", "-c", `echo "$KAGI_PROFILE" > '` + ran + `'`}
	for _, tc := range []struct {
		name  string
		typed string
		term  bool // SIGTERM instead of typing
		code  int
		says  string
	}{
		{"enter", "prod-e\r", false, 0, ""},
		{"esc", "pro\x1b", false, 1, "kagi: error: no profile chosen: the picker was cancelled"},
		{"ctrl-c", "pro\x03", false, 130, "kagi: interrupted"},
		{"sigterm", "pro", true, 130, "kagi: interrupted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(ran)
			// A new pseudo-terminal's modes: the ones kagi starts with
			// (read from a second one, as kagi may already have changed
			// its own).
			m, s := openPTY(t)
			before := termiosOf(t, s)
			m.Close()
			s.Close()
			p := startOnPTY(t, env, command...)
			p.waitFor("kagi: profile>")
			p.waitFor("prod-eu")
			p.waitEcho(false)
			p.typeText(tc.typed)
			if tc.term {
				p.waitFor("kagi: profile> pro")
				if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
					t.Fatal(err)
				}
			}
			if code := p.exitCode(10 * time.Second); code != tc.code {
				t.Fatalf("exit code %d, want %d; the terminal shows:\n%q", code, tc.code, p.output())
			}
			after := termiosOf(t, p.slave)
			if after.Iflag != before.Iflag || after.Lflag != before.Lflag || after.Oflag != before.Oflag || after.Cflag != before.Cflag || after.Cc != before.Cc {
				t.Errorf("the terminal's modes changed:\nbefore %+v\nafter  %+v", before, after)
			}
			if tc.says != "" {
				p.shown(tc.says)
			}
			if strings.Contains(p.output(), "default") {
				t.Errorf("the picker offered the settings profile default:\n%q", p.output())
			}
			got, err := os.ReadFile(ran)
			switch {
			case tc.code == 0 && string(got) != "prod-eu\n":
				t.Errorf("the command ran with KAGI_PROFILE %q (%v), want prod-eu", got, err)
			case tc.code != 0 && err == nil:
				t.Errorf("the command ran (KAGI_PROFILE %q) after the picker was left", got)
			}
			// The picker's last act is to clear its lines and turn autowrap
			// back on.
			out := p.output()
			if i := strings.LastIndex(out, "\x1b[?25h\x1b[?7h"); i < 0 || strings.Contains(out[i:], "prod") {
				t.Errorf("the picker did not clear its lines last:\n%q", out)
			}
		})
	}
}

// At a terminal, the picker shows only when nothing chooses a profile or
// environment mode: AWS_PROFILE runs in that profile, environment mode
// variables and KAGI_NO_PICKER keep today's error and hint, all at once.
func TestPickerNotShownWhenSomethingChooses(t *testing.T) {
	home := t.TempDir()
	aws := filepath.Join(home, ".aws")
	if err := os.MkdirAll(aws, 0o700); err != nil {
		t.Fatal(err)
	}
	process := `credential_process = sh -c 'printf "{\"Version\":1,\"AccessKeyId\":\"AKIAPICKEREXAMPLE001\",\"SecretAccessKey\":\"x\"}"'` + "\n"
	if err := os.WriteFile(filepath.Join(aws, "config"), []byte("[profile dev]\n"+process+"[profile prod]\n"+process), 0o600); err != nil {
		t.Fatal(err)
	}
	cacheDir := t.TempDir()
	if err := os.Chmod(cacheDir, 0o700); err != nil {
		t.Fatal(err)
	}
	base := []string{
		"HOME=" + home, "PATH=" + os.Getenv("PATH"), "TERM=xterm",
		"KAGI_BACKEND=file", "KAGI_CACHE_DIR=" + cacheDir, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL=http://127.0.0.1:1",
	}
	for _, tc := range []struct {
		env  string
		code int
		says string
	}{
		{"AWS_PROFILE=prod", 0, "ran in prod"},
		{"KAGI_NO_PICKER=1", 1, "kagi: hint: pass --role-arn arn:aws:iam::ACCOUNT:role/NAME or set AWS_ROLE_ARN, or name a profile"},
		{"AWS_ACCESS_KEY_ID=AKIAENVEXAMPLE000001", 1, "kagi: error: no role to assume: without a profile, kagi needs --role-arn or AWS_ROLE_ARN"},
		{"AWS_WEB_IDENTITY_TOKEN_FILE=/nonexistent", 1, "kagi: error: no role to assume"},
		{"CI=true", 1, "kagi: error: no role to assume"},
	} {
		t.Run(tc.env, func(t *testing.T) {
			p := startOnPTY(t, append(append([]string{}, base...), tc.env), "exec", "--", "sh", "-c", `echo "ran in $KAGI_PROFILE"`)
			if code := p.exitCode(10 * time.Second); code != tc.code {
				t.Fatalf("exit code %d, want %d; the terminal shows:\n%q", code, tc.code, p.output())
			}
			p.shown(tc.says)
			if strings.Contains(p.output(), "profile>") {
				t.Errorf("the picker showed:\n%q", p.output())
			}
		})
	}
}

func termiosOf(t *testing.T, f *os.File) unix.Termios {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return *tio
}

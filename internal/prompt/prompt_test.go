package prompt_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/prompt"
)

const serial = "arn:aws:iam::123456789012:mfa/alice"

// fakeTTY is a terminal: what the user types, and what was shown.
type fakeTTY struct {
	in     io.Reader
	mu     sync.Mutex
	out    bytes.Buffer
	closed bool
}

func (f *fakeTTY) Read(p []byte) (int, error) { return f.in.Read(p) }
func (f *fakeTTY) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.out.Write(p)
}
func (f *fakeTTY) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	if c, ok := f.in.(io.Closer); ok {
		c.Close()
	}
	return nil
}
func (f *fakeTTY) shown() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.out.String()
}

// ttyWith returns an OpenTTY hook whose terminal holds typed, and the
// terminal it opened last.
func ttyWith(typed string) (func() (io.ReadWriteCloser, error), func() *fakeTTY) {
	var mu sync.Mutex
	var last *fakeTTY
	return func() (io.ReadWriteCloser, error) {
			mu.Lock()
			defer mu.Unlock()
			last = &fakeTTY{in: strings.NewReader(typed)}
			return last, nil
		}, func() *fakeTTY {
			mu.Lock()
			defer mu.Unlock()
			return last
		}
}

func noTTY() (io.ReadWriteCloser, error) {
	return nil, &os.PathError{Op: "open", Path: "/dev/tty", Err: errors.New("no such device or address")}
}

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// binDir puts scripts (name → body) in a directory, puts it first in
// PATH, and returns it.
func binDir(t *testing.T, scripts map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir+":/usr/bin:/bin")
	return dir
}

func TestValidCode(t *testing.T) {
	for s, want := range map[string]bool{
		"123456": true, "000000": true, "1234567": true, "12345678": true,
		"": false, "12345": false, "123456789": false, "12345a": false,
		" 123456": false, "123 456": false, "١٢٣٤٥٦": false, "-12345": false,
	} {
		if got := prompt.ValidCode(s); got != want {
			t.Errorf("ValidCode(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestChoosePrecedence(t *testing.T) {
	binDir(t, map[string]string{"zenity": "echo 111111\n", "ykman": "echo 222222\n"})
	tty, _ := ttyWith("333333\n")
	tests := []struct {
		name        string
		opts        prompt.Options
		want        string // String() of the source
		interactive bool
	}{
		{"flag beats everything", prompt.Options{Token: "123456", Env: envOf(map[string]string{"KAGI_MFA_TOKEN": "654321", "KAGI_PROMPT": "zenity"}), Process: "echo 1", OpenTTY: tty}, "--mfa-token", false},
		{"env beats mfa_process", prompt.Options{Env: envOf(map[string]string{"KAGI_MFA_TOKEN": "654321", "KAGI_PROMPT": "zenity"}), Process: "echo 1", OpenTTY: tty}, "KAGI_MFA_TOKEN", false},
		{"mfa_process beats KAGI_PROMPT", prompt.Options{Env: envOf(map[string]string{"KAGI_PROMPT": "zenity"}), Process: "echo 1", OpenTTY: tty}, "mfa_process", false},
		{"KAGI_PROMPT beats the terminal", prompt.Options{Env: envOf(map[string]string{"KAGI_PROMPT": "zenity"}), OpenTTY: tty}, "KAGI_PROMPT=zenity", true},
		{"ykman is not interactive", prompt.Options{Env: envOf(map[string]string{"KAGI_PROMPT": "ykman"}), OpenTTY: noTTY}, "KAGI_PROMPT=ykman", false},
		{"KAGI_PROMPT=terminal", prompt.Options{Env: envOf(map[string]string{"KAGI_PROMPT": "terminal"}), OpenTTY: tty}, "the terminal", true},
		{"--prompt beats KAGI_PROMPT", prompt.Options{Prompt: "ykman", Env: envOf(map[string]string{"KAGI_PROMPT": "zenity"}), OpenTTY: tty}, "KAGI_PROMPT=ykman", false},
		{"--prompt terminal beats KAGI_PROMPT", prompt.Options{Prompt: "terminal", Env: envOf(map[string]string{"KAGI_PROMPT": "zenity"}), OpenTTY: tty}, "the terminal", true},
		{"mfa_process beats --prompt", prompt.Options{Prompt: "zenity", Env: envOf(nil), Process: "echo 1", OpenTTY: tty}, "mfa_process", false},
		{"the terminal last", prompt.Options{Env: envOf(nil), OpenTTY: tty}, "the terminal", true},
		{"empty KAGI_MFA_TOKEN is unset", prompt.Options{Env: envOf(map[string]string{"KAGI_MFA_TOKEN": ""}), OpenTTY: tty}, "the terminal", true},
		{"blank mfa_process is unset", prompt.Options{Env: envOf(nil), Process: "  ", OpenTTY: tty}, "the terminal", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := prompt.Choose(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := src.(interface{ String() string }).String(); got != tt.want {
				t.Errorf("chose %s, want %s", got, tt.want)
			}
			if src.Interactive() != tt.interactive {
				t.Errorf("Interactive() = %v, want %v", src.Interactive(), tt.interactive)
			}
		})
	}
}

func TestStaticCodes(t *testing.T) {
	ctx := context.Background()
	src, err := prompt.Choose(prompt.Options{Token: "123456", OpenTTY: noTTY})
	if err != nil {
		t.Fatal(err)
	}
	if code, err := src.Code(ctx, prompt.Request{Serial: serial, Attempt: 1}); code != "123456" || err != nil {
		t.Fatalf("Code = %q, %v", code, err)
	}
	src, err = prompt.Choose(prompt.Options{Env: envOf(map[string]string{"KAGI_MFA_TOKEN": " 87654321\n"}), OpenTTY: noTTY})
	if err != nil {
		t.Fatal(err)
	}
	if code, err := src.Code(ctx, prompt.Request{Serial: serial, Attempt: 1}); code != "87654321" || err != nil {
		t.Fatalf("Code = %q, %v", code, err)
	}
	for _, opts := range []prompt.Options{
		{Token: "12345x", OpenTTY: noTTY},
		{Env: envOf(map[string]string{"KAGI_MFA_TOKEN": "12345x"}), OpenTTY: noTTY},
	} {
		_, err := prompt.Choose(opts)
		if err == nil || strings.Contains(err.Error(), "12345x") {
			t.Errorf("Choose with a malformed code: %v; want an error that does not repeat it", err)
		}
	}
}

func TestMFAProcess(t *testing.T) {
	ctx := context.Background()
	code := func(t *testing.T, ctx context.Context, opts prompt.Options) (string, error) {
		t.Helper()
		opts.OpenTTY = noTTY
		if opts.Env == nil {
			opts.Env = envOf(nil) // never the machine's own KAGI_MFA_TOKEN or KAGI_PROMPT
		}
		src, err := prompt.Choose(opts)
		if err != nil {
			t.Fatal(err)
		}
		return src.Code(ctx, prompt.Request{Serial: serial, Attempt: 1})
	}

	t.Run("stdout is the code", func(t *testing.T) {
		var stderr bytes.Buffer
		got, err := code(t, ctx, prompt.Options{Process: `echo "  123456  "; echo from-helper >&2`, Stderr: &stderr})
		if got != "123456" || err != nil {
			t.Fatalf("Code = %q, %v", got, err)
		}
		if !strings.Contains(stderr.String(), "from-helper") {
			t.Errorf("stderr not passed through: %q", stderr.String())
		}
	})

	t.Run("failure names the setting and profile, not the command or its output", func(t *testing.T) {
		var stderr bytes.Buffer
		// `oathtool --totp -b SEED` is a common mfa_process: the command
		// line holds a secret.
		cmd := "echo 123456; echo oops JBSWY3DPEHPK3PXP >&2; exit 3 # --totp -b JBSWY3DPEHPK3PXP"
		opts := prompt.Options{Process: cmd, Stderr: &stderr, OpenTTY: noTTY}
		src, err := prompt.Choose(opts)
		if err != nil {
			t.Fatal(err)
		}
		_, err = src.Code(ctx, prompt.Request{Serial: serial, Profile: "jump", Attempt: 1})
		if err == nil || err.Error() != `mfa_process of profile "jump" exited with status 3; its error output, if any, is above` {
			t.Fatalf("error %v; want it to name the setting, the profile and the exit status", err)
		}
		if s := fmt.Sprint(src); strings.Contains(s, "JBSWY3DPEHPK3PXP") || strings.Contains(s, "echo") {
			t.Errorf("the source prints as %q, with its command line", s)
		}
		if !strings.Contains(stderr.String(), "oops") {
			t.Errorf("stderr not passed through: %q", stderr.String())
		}
	})

	t.Run("output that is not a code", func(t *testing.T) {
		for _, out := range []string{"hello", "", "123456 extra", "1234", "123456\n654321"} {
			file := filepath.Join(t.TempDir(), "out")
			if err := os.WriteFile(file, []byte(out+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := code(t, ctx, prompt.Options{Process: "cat " + file, Stderr: io.Discard})
			if err == nil || (out != "" && strings.Contains(err.Error(), out)) {
				t.Errorf("output %q: %v; want an error that does not repeat it", out, err)
			}
		}
		_, err := code(t, ctx, prompt.Options{Process: "yes 1 | head -c 100000", Stderr: io.Discard})
		if err == nil {
			t.Errorf("100 KB of output accepted")
		}
	})

	t.Run("context deadline ends a hung command", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		// sleep keeps stdout open after sh is killed.
		_, err := code(t, ctx, prompt.Options{Process: "sleep 30; echo 123456", Stderr: io.Discard})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("error %v; want DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("returned after %v", d)
		}
	})

	t.Run("timeout ends a hung command", func(t *testing.T) {
		start := time.Now()
		_, err := code(t, ctx, prompt.Options{Process: "sleep 30", Stderr: io.Discard, Timeout: 200 * time.Millisecond})
		if err == nil || !strings.Contains(err.Error(), "timed out after 200ms") {
			t.Fatalf("error %v; want a timeout", err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("returned after %v", d)
		}
	})
}

func TestTerminal(t *testing.T) {
	ctx := context.Background()
	choose := func(t *testing.T, typed string) (prompt.Source, func() *fakeTTY) {
		t.Helper()
		open, last := ttyWith(typed)
		src, err := prompt.Choose(prompt.Options{Env: envOf(nil), OpenTTY: open})
		if err != nil {
			t.Fatal(err)
		}
		return src, last
	}

	t.Run("reads a line", func(t *testing.T) {
		src, last := choose(t, "123456\n")
		code, err := src.Code(ctx, prompt.Request{Serial: serial, Profile: "dev", Attempt: 1})
		if code != "123456" || err != nil {
			t.Fatalf("Code = %q, %v", code, err)
		}
		if got, want := last().shown(), "Enter MFA code for "+serial+": "; got != want {
			t.Errorf("terminal shows %q, want %q", got, want)
		}
		if !last().closed {
			t.Error("terminal left open")
		}
	})

	t.Run("asks again after something that is not a code", func(t *testing.T) {
		src, last := choose(t, "12 34\n\n12345678\n")
		code, err := src.Code(ctx, prompt.Request{Serial: serial, Attempt: 1})
		if code != "12345678" || err != nil {
			t.Fatalf("Code = %q, %v", code, err)
		}
		if n := strings.Count(last().shown(), "Enter MFA code"); n != 3 {
			t.Errorf("asked %d times, want 3:\n%s", n, last().shown())
		}
		if strings.Contains(last().shown(), "12 34") {
			t.Errorf("the terminal repeats what was typed: %q", last().shown())
		}
	})

	t.Run("gives up after three tries", func(t *testing.T) {
		src, _ := choose(t, "a\nb\nc\n123456\n")
		if _, err := src.Code(ctx, prompt.Request{Serial: serial, Attempt: 1}); err == nil {
			t.Fatal("no error")
		}
	})

	t.Run("end of input", func(t *testing.T) {
		src, _ := choose(t, "")
		if _, err := src.Code(ctx, prompt.Request{Serial: serial, Attempt: 1}); !errors.Is(err, io.EOF) {
			t.Fatalf("error %v, want EOF", err)
		}
	})

	t.Run("last line without newline", func(t *testing.T) {
		src, _ := choose(t, "123456")
		if code, err := src.Code(ctx, prompt.Request{Serial: serial, Attempt: 1}); code != "123456" || err != nil {
			t.Fatalf("Code = %q, %v", code, err)
		}
	})

	t.Run("second attempt says the code was rejected", func(t *testing.T) {
		src, last := choose(t, "123456\n")
		if _, err := src.Code(ctx, prompt.Request{Serial: serial, Attempt: 2}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(last().shown(), "not accepted") {
			t.Errorf("terminal shows %q", last().shown())
		}
	})

	t.Run("context ends the wait", func(t *testing.T) {
		r, w := io.Pipe() // a user who never types
		defer w.Close()
		tty := &fakeTTY{in: r}
		opens := 0
		open := func() (io.ReadWriteCloser, error) {
			if opens++; opens == 1 { // Choose's probe
				return &fakeTTY{in: strings.NewReader("")}, nil
			}
			return tty, nil
		}
		src, err := prompt.Choose(prompt.Options{Env: envOf(nil), OpenTTY: open})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		if _, err := src.Code(ctx, prompt.Request{Serial: serial, Attempt: 1}); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("error %v, want DeadlineExceeded", err)
		}
		if !tty.closed {
			t.Error("terminal left open")
		}
	})
}

func TestNoPrompt(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"nothing set":           nil,
		"KAGI_PROMPT=terminal":  {"KAGI_PROMPT": "terminal"},
		"unrelated environment": {"AWS_PROFILE": "dev"},
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := prompt.Choose(prompt.Options{Env: envOf(env), OpenTTY: noTTY})
			var npe *prompt.NoPromptError
			if !errors.As(err, &npe) {
				t.Fatalf("error %v, want a *NoPromptError", err)
			}
			if time.Since(start) > time.Second {
				t.Error("did not fail at once")
			}
			for _, s := range []string{"--mfa-token", "KAGI_MFA_TOKEN", "mfa_process", "KAGI_PROMPT"} {
				if !strings.Contains(npe.Hint(), s) {
					t.Errorf("hint %q does not name %s", npe.Hint(), s)
				}
			}
			if !strings.Contains(err.Error(), "/dev/tty") {
				t.Errorf("error %q does not say why the terminal failed", err)
			}
		})
	}
}

func TestDialogs(t *testing.T) {
	ctx := context.Background()
	// Each fake records its arguments, one per line, and prints a code.
	record := `printf '%s\n' "$@" > "$0.args"` + "\n"
	dir := binDir(t, map[string]string{
		"zenity":    record + "echo 123456\n",
		"kdialog":   record + "echo 234567\n",
		"osascript": record + "echo 345678\n",
	})
	for _, tt := range []struct {
		prompt, code string
		args         []string // that must be among the arguments
	}{
		{"zenity", "123456", []string{"--entry", "--text=Enter MFA code for " + serial}},
		{"kdialog", "234567", []string{"--inputbox", "Enter MFA code for " + serial}},
		{"osascript", "345678", []string{"Enter MFA code for " + serial}},
	} {
		t.Run(tt.prompt, func(t *testing.T) {
			src, err := prompt.Choose(prompt.Options{Env: envOf(map[string]string{"KAGI_PROMPT": tt.prompt}), OpenTTY: noTTY, Stderr: io.Discard})
			if err != nil {
				t.Fatal(err)
			}
			code, err := src.Code(ctx, prompt.Request{Serial: serial, Attempt: 1})
			if code != tt.code || err != nil {
				t.Fatalf("Code = %q, %v", code, err)
			}
			args, err := os.ReadFile(filepath.Join(dir, tt.prompt+".args"))
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(string(args), "\n")
			for _, a := range tt.args {
				if !contains(lines, a) {
					t.Errorf("%s ran with %q; want %q among them", tt.prompt, lines, a)
				}
			}
		})
	}

	t.Run("cancel", func(t *testing.T) {
		binDir(t, map[string]string{"zenity": "exit 1\n"})
		src, err := prompt.Choose(prompt.Options{Env: envOf(map[string]string{"KAGI_PROMPT": "zenity"}), OpenTTY: noTTY, Stderr: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := src.Code(ctx, prompt.Request{Serial: serial, Attempt: 1}); !errors.Is(err, prompt.ErrCancelled) {
			t.Fatalf("error %v, want ErrCancelled", err)
		}
	})

	t.Run("asks again after something that is not a code", func(t *testing.T) {
		d := binDir(t, map[string]string{"kdialog": `n=$(cat "$0.n" 2>/dev/null); echo "x$n" > "$0.n"; [ "$n" = xx ] && echo 123456 || echo nope` + "\n"})
		src, err := prompt.Choose(prompt.Options{Env: envOf(map[string]string{"KAGI_PROMPT": "kdialog"}), OpenTTY: noTTY, Stderr: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		if code, err := src.Code(ctx, prompt.Request{Serial: serial, Attempt: 1}); code != "123456" || err != nil {
			t.Fatalf("Code = %q, %v", code, err)
		}
		if n, _ := os.ReadFile(filepath.Join(d, "kdialog.n")); string(n) != "xxx\n" {
			t.Errorf("kdialog ran %q times", n)
		}
	})

	t.Run("not installed", func(t *testing.T) {
		binDir(t, nil)
		t.Setenv("PATH", t.TempDir())
		_, err := prompt.Choose(prompt.Options{Env: envOf(map[string]string{"KAGI_PROMPT": "zenity"}), OpenTTY: noTTY})
		var pe *prompt.PromptError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), `"zenity"`) || pe.Hint() == "" {
			t.Fatalf("error %v; want a *PromptError naming zenity", err)
		}
	})

	t.Run("--prompt not installed", func(t *testing.T) {
		binDir(t, nil)
		t.Setenv("PATH", t.TempDir())
		_, err := prompt.Choose(prompt.Options{Prompt: "kdialog", Env: envOf(map[string]string{"KAGI_PROMPT": "terminal"}), OpenTTY: noTTY})
		var pe *prompt.PromptError
		if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), `--prompt "kdialog": `) || !strings.Contains(pe.Hint(), "--prompt") {
			t.Fatalf("error %v; want a *PromptError naming --prompt kdialog and hinting it", err)
		}
	})

	t.Run("unknown", func(t *testing.T) {
		_, err := prompt.Choose(prompt.Options{Env: envOf(map[string]string{"KAGI_PROMPT": "pinentry"}), OpenTTY: noTTY})
		var pe *prompt.PromptError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), `"pinentry"`) || !strings.Contains(pe.Hint(), "zenity") {
			t.Fatalf("error %v; want a *PromptError listing the prompts", err)
		}
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestYkman(t *testing.T) {
	ctx := context.Background()
	dir := binDir(t, map[string]string{"ykman": `printf '%s\n' "$*" > "$0.args"; echo 'Touch your YubiKey...' >&2; echo 98765432` + "\n"})
	for _, tt := range []struct{ serial, account string }{
		{serial, "alice"},
		{"arn:aws:iam::123456789012:mfa/team/alice", "alice"},
		{"arn:aws-us-gov:iam::123456789012:mfa/bob", "bob"},
		{"GAHT12345678", "GAHT12345678"},
		{"arn:aws:iam::123456789012:u2f/user/alice/x", "arn:aws:iam::123456789012:u2f/user/alice/x"},
	} {
		if got := prompt.YkmanAccount(tt.serial); got != tt.account {
			t.Errorf("YkmanAccount(%q) = %q, want %q", tt.serial, got, tt.account)
		}
	}
	var stderr bytes.Buffer
	src, err := prompt.Choose(prompt.Options{Env: envOf(map[string]string{"KAGI_PROMPT": "ykman"}), OpenTTY: noTTY, Stderr: &stderr})
	if err != nil {
		t.Fatal(err)
	}
	code, err := src.Code(ctx, prompt.Request{Serial: serial, Attempt: 1})
	if code != "98765432" || err != nil {
		t.Fatalf("Code = %q, %v", code, err)
	}
	args, _ := os.ReadFile(filepath.Join(dir, "ykman.args"))
	if got, want := string(args), "oath accounts code --single alice\n"; got != want {
		t.Errorf("ykman ran with %q, want %q", got, want)
	}
	if !strings.Contains(stderr.String(), "Touch your YubiKey") {
		t.Errorf("ykman's stderr not passed through: %q", stderr.String())
	}

	binDir(t, map[string]string{"ykman": "echo 'Error: No matching account found.' >&2; exit 2\n"})
	src, err = prompt.Choose(prompt.Options{Env: envOf(map[string]string{"KAGI_PROMPT": "ykman"}), OpenTTY: noTTY, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Code(ctx, prompt.Request{Serial: serial, Attempt: 1}); err == nil || !strings.Contains(err.Error(), `"alice"`) {
		t.Fatalf("error %v; want it to name the OATH account", err)
	}
}

// Every source, run with stdout pointed at a pipe, writes nothing there.
func TestNothingOnStdout(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	defer func() { os.Stdout = stdout }()

	binDir(t, map[string]string{"zenity": "echo 123456\n", "ykman": "echo 123456\n"})
	tty, _ := ttyWith("123456\n")
	ctx := context.Background()
	for _, opts := range []prompt.Options{
		{Token: "123456"},
		{Env: envOf(map[string]string{"KAGI_MFA_TOKEN": "123456"})},
		{Process: "echo 123456", Env: envOf(nil)},
		{Env: envOf(map[string]string{"KAGI_PROMPT": "zenity"})},
		{Env: envOf(map[string]string{"KAGI_PROMPT": "ykman"})},
		{Env: envOf(nil), OpenTTY: tty},
	} {
		opts.Stderr = io.Discard
		if opts.OpenTTY == nil {
			opts.OpenTTY = noTTY
		}
		src, err := prompt.Choose(opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := src.Code(ctx, prompt.Request{Serial: serial, Attempt: 1}); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	os.Stdout = stdout
	out, _ := io.ReadAll(r)
	if len(out) != 0 {
		t.Fatalf("wrote %q to stdout", out)
	}
}

package prompt

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kagi-cli/kagi/internal/extcmd"
)

// maxTries is how often a person is asked again after typing something
// that is not a code, before giving up.
const maxTries = 3

func (s *staticSource) Code(context.Context, Request) (string, error) { return s.code, nil }
func (s *staticSource) Interactive() bool                             { return false }
func (s *staticSource) String() string                                { return s.origin }

// processSource runs the profile's mfa_process, as aws-vault does: through
// sh -c, its stdout (trimmed) is the code, its stderr goes to kagi's. Its
// command line is never shown: `oathtool --totp -b SEED` holds a seed.
type processSource struct {
	command string
	profile string // where mfa_process is set: its errors name it
	run     *extcmd.Runner
}

func (s *processSource) Code(ctx context.Context, req Request) (string, error) {
	profile := s.profile
	if profile == "" {
		profile = req.Profile
	}
	what := fmt.Sprintf("mfa_process of profile %q", profile)
	out, err := output(ctx, s.run, extcmd.Command{
		What:    what,
		Shell:   s.command,
		Program: fmt.Sprintf("mfa_process program of profile %q", profile),
	})
	if err != nil {
		return "", err
	}
	if !ValidCode(out) {
		return "", fmt.Errorf("%s printed no MFA code: want 6 to 8 digits on stdout", what)
	}
	return out, nil
}

func (s *processSource) Interactive() bool { return false }
func (s *processSource) String() string    { return "mfa_process" }

// terminalSource asks on the terminal, never on stdout, so it works in a
// pipe and under credential_process. The code is echoed as aws-vault does:
// it is good for one use within 30 seconds.
type terminalSource struct {
	open func() (io.ReadWriteCloser, error)
}

func (s *terminalSource) Code(ctx context.Context, req Request) (string, error) {
	tty, err := s.open()
	if err != nil {
		return "", &NoPromptError{TTYErr: err}
	}
	defer PauseOutput(ctx)()
	type result struct {
		code string
		err  error
	}
	done := make(chan result, 1)
	// Reading a terminal cannot be interrupted by a context; the read runs
	// apart, and closing the terminal on cancellation ends it.
	go func() {
		code, err := askTerminal(tty, req)
		done <- result{code, err}
	}()
	select {
	case r := <-done:
		tty.Close()
		if errors.Is(r.err, io.EOF) && Interrupted(ctx) {
			return "", fmt.Errorf("ask for the MFA code on the terminal: %w", ctx.Err())
		}
		return r.code, r.err
	case <-ctx.Done():
		tty.Close()
		return "", fmt.Errorf("ask for the MFA code on the terminal: %w", ctx.Err())
	}
}

func askTerminal(tty io.ReadWriter, req Request) (string, error) {
	if req.Attempt > 1 {
		fmt.Fprintln(tty, "That code was not accepted; wait for the next one.")
	}
	in := bufio.NewReader(tty)
	for range maxTries {
		fmt.Fprintf(tty, "Enter MFA code for %s: ", req.Serial)
		line, err := in.ReadString('\n')
		if code := strings.TrimSpace(line); ValidCode(code) {
			return code, nil
		}
		if err != nil {
			fmt.Fprintln(tty)
			return "", fmt.Errorf("read the MFA code from the terminal: %w", err)
		}
		fmt.Fprintln(tty, "That is not an MFA code: type the 6 digits your device shows.")
	}
	return "", fmt.Errorf("no MFA code after %d tries on the terminal", maxTries)
}

func (s *terminalSource) Interactive() bool { return true }
func (s *terminalSource) String() string    { return "the terminal" }

// dialogSource asks in a GUI dialog: zenity, kdialog or osascript.
type dialogSource struct {
	kind string // PromptZenity, PromptKDialog or PromptOSAScript
	path string
	run  *extcmd.Runner
}

func (s *dialogSource) args(text string) []string {
	switch s.kind {
	case PromptZenity:
		return []string{"--entry", "--title=kagi", "--text=" + text}
	case PromptKDialog:
		return []string{"--title", "kagi", "--inputbox", text}
	default: // osascript: the text goes in as an argument, so needs no quoting
		return []string{
			"-e", "on run argv",
			"-e", `return text returned of (display dialog (item 1 of argv) default answer "" with title "kagi")`,
			"-e", "end run",
			text,
		}
	}
}

func (s *dialogSource) Code(ctx context.Context, req Request) (string, error) {
	text := "Enter MFA code for " + req.Serial
	if req.Attempt > 1 {
		text = "That code was not accepted. " + text
	}
	for range maxTries {
		out, err := output(ctx, s.run, extcmd.Command{What: s.kind, Path: s.path, Args: s.args(text)})
		var ee *extcmd.Error
		if errors.As(err, &ee) && ee.ExitCode() == 1 {
			// zenity, kdialog and osascript all exit 1 on Cancel.
			return "", fmt.Errorf("%s: %w", s.kind, ErrCancelled)
		}
		if err != nil {
			return "", err
		}
		if ValidCode(out) {
			return out, nil
		}
		text = "That is not an MFA code (6 digits). Enter MFA code for " + req.Serial
	}
	return "", fmt.Errorf("no MFA code after %d tries in the %s prompt", maxTries, s.kind)
}

func (s *dialogSource) Interactive() bool { return true }
func (s *dialogSource) String() string    { return "KAGI_PROMPT=" + s.kind }

// ykmanSource reads the code from a YubiKey's OATH applet.
type ykmanSource struct {
	path string
	run  *extcmd.Runner
}

// YkmanAccount is the OATH account query ykman gets for serial: the name
// after "mfa/" of a virtual MFA device ARN, else the serial as it is.
// ykman matches the query as a substring of "issuer:name", so "alice"
// finds both an account named after the whole ARN (aws-vault's advice)
// and "Amazon Web Services:alice@123456789012" (the label of the QR code
// AWS shows); an ambiguous query makes ykman fail and say so on stderr.
func YkmanAccount(serial string) string {
	if _, rest, ok := strings.Cut(serial, ":mfa/"); ok && strings.HasPrefix(serial, "arn:") {
		if i := strings.LastIndexByte(rest, '/'); i >= 0 {
			rest = rest[i+1:]
		}
		if rest != "" {
			return rest
		}
	}
	return serial
}

func (s *ykmanSource) Code(ctx context.Context, req Request) (string, error) {
	account := YkmanAccount(req.Serial)
	out, err := output(ctx, s.run, extcmd.Command{What: "ykman", Path: s.path, Args: []string{"oath", "accounts", "code", "--single", account}})
	if err != nil {
		return "", fmt.Errorf("%w (OATH account %q)", err, account)
	}
	if !ValidCode(out) {
		return "", fmt.Errorf("ykman printed no MFA code for OATH account %q", account)
	}
	return out, nil
}

func (s *ykmanSource) Interactive() bool { return false }
func (s *ykmanSource) String() string    { return "KAGI_PROMPT=ykman" }

// maxOutput bounds what a helper's stdout can make kagi hold: a code is a
// few digits.
const maxOutput = 4096

// output runs a helper with stdin empty (a helper that needs a person
// opens the terminal itself), stderr passed on, and returns its stdout
// trimmed.
func output(ctx context.Context, run *extcmd.Runner, c extcmd.Command) (string, error) {
	c.MaxOutput = maxOutput
	out, err := run.Output(ctx, c)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

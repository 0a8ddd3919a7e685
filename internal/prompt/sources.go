package prompt

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"
)

// maxTries is how often a person is asked again after typing something
// that is not a code, before giving up.
const maxTries = 3

func (s *staticSource) Code(context.Context, Request) (string, error) { return s.code, nil }
func (s *staticSource) Interactive() bool                             { return false }
func (s *staticSource) String() string                                { return s.origin }

// processSource runs the profile's mfa_process, as aws-vault does: through
// sh -c, its stdout (trimmed) is the code, its stderr goes to kagi's.
type processSource struct {
	command string
	run     runner
}

func (s *processSource) Code(ctx context.Context, _ Request) (string, error) {
	what := fmt.Sprintf("mfa_process %q", s.command)
	out, err := s.run.output(ctx, what, "/bin/sh", "-c", s.command)
	if err != nil {
		return "", err
	}
	if !ValidCode(out) {
		return "", fmt.Errorf("%s printed no MFA code: want 6 to 8 digits on stdout", what)
	}
	return out, nil
}

func (s *processSource) Interactive() bool { return false }
func (s *processSource) String() string    { return fmt.Sprintf("mfa_process %q", s.command) }

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
	run  runner
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
		out, err := s.run.output(ctx, s.kind, s.path, s.args(text)...)
		var ee *exec.ExitError
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
	run  runner
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
	out, err := s.run.output(ctx, "ykman", s.path, "oath", "accounts", "code", "--single", account)
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

// runner runs helper commands: stdin empty (a helper that needs a person
// opens the terminal itself), stderr passed on, stdout captured and
// trimmed, the whole bounded by a timeout and ctx.
type runner struct {
	stderr  io.Writer
	timeout time.Duration
}

// maxOutput bounds what a helper's stdout can make kagi hold.
const maxOutput = 4096

func (r runner) output(ctx context.Context, what, path string, args ...string) (string, error) {
	cctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, path, args...)
	var out capped
	cmd.Stdout = &out
	cmd.Stderr = r.stderr
	// sh may leave a grandchild holding stdout after it is killed; stop
	// waiting for that pipe shortly after.
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	switch {
	case out.over && err == nil:
		return "", fmt.Errorf("%s printed more than %d bytes", what, maxOutput)
	case ctx.Err() != nil:
		return "", fmt.Errorf("%s: %w", what, ctx.Err())
	case cctx.Err() != nil:
		return "", fmt.Errorf("%s did not finish within %v", what, r.timeout)
	case err != nil:
		// The error says how it ended ("exit status 1"), never its output.
		return "", fmt.Errorf("%s failed: %w", what, err)
	}
	return strings.TrimSpace(out.String()), nil
}

// capped keeps the first maxOutput bytes written to it and notes whether
// there were more.
type capped struct {
	bytes.Buffer
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	n := len(p) // all of it is taken, kept or not
	room := maxOutput - c.Len()
	if len(p) > room {
		c.over = true
		p = p[:max(room, 0)]
	}
	c.Buffer.Write(p)
	return n, nil
}

// Package extcmd runs the external programs kagi starts on a user's behalf:
// credential_process, web_identity_token_process, mfa_process, the GUI
// prompts (zenity, kdialog, osascript) and ykman. Every one goes through
// Runner.Output, which gives each the same safety:
//
//   - a time bound (KAGI_HELPER_TIMEOUT, a Go duration, default 5m: generous,
//     since a helper may itself ask a person), after which the helper and
//     everything it started are killed (its process group on Unix, its Job
//     Object on Windows);
//   - a bounded wait for its output pipe once it has exited, so a grandchild
//     that keeps stdout open (sh -c 'sleep 1000 & echo ...') cannot hang kagi
//     while it holds the cache lock;
//   - capped stdout; stderr passed through live to the user (it is the
//     helper's own prompts and messages) and never quoted in an error;
//   - an environment without kagi's own secrets (SecretVars);
//   - errors that name what ran ("mfa_process of profile \"jump\"") and how it
//     ended, never its command line (`oathtool --totp -b SEED` holds a TOTP
//     seed) and never its output;
//   - for a command line run by the shell (Unix), a refusal to run a program
//     that another user can change (fsguard.CheckNotWritable).
package extcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/kagi-cli/kagi/internal/fsguard"
)

// TimeoutVar is the environment variable that bounds how long a helper
// may run, as a Go duration ("90s", "10m").
const TimeoutVar = "KAGI_HELPER_TIMEOUT"

// DefaultTimeout is the bound when KAGI_HELPER_TIMEOUT is unset and the
// command has none of its own: long enough for a person to find a phone,
// touch a key or type a passphrase in a helper's own prompt, short enough
// that a wedged helper does not hold a CI job (and the cache lock every
// other kagi waits on) for ever.
const DefaultTimeout = 5 * time.Minute

// waitDelay is how long kagi waits for a helper's output pipes to close
// after the helper exited (or was killed): a grandchild that inherited them
// must not keep kagi waiting.
const waitDelay = time.Second

// DefaultMaxOutput bounds a helper's stdout when the command sets no bound.
const DefaultMaxOutput = 64 << 10

// secretVars hold kagi's own secrets. No program kagi starts gets them:
// a command handed a one-hour role session must not be able to run
// `kagi export jump --no-session` with the inherited passphrase and read
// the long-term keys.
var secretVars = [...]string{"KAGI_FILE_PASSPHRASE", "KAGI_MFA_TOKEN"}

// SecretVars returns the names of the environment variables that no
// program kagi starts may see: the children of exec (every mode) and every
// helper.
func SecretVars() []string { return secretVars[:] }

// IsSecretVar reports whether the environment variable name holds one of
// kagi's own secrets.
func IsSecretVar(name string) bool { return isSecretVar(runtime.GOOS, name) }

func isSecretVar(goos, name string) bool {
	for _, s := range secretVars {
		if sameEnvName(goos, name, s) {
			return true
		}
	}
	return false
}

// SameEnvName reports whether a and b name the same environment variable:
// on Windows names are case-insensitive, so kagi_file_passphrase, which
// kagi itself reads as KAGI_FILE_PASSPHRASE there, is the same secret.
func SameEnvName(a, b string) bool { return sameEnvName(runtime.GOOS, a, b) }

func sameEnvName(goos, a, b string) bool {
	if goos == "windows" {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// CleanEnv returns environ (NAME=value entries) without kagi's secrets.
func CleanEnv(environ []string) []string { return cleanEnv(runtime.GOOS, environ) }

func cleanEnv(goos string, environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !isSecretVar(goos, name) {
			out = append(out, kv)
		}
	}
	return out
}

// lookup returns the value of the last NAME= entry of environ, as exec
// and the shell resolve duplicates (any case of NAME on Windows).
func lookup(environ []string, name string) (string, bool) {
	v, ok := "", false
	for _, kv := range environ {
		if n, val, _ := strings.Cut(kv, "="); SameEnvName(n, name) {
			v, ok = val, true
		}
	}
	return v, ok
}

// Command is one program to run.
type Command struct {
	// What names the command in errors: the setting and the profile, as
	// `mfa_process of profile "jump"`, or the prompt, as "zenity". Never
	// the command line, which can hold a secret.
	What string
	// Hint is the next step when the command fails (for errors' Hint), or
	// "".
	Hint string
	// Shell is a command line run with /bin/sh -c, as aws-vault and the
	// AWS SDKs run credential_process and mfa_process on Unix; on Windows
	// it is split into words as the AWS CLI splits it there and run
	// without a shell (shellArgv). On Unix the program it names (its first
	// word) is found as the shell would find it and refused when another
	// user can change it; Program names it in that error. Either Shell or
	// Path is set.
	Shell   string
	Program string // what the program is to kagi: "mfa_process program"
	// Path and Args are a program to run directly (a GUI prompt, ykman).
	Path string
	Args []string
	// MaxOutput bounds stdout (0 = DefaultMaxOutput): a helper that prints
	// more is stopped and its run fails.
	MaxOutput int
	// Timeout bounds the run when KAGI_HELPER_TIMEOUT is unset (0 =
	// DefaultTimeout).
	Timeout time.Duration
}

// Runner runs Commands. The zero Runner runs them with an empty
// environment and their stderr on the process's own.
type Runner struct {
	// Environ returns the environment helpers start from (NAME=value);
	// kagi's secrets are removed from it. nil: an empty environment.
	Environ func() []string
	// Stderr receives the helpers' standard error as they write it (nil =
	// os.Stderr, so a helper's prompts reach the user). Nothing of it is
	// kept or quoted.
	Stderr io.Writer
	// Timeout, when set, bounds every run, before KAGI_HELPER_TIMEOUT and
	// Command.Timeout.
	Timeout time.Duration

	// ownGroup makes every child the leader of a process group of its own,
	// even in the foreground of a terminal (tests).
	ownGroup bool
}

// Error is a helper that could not run or did not end well. Its message
// names the helper (Command.What) and how it ended; it never holds the
// command line or anything the helper printed.
type Error struct {
	What    string
	Problem string // "timed out after 5m0s", "exited with status 3", ...
	Next    string
	// Timeout is set when the helper was stopped after this long.
	Timeout time.Duration
	Err     error // *exec.ExitError, the context's error, or why it could not start
}

func (e *Error) Error() string { return e.What + " " + e.Problem }
func (e *Error) Unwrap() error { return e.Err }
func (e *Error) Hint() string  { return e.Next }

// ExitCode is the helper's exit status, or -1 when it did not exit by
// itself.
func (e *Error) ExitCode() int {
	var ee *exec.ExitError
	if errors.As(e.Err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// timeout is the bound for c: Runner.Timeout, else KAGI_HELPER_TIMEOUT,
// else c.Timeout, else DefaultTimeout.
func (r *Runner) timeout(environ []string, c Command) (time.Duration, error) {
	if r.Timeout > 0 {
		return r.Timeout, nil
	}
	if v, ok := lookup(environ, TimeoutVar); ok && v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return 0, &TimeoutVarError{Value: v}
		}
		return d, nil
	}
	if c.Timeout > 0 {
		return c.Timeout, nil
	}
	return DefaultTimeout, nil
}

// TimeoutVarError refuses a KAGI_HELPER_TIMEOUT that is not a positive
// duration.
type TimeoutVarError struct{ Value string }

func (e *TimeoutVarError) Error() string {
	return fmt.Sprintf("%s=%q is not a duration", TimeoutVar, e.Value)
}

func (e *TimeoutVarError) Hint() string {
	return fmt.Sprintf("set %s to a Go duration such as 90s or 10m (default %s), or unset it", TimeoutVar, DefaultTimeout)
}

// Output runs c with stdin empty (a helper that needs a person opens the
// terminal itself) and returns what it printed on stdout, once it exited
// with status 0. Errors are *Error, *TimeoutVarError or, for a program
// another user can change, *fsguard.WritableError.
func (r *Runner) Output(ctx context.Context, c Command) ([]byte, error) {
	var environ []string
	if r.Environ != nil {
		environ = CleanEnv(r.Environ())
	}
	timeout, err := r.timeout(environ, c)
	if err != nil {
		return nil, err
	}
	fail := func(problem string, err error) *Error {
		return &Error{What: c.What, Problem: problem, Next: c.Hint, Err: err}
	}

	path, args := c.Path, c.Args
	if c.Shell != "" {
		if path, args, err = shellArgv(runtime.GOOS, c.Shell); err != nil {
			return nil, fail("could not be started: "+err.Error(), err)
		}
		// On Windows ACLs, not mode bits, say who may change a file, and
		// fsguard does not read them (fsguard_windows.go).
		if prog := Program(c.Shell, environ); prog != "" && runtime.GOOS != "windows" {
			what := c.Program
			if what == "" {
				what = "program"
			}
			if err := fsguard.CheckNotWritable(prog, what); fsguard.IsRefusal(err) {
				return nil, err
			}
		}
	}

	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, path, args...)
	cmd.Env = environ
	if cmd.Env == nil {
		cmd.Env = []string{} // nil would mean kagi's own environment
	}
	limit := c.MaxOutput
	if limit <= 0 {
		limit = DefaultMaxOutput
	}
	out := &capWriter{max: limit, over: cancel}
	cmd.Stdout = out
	// Through a pipe, never the descriptor itself: a grandchild that
	// inherits it could otherwise hold kagi's own stderr open, and with it
	// whoever waits for kagi's output (botocore reads credential_process's
	// stderr to the end). The pipe is closed with stdout's after WaitDelay.
	stderr := r.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	cmd.Stderr = passWriter{stderr}
	cmd.WaitDelay = waitDelay
	g := startGroup(cmd, r.ownGroup)
	defer g.close()

	if err = cmd.Start(); err == nil {
		g.started(cmd.Process)
		err = cmd.Wait()
	}
	switch {
	case out.exceeded:
		return nil, fail(fmt.Sprintf("printed more than %d bytes", limit), nil)
	case ctx.Err() != nil:
		return nil, fail("was stopped: "+ctx.Err().Error(), ctx.Err())
	case cctx.Err() != nil:
		e := fail(fmt.Sprintf("timed out after %s", timeout), nil)
		e.Timeout = timeout
		e.Next = fmt.Sprintf("a helper is stopped after %s (%s): run it by hand to see what it waits for, or set %s higher", TimeoutVar, timeout, TimeoutVar)
		return nil, e
	case errors.Is(err, exec.ErrWaitDelay):
		// It exited with status 0, but something it started still holds
		// its stdout: what it printed before it exited is its answer.
	case err != nil:
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return nil, fail("could not be started: "+startError(err), err)
		}
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return nil, fail(fmt.Sprintf("was killed by signal %d (%s)", int(ws.Signal()), ws.Signal()), err)
		}
		// Its own messages went to the user's stderr as it wrote them;
		// they are not repeated here, where they could leak what the
		// command line holds.
		return nil, fail(fmt.Sprintf("exited with status %d; its error output, if any, is above", ee.ExitCode()), err)
	}
	return out.buf, nil
}

// startError is why a program could not start, without its arguments.
func startError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Path + ": " + pe.Err.Error()
	}
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Error()
	}
	return err.Error()
}

// passWriter hides what kind of writer w is, so exec copies through a pipe.
type passWriter struct{ w io.Writer }

// Write never fails: a helper must not be cut off because the user's
// stderr went away.
func (p passWriter) Write(b []byte) (int, error) {
	_, _ = p.w.Write(b)
	return len(b), nil
}

// capWriter keeps up to max bytes; one more byte stops the run (over), so
// a helper that prints without end is killed rather than waited for.
type capWriter struct {
	buf      []byte
	max      int
	exceeded bool
	over     func()
}

func (w *capWriter) Write(p []byte) (int, error) {
	if len(w.buf)+len(p) > w.max {
		w.exceeded = true
		w.over()
		return 0, errors.New("output too long")
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}

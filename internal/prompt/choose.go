package prompt

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/kagi-cli/kagi/internal/extcmd"
)

// Options are what Choose needs to pick a source. A nil hook means the
// real thing.
type Options struct {
	Token string                      // --mfa-token
	Env   func(string) (string, bool) // nil = os.LookupEnv
	// Prompt is --prompt: the prompt to ask with, which beats KAGI_PROMPT
	// ("" = KAGI_PROMPT, else the terminal).
	Prompt         string
	Process        string // the profile's mfa_process
	ProcessProfile string // the profile mfa_process was found in, for its errors
	// Environ is the environment mfa_process and the prompt helpers start
	// from (nil = os.Environ); kagi's own secrets are removed from it and
	// KAGI_HELPER_TIMEOUT in it bounds them (extcmd).
	Environ func() []string
	// Stderr receives the stderr of mfa_process and helpers (nil =
	// os.Stderr). Nothing is ever written to stdout.
	Stderr io.Writer
	// OpenTTY opens the terminal for reading and writing (nil =
	// OpenTerminal: /dev/tty, or CONIN$ and CONOUT$ on Windows).
	OpenTTY func() (io.ReadWriteCloser, error)
	// LookPath finds a helper program (nil = exec.LookPath).
	LookPath func(file string) (string, error)
	// Timeout, when set, bounds mfa_process and helper commands instead of
	// KAGI_HELPER_TIMEOUT (default extcmd.DefaultTimeout).
	Timeout time.Duration
}

// Prompts that KAGI_PROMPT and --prompt may name.
const (
	PromptTerminal  = "terminal"
	PromptZenity    = "zenity"
	PromptKDialog   = "kdialog"
	PromptOSAScript = "osascript"
	PromptYkman     = "ykman"
)

// Kinds are the prompts KAGI_PROMPT and --prompt may name, in the order
// help and completion list them.
func Kinds() []string {
	return []string{PromptTerminal, PromptZenity, PromptKDialog, PromptOSAScript, PromptYkman}
}

// ValidCode reports whether s looks like an MFA code: 6 digits from an
// authenticator app, up to 8 from some hardware tokens.
func ValidCode(s string) bool {
	if len(s) < 6 || len(s) > 8 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// NoPromptError says there is no way to get an MFA code: no flag, no
// environment variable, no mfa_process, no KAGI_PROMPT and no terminal.
type NoPromptError struct {
	TTYErr error // why the terminal could not be opened
}

func (e *NoPromptError) Error() string {
	return fmt.Sprintf("an MFA code is needed and there is no terminal to ask on: %v", e.TTYErr)
}

func (e *NoPromptError) Unwrap() error { return e.TTYErr }

// Hint names every way to supply a code without a terminal.
func (e *NoPromptError) Hint() string {
	return "pass --mfa-token CODE, set KAGI_MFA_TOKEN, add mfa_process to the profile, or set KAGI_PROMPT to zenity, kdialog, osascript or ykman"
}

// PromptError refuses a KAGI_PROMPT that names an unknown or missing
// prompt.
type PromptError struct {
	Prompt string // the value of KAGI_PROMPT or --prompt
	Flag   bool   // it came from --prompt
	Err    error
}

func (e *PromptError) Error() string {
	if e.Flag {
		return fmt.Sprintf("--prompt %q: %v", e.Prompt, e.Err)
	}
	return fmt.Sprintf("KAGI_PROMPT=%q: %v", e.Prompt, e.Err)
}

func (e *PromptError) Unwrap() error { return e.Err }

func (e *PromptError) Hint() string {
	if e.Flag {
		return "pass --prompt terminal, zenity, kdialog, osascript or ykman (installed and in PATH), or leave it out to ask on the terminal"
	}
	return "set KAGI_PROMPT to terminal, zenity, kdialog, osascript or ykman (installed and in PATH), or unset it to ask on the terminal"
}

// ErrCancelled is wrapped by the error of a GUI prompt the user closed.
var ErrCancelled = errors.New("the MFA prompt was cancelled")

// Choose returns the first source that applies, in the order of DESIGN.md:
// --mfa-token, KAGI_MFA_TOKEN, mfa_process, the prompt named by --prompt,
// else KAGI_PROMPT, the terminal. With none it fails at once with a *NoPromptError; it never
// waits for input.
func Choose(opts Options) (Source, error) {
	env := opts.Env
	if env == nil {
		env = os.LookupEnv
	}
	if opts.Token != "" {
		return newStatic(opts.Token, "--mfa-token")
	}
	if v, _ := env("KAGI_MFA_TOKEN"); v != "" {
		return newStatic(strings.TrimSpace(v), "KAGI_MFA_TOKEN")
	}
	r := &extcmd.Runner{Environ: opts.Environ, Stderr: opts.Stderr, Timeout: opts.Timeout}
	if r.Environ == nil {
		r.Environ = os.Environ
	}
	if strings.TrimSpace(opts.Process) != "" {
		return &processSource{command: opts.Process, profile: opts.ProcessProfile, run: r}, nil
	}
	open := opts.OpenTTY
	if open == nil {
		open = openDevTTY
	}
	p, flag := opts.Prompt, opts.Prompt != ""
	if !flag {
		p, _ = env("KAGI_PROMPT")
	}
	if p != "" && p != PromptTerminal {
		lookPath := opts.LookPath
		if lookPath == nil {
			lookPath = exec.LookPath
		}
		switch p {
		case PromptZenity, PromptKDialog, PromptOSAScript, PromptYkman:
		default:
			return nil, &PromptError{Prompt: p, Flag: flag, Err: errors.New("not a prompt kagi knows")}
		}
		path, err := lookPath(p)
		if err != nil {
			return nil, &PromptError{Prompt: p, Flag: flag, Err: fmt.Errorf("%q is not installed or not in PATH", p)}
		}
		if p == PromptYkman {
			return &ykmanSource{path: path, run: r}, nil
		}
		return &dialogSource{kind: p, path: path, run: r}, nil
	}
	// Open the terminal now, so that a process without one fails before
	// anything else happens; Code opens it again when it asks.
	tty, err := open()
	if err != nil {
		return nil, &NoPromptError{TTYErr: err}
	}
	tty.Close()
	return &terminalSource{open: open}, nil
}

func openDevTTY() (io.ReadWriteCloser, error) { return OpenTerminal() }

// Given reports whether src's code was given up front (--mfa-token,
// KAGI_MFA_TOKEN): reading it asks nobody and runs nothing, and another
// process may have been given another code.
func Given(src Source) bool {
	_, ok := src.(*staticSource)
	return ok
}

// staticSource is a code given up front: --mfa-token or KAGI_MFA_TOKEN.
type staticSource struct {
	code   string
	origin string
}

func newStatic(code, origin string) (Source, error) {
	if !ValidCode(code) {
		// Never echo the value: it is a (possibly mistyped) code.
		return nil, fmt.Errorf("%s is not an MFA code: want 6 to 8 digits", origin)
	}
	return &staticSource{code: code, origin: origin}, nil
}

// Package cli is kagi's command line: one file per command, each turning
// flags into an options struct and calling a run function. Only this package
// knows about cobra, exit codes and hints.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/debug"
	"github.com/kagi-cli/kagi/internal/keyring"
	"github.com/kagi-cli/kagi/internal/termtext"
)

// Exit codes, as documented in every command's help.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
	// ExitInterrupted is the shell's code for SIGINT.
	ExitInterrupted = 130
)

// IO is everything a command reads from or writes to outside its arguments.
// Tests build one by hand; SystemIO returns the real one.
type IO struct {
	In       io.Reader
	Out      io.Writer
	Err      io.Writer
	OutIsTTY bool
	// InIsTTY: stdin is a terminal, where a person types (the profile
	// picker is shown only then).
	InIsTTY bool
	// ErrIsTTY: stderr is a terminal, where a person reads what kagi says
	// (exec's line before a shell).
	ErrIsTTY bool
	// OutWidth is the terminal's width in columns when stdout is one (0:
	// unknown, 80 assumed). Called only by the commands that lay out a
	// table, so that the warm path asks nothing more of the terminal.
	OutWidth func() int
	// LookupEnv reads the environment (os.LookupEnv, or a map in tests).
	LookupEnv func(string) (string, bool)
	// Environ is the whole environment, NAME=value (os.Environ), that the
	// programs kagi starts inherit, less kagi's secrets. nil: empty.
	Environ func() []string
	Now     func() time.Time
	// Getwd is the working directory (nil: os.Getwd), where kagi use
	// looks for a .aws-profile.
	Getwd func() (string, error)
}

// SystemIO is the process's own standard streams and environment.
func SystemIO() *IO {
	return &IO{
		In:        os.Stdin,
		Out:       os.Stdout,
		Err:       os.Stderr,
		OutIsTTY:  term.IsTerminal(int(os.Stdout.Fd())),
		InIsTTY:   term.IsTerminal(int(os.Stdin.Fd())),
		ErrIsTTY:  term.IsTerminal(int(os.Stderr.Fd())),
		OutWidth:  stdoutWidth,
		LookupEnv: os.LookupEnv,
		Environ:   os.Environ,
		Now:       time.Now,
	}
}

// stdoutWidth is the width of the terminal on stdout, 0 when unknown.
func stdoutWidth() int {
	w, _, err := term.GetSize(int(os.Stdout.Fd()))
	if err != nil {
		return 0
	}
	return w
}

// Main runs kagi with args (without the program name) and returns the exit
// code. It is the only place errors become exit codes and hint lines.
func Main(ctx context.Context, args []string, io *IO) int {
	app := &app{io: io}
	root := app.rootCommand(args)
	root.SetArgs(args)
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.Err)
	cmd, err := root.ExecuteContextC(ctx)
	if err != nil && cmd != nil && cmd != root {
		err = &inCommand{err: err, path: cmd.CommandPath()}
	}
	var ee *exitError
	if err != nil && !errors.As(err, &ee) && ctx.Err() != nil {
		// Interrupted (SIGINT/SIGTERM) while kagi itself was working.
		fmt.Fprintln(io.Err, "kagi: interrupted")
		return ExitInterrupted
	}
	return report(io.Err, err)
}

// app holds what every command shares: IO and the global flags.
type app struct {
	io       *IO
	debug    bool
	backend  string
	mu       sync.Mutex      // guards the lazily made fields below
	kr       keyring.Keyring // opened lazily by keyring()
	store    cache.Store     // opened by cache()
	debugLog *debug.Log      // made by log()
	warnings warnings        // printed once each per run
	ssoState                 // the IAM Identity Center token getter, built by ssoTokens
	// optionsHook, when set, receives each command's options instead of
	// the command running: the argv → options tests use it.
	optionsHook func(opts any) error
}

// log is the --debug log, nil (discarding) when --debug is off. It is one
// Log for the whole run, so a secret registered anywhere is redacted
// everywhere.
func (a *app) log() *debug.Log {
	if !a.debug {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.debugLog == nil {
		a.debugLog = debug.New(currentErr{a})
	}
	return a.debugLog
}

// currentErr writes to a.io.Err as it is at each write: while the runs of
// exec --profiles go on, kagi's own lines go through its console (which
// clears the progress line first), also those of a log made before.
type currentErr struct{ a *app }

func (w currentErr) Write(p []byte) (int, error) { return w.a.io.Err.Write(p) }

// rootCommand builds kagi's command tree for args. When args plainly name
// one command (no help asked for), only that one is built: credential-process
// and exec run on every call of the tools kagi serves, and building the
// other commands and their flags is a tenth of a warm run's work. Help,
// completion and mistakes get the whole tree.
func (a *app) rootCommand(args []string) *cobra.Command {
	root := &cobra.Command{
		Use:   "kagi",
		Short: "AWS temporary credentials through assume-role with MFA, for any tool",
		Long: `kagi gets AWS temporary credentials through assume-role with MFA and hands
them to any tool: Terraform, Ansible and boto3, the AWS CLI, every SDK. One MFA
code per working day, no plaintext long-term keys on disk, and the same profiles
in ~/.aws/config that the AWS CLI already reads.`,
		SilenceErrors:     true,
		SilenceUsage:      true,
		DisableAutoGenTag: true,
	}
	root.PersistentFlags().BoolVar(&a.debug, "debug", false, "explain each step on stderr (secrets redacted)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErrorf("%v", err) })
	root.SetHelpCommand(&cobra.Command{Hidden: true})
	root.SetUsageTemplate(root.UsageTemplate() + exitCodesHelp)
	root.PersistentFlags().StringVar(&a.backend, "backend", "", "keyring backend: file, secret-service, keychain, wincred, kwallet, pass, keyctl (else KAGI_BACKEND, else the OS default)")
	builders := map[string]func() *cobra.Command{
		"add":                a.addCommand,
		"remove":             a.removeCommand,
		"rotate":             a.rotateCommand,
		"list":               a.listCommand,
		"exec":               a.execCommand,
		"export":             a.exportCommand,
		"credential-process": a.credentialProcessCommand,
		"write-credentials":  a.writeCredentialsCommand,
		"server":             a.serverCommand,
		"clear":              a.clearCommand,
		"version":            a.versionCommand,
		"doctor":             a.doctorCommand,
		"sso":                func() *cobra.Command { return newSSOCmd(a) },
		"login":              a.loginCommand,
		"shell-init":         a.shellInitCommand,
		"use":                a.useCommand,
		"prompt":             a.promptCommand,
	}
	if build, ok := builders[plainCommand(args)]; ok {
		root.AddCommand(build())
		return root
	}
	for _, name := range []string{"add", "remove", "rotate", "list", "exec", "export", "credential-process", "write-credentials", "server", "clear", "version", "doctor", "sso", "login", "use", "shell-init", "prompt"} {
		root.AddCommand(builders[name]())
	}
	// kagi --version and -v, as kagi version: cobra's flag on the root
	// only, so only here, where a flag comes first (the one-command trees
	// above, the warm path's, neither need it nor read the build info).
	root.Version = versionLine()
	root.SetVersionTemplate("{{.Version}}\n")
	root.InitDefaultCompletionCmd()
	a.strictCompletion(root)
	a.completeFlagValues(root)
	return root
}

// plainCommand is the command args name when kagi can build that one alone:
// the first argument, with no help flag before "--". Otherwise "".
func plainCommand(args []string) string {
	if len(args) == 0 {
		return ""
	}
	for _, arg := range args {
		if arg == "--" {
			break
		}
		if arg == "-h" || arg == "--help" || arg == "help" {
			return ""
		}
	}
	return args[0]
}

const exitCodesHelp = `
Exit codes: 0 success, 1 error, 2 usage error, 130 interrupted; exec returns
the command's own code (128+N when it died of signal N), 127 when there is
no such command and 126 when it cannot be run.
`

// profileArg checks a command's one PROFILE argument, in place of
// cobra.ExactArgs(1) (need != "") or cobra.MaximumNArgs(1) (need == ""),
// whose "accepts 1 arg(s), received 0" says neither what is missing nor
// how to call the command: need names the profile the command wants (kagi
// add needs "the profile whose keys to store").
func profileArg(need string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		usage := cmd.Use
		if cmd.HasParent() {
			usage = cmd.Parent().CommandPath() + " " + usage
		}
		switch {
		case len(args) == 0 && need != "":
			return usageErrorf("%s needs %s: %s", cmd.CommandPath(), need, usage)
		case len(args) > 1 && need != "":
			return usageErrorf("%s takes one PROFILE, got %d: %q", cmd.CommandPath(), len(args), args)
		case len(args) > 1:
			return usageErrorf("%s takes at most one PROFILE, got %d: %q", cmd.CommandPath(), len(args), args)
		}
		return nil
	}
}

// dispatch runs f(opts), or hands opts to the test hook.
func dispatch[T any](a *app, opts T, f func(T) error) error {
	if a.optionsHook != nil {
		return a.optionsHook(opts)
	}
	return f(opts)
}

// run adapts a command's run function for cobra: errors it returns are
// marked as runtime errors, so that report can tell them from the usage
// errors cobra produces itself (unknown command or flag, wrong arguments).
func run(f func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := f(cmd, args); err != nil {
			return &runError{err}
		}
		return nil
	}
}

type runError struct{ err error }

func (e *runError) Error() string { return e.err.Error() }
func (e *runError) Unwrap() error { return e.err }

// usageError is a mistake in how kagi was called: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// exitError carries a child's exit code through to Main unchanged; it
// prints nothing.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// hintError adds a next step to an error.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }
func (e *hintError) Hint() string  { return e.hint }

// inCommand marks an error with the command it came from, so that a usage
// error points at that command's help rather than kagi's whole list.
type inCommand struct {
	err  error
	path string // "kagi exec"
}

func (e *inCommand) Error() string { return e.err.Error() }
func (e *inCommand) Unwrap() error { return e.err }

// usageHint is the hint line of a usage error: the help of the command it
// came from (err wrapped in *inCommand), else kagi's own.
func usageHint(err error) string {
	path := "kagi"
	var ic *inCommand
	if errors.As(err, &ic) && ic.path != "" {
		path = ic.path
	}
	return fmt.Sprintf("kagi: hint: run '%s --help' for usage", path)
}

// hinter is implemented by errors that know the user's next step.
type hinter interface{ Hint() string }

// printError prints err as "kagi: error: ..." and its hint as "kagi:
// hint: ...". An error quotes what kagi did not write (a config value, a
// path, a service's answer), so both go through termtext: no escape
// sequence reaches the terminal.
func printError(w io.Writer, err error) {
	fmt.Fprintf(w, "kagi: error: %s\n", termtext.Lines(suggestionsOnOneLine(err.Error())))
	var h hinter
	if errors.As(err, &h) && h.Hint() != "" {
		fmt.Fprintf(w, "kagi: hint: %s\n", termtext.Lines(h.Hint()))
	}
}

// suggestionsOnOneLine turns cobra's `unknown command "exce" for
// "kagi"\n\nDid you mean this?\n\texec\n` into one line, as every other
// error is: `unknown command "exce" for "kagi"; did you mean "exec"?`.
func suggestionsOnOneLine(msg string) string {
	head, tail, ok := strings.Cut(msg, "\n\nDid you mean this?\n")
	if !ok {
		return msg
	}
	var names []string
	for _, l := range strings.Split(tail, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			names = append(names, strconv.Quote(l))
		}
	}
	if len(names) == 0 {
		return head
	}
	return head + "; did you mean " + strings.Join(names, " or ") + "?"
}

// report prints err as "kagi: error: ..." plus "kagi: hint: ..." lines and
// returns the exit code it maps to.
func report(w io.Writer, err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	printError(w, err)
	var cr *cannotRunError // exec's 126 and 127
	if errors.As(err, &cr) {
		return cr.ExitCode()
	}
	var re *runError
	var ue *usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintln(w, usageHint(err))
		return ExitUsage
	case errors.As(err, &re):
		return ExitError
	default:
		// Anything cobra rejected before a command ran.
		fmt.Fprintln(w, usageHint(err))
		return ExitUsage
	}
}

// strictCompletion makes `kagi completion tcsh` a usage error: cobra's own
// completion command prints its help and exits 0 for a shell it lacks.
func (a *app) strictCompletion(root *cobra.Command) {
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("name a shell: bash, zsh, fish or powershell")
			}
			return usageErrorf("no completion for shell %q: choose bash, zsh, fish or powershell", args[0])
		}
	}
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/kagi-cli/kagi/internal/creds"
	"github.com/kagi-cli/kagi/internal/extcmd"
)

type execOptions struct {
	Many    manyOptions // --profiles / --all-roles: one command in many profiles
	Profile string
	Command []string // empty: $SHELL
	Creds   credFlags
	// Server: serve credentials to CMD from a loopback endpoint that
	// refreshes them, instead of putting keys in its environment.
	Server bool
}

func (a *app) execCommand() *cobra.Command {
	var opts execOptions
	var many manyOptions // set into opts.Many only with --profiles/--all-roles
	cmd := &cobra.Command{
		Use:   "exec [flags] [PROFILE [flags]] [[--] CMD [ARGS...]]",
		Short: "Run a command with temporary credentials in its environment",
		Long: `Run CMD (default: $SHELL; on Windows %ComSpec%) with the profile's temporary credentials in its
environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
AWS_CREDENTIAL_EXPIRATION, AWS_REGION and AWS_DEFAULT_REGION (when a region is
known) and KAGI_PROFILE. Credentials and profile selectors inherited from
kagi's own environment (AWS_PROFILE, AWS_ROLE_ARN, ...) are removed.

kagi's flags go before CMD, before or after PROFILE; from CMD's name on,
every argument is CMD's own, flags included: in kagi exec prod aws s3 ls
--region eu-west-3 the region is aws's. A "--" before CMD ends kagi's
flags too; it is needed without PROFILE (kagi exec -- terraform plan, or
the first word is taken for PROFILE), but not with --profiles or
--all-roles, which take no PROFILE.

Without PROFILE, AWS_PROFILE names it; with neither, kagi works from the
environment alone (keys in the environment, a role from --role-arn or
AWS_ROLE_ARN). With neither and none of those variables either, at a
terminal kagi offers the profiles to choose from, filtered as you type
(arrows, Ctrl-N/Ctrl-P or Tab move, Enter chooses, Esc cancels); in a pipe,
in CI (CI set) or with KAGI_NO_PICKER=1 it fails at once as before.

With --server, CMD gets no keys: kagi serves the credentials from 127.0.0.1
in the ECS container format and sets AWS_CONTAINER_CREDENTIALS_FULL_URI and
AWS_CONTAINER_AUTHORIZATION_TOKEN (a random token the endpoint requires).
SDKs fetch credentials again before they expire, so runs longer than a role
session keep working: kagi refreshes the role from the cached MFA session,
and asks for a new MFA code (mfa_process, KAGI_PROMPT or the terminal) only
when that session ends. kagi stays beside CMD and stops serving when it exits.

With --profiles PATTERN[,PATTERN...] (globs over profile names) or
--all-roles, CMD runs once per profile with that profile's credentials,
--parallel at a time, after one MFA session serves them all. Output lines are
prefixed with the profile (or go to --output-dir/PROFILE.log); a summary
(profile, exit code, time) follows; with --json it is JSON on stdout and the
output lines go to stderr. Ctrl-C
stops launching and still prints the summary.

Exit codes: CMD's own exit code; 128+N when CMD died of signal N; 127 when
CMD does not exist, 126 when it cannot be run (not executable), as shells
do; 1 when kagi could not get credentials; 2 for a usage error. With --profiles
or --all-roles: 0 only when every run succeeded, else 1; 130 if interrupted.`,
		Example: `  kagi exec prod terraform apply
  kagi exec prod aws sts get-caller-identity --query Arn   # --query is aws's
  kagi exec prod --region eu-west-3 -- aws s3 ls           # --region is kagi's
  kagi exec --server prod terraform apply    # longer than the role's session
  kagi exec --profiles 'prod-*' terraform plan   # every account, one MFA code
  kagi exec --role-arn arn:aws:iam::123456789012:role/deploy -u ./deploy.sh`,
		ValidArgsFunction: a.completeExec,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			manyBefore := len(many.Patterns) > 0 || many.AllRoles
			var err error
			opts.Profile, opts.Command, err = splitProfileCommand(cmd, args, manyBefore)
			if err != nil {
				return err
			}
			if help, _ := cmd.Flags().GetBool("help"); help {
				return cmd.Help() // kagi exec prod --help
			}
			if len(many.Patterns) > 0 || many.AllRoles {
				if opts.Profile != "" || opts.Server {
					return usageErrorf("--profiles and --all-roles take no PROFILE and no --server")
				}
				if len(opts.Command) == 0 {
					return usageErrorf("--profiles and --all-roles need the command to run: kagi exec --profiles PATTERN CMD [ARGS...]")
				}
				opts.Many = many
				opts.Many.Command, opts.Many.Creds = opts.Command, opts.Creds
			} else if f := manyOnlyFlag(cmd); f != "" {
				return usageErrorf("--%s goes with --profiles or --all-roles", f)
			}
			return dispatch(a, opts, func(o execOptions) error { return a.runExec(cmd.Context(), o) })
		}),
	}
	// As sudo, env and aws-vault exec: kagi's flags come before the
	// command, and from the command's name on every argument is the
	// command's own (kagi exec prod aws sts get-caller-identity --query
	// Arn). cobra parses the flags before PROFILE, splitProfileCommand
	// those between PROFILE and the command; "--" may still mark where
	// the command starts.
	cmd.Flags().SetInterspersed(false)
	opts.Creds.register(cmd)
	cmd.Flags().BoolVar(&opts.Server, "server", false, "serve refreshing credentials to CMD from a loopback endpoint instead of keys in its environment")
	fs := cmd.Flags()
	fs.StringSliceVar(&many.Patterns, "profiles", nil, "run CMD once in each profile matching these globs (comma-separated)")
	fs.BoolVar(&many.AllRoles, "all-roles", false, "run CMD once in every profile that assumes a role (IAM Identity Center profiles included)")
	fs.IntVar(&many.Parallel, "parallel", 8, "with --profiles/--all-roles: how many run at once")
	fs.StringVar(&many.OutputDir, "output-dir", "", "with --profiles/--all-roles: one PROFILE.log file per profile instead of prefixed lines")
	fs.BoolVar(&many.FailFast, "fail-fast", false, "with --profiles/--all-roles: start no more runs after the first failure")
	fs.BoolVar(&many.JSON, "json", false, "with --profiles/--all-roles: print the summary as JSON on stdout")
	return cmd
}

// splitProfileCommand reads what follows kagi's flags, args as cobra left
// them: flag parsing stopped at the first argument that is no flag, or
// consumed a "--" before it. That argument is PROFILE, unless there is none
// (--profiles, --all-roles: noProfile) or "--" came first (kagi exec --
// CMD); then all of args is the command. After PROFILE, kagi's flags again
// (parsed here, with exec's own flag set, so they mean what they mean
// before PROFILE and a mistake is a usage error), up to the command's name
// or a "--"; from there on everything is the command's.
func splitProfileCommand(cmd *cobra.Command, args []string, noProfile bool) (profile string, command []string, err error) {
	if noProfile || cmd.ArgsLenAtDash() == 0 || len(args) == 0 {
		return "", args, nil
	}
	fs := cmd.Flags()
	if err := fs.Parse(args[1:]); err != nil {
		return "", nil, cmd.FlagErrorFunc()(cmd, err)
	}
	return args[0], fs.Args(), nil
}

func (a *app) runExec(ctx context.Context, opts execOptions) error {
	if p, ok := a.io.LookupEnv("KAGI_PROFILE"); ok && p != "" {
		return &hintError{
			err:  fmt.Errorf("already in a kagi session (KAGI_PROFILE=%q)", p),
			hint: a.nestHint(),
		}
	}
	if len(opts.Many.Patterns) > 0 || opts.Many.AllRoles {
		return a.runExecMany(ctx, opts.Many)
	}
	// The command first: a typo costs no MFA code and no STS call.
	argv, path, err := a.execArgv(opts.Command)
	if err != nil {
		return err
	}
	if opts.Profile, err = a.profileOrPick(ctx, opts.Profile, opts.Creds); err != nil {
		return err
	}
	if opts.Server {
		return a.runExecServer(ctx, opts)
	}
	got, err := a.retrieve(ctx, opts.Profile, opts.Creds)
	if err != nil {
		return err
	}
	env := childEnv(a.environ(), got.Credentials, got.Chain.Region, got.Chain.Profile)
	a.log().Printf("exec: %s (profile %q, credentials expire %s)", path, got.Chain.Profile, expiryText(got.Credentials.Expiration))
	if len(opts.Command) == 0 && a.io.ErrIsTTY {
		fmt.Fprintln(a.io.Err, shellLine(got.Chain, got.Credentials.Expiration, a.io.Now()))
	}
	if runtime.GOOS == "windows" {
		// No exec(2): run it as a child in kagi's console, which gives it
		// Ctrl-C and Ctrl-Break itself, and pass its exit code on.
		return runChild(ctx, append([]string{path}, argv[1:]...), env)
	}
	// Nothing of kagi has to run after the command: become it, so signals,
	// the terminal and the exit code are the command's own.
	err = syscall.Exec(path, argv, env)
	return cannotRun(argv[0], err)
}

// execArgv is the command to run (default defaultShell) and its path.
func (a *app) execArgv(command []string) (argv []string, path string, err error) {
	argv = command
	if len(argv) == 0 {
		argv = []string{defaultShell(runtime.GOOS, a.io.LookupEnv, exec.LookPath)}
	}
	path, err = exec.LookPath(argv[0])
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) && runtime.GOOS != "windows" {
			dirs, _ := a.io.LookupEnv("PATH")
			if found := nonExecutableInPath(argv[0], dirs); found != "" {
				return nil, "", &cannotRunError{Name: argv[0], Problem: fmt.Sprintf("%s is not executable", found)}
			}
		}
		return nil, "", cannotRun(argv[0], err)
	}
	return argv, path, nil
}

// Exit codes of exec for a command it could not run, as POSIX shells give
// them (XCU 2.8.2): 127 when there is no such command, 126 when there is one
// that cannot be run.
const (
	ExitCannotRun = 126
	ExitNotFound  = 127
)

// cannotRunError is a command exec could not start; its exit code is a
// shell's (ExitNotFound, ExitCannotRun), so a script that runs
// `kagi exec prod -- terraform` tells a missing terraform from terraform's
// own failure as it would without kagi.
type cannotRunError struct {
	Name     string // as given
	Problem  string
	NotFound bool
}

func (e *cannotRunError) Error() string { return fmt.Sprintf("cannot run %q: %s", e.Name, e.Problem) }

// ExitCode is the code report exits with.
func (e *cannotRunError) ExitCode() int {
	if e.NotFound {
		return ExitNotFound
	}
	return ExitCannotRun
}

// cannotRun turns the error of looking up or starting name (exec.LookPath,
// execve, CreateProcess) into a *cannotRunError that says what is wrong in
// words, without the Go wrappers' own copies of the name.
func cannotRun(name string, err error) error {
	e := &cannotRunError{Name: name}
	var xe *exec.Error
	if errors.As(err, &xe) {
		err = xe.Err
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	switch {
	case errors.Is(err, exec.ErrNotFound):
		e.NotFound, e.Problem = true, "no such command in PATH"
	case errors.Is(err, fs.ErrNotExist):
		// execve says ENOENT too when the file is there but its #!
		// interpreter is not; bash and env exit 127 for both.
		e.NotFound, e.Problem = true, "no such file (or the interpreter on its #! line is missing)"
	case errors.Is(err, fs.ErrPermission):
		e.Problem = "permission denied (not executable?)"
	case errors.Is(err, syscall.EISDIR):
		e.Problem = "it is a directory"
	case errors.Is(err, syscall.ENOEXEC):
		e.Problem = "not a program this system can run (a script without a #! line?)"
	default:
		e.Problem = err.Error()
	}
	return e
}

// nonExecutableInPath returns the first file named name in the PATH list
// dirs, when that is a file exec.LookPath skipped for not being executable:
// bash and dash then say "Permission denied" and exit 126, not 127.
func nonExecutableInPath(name, dirs string) string {
	if name == "" || strings.ContainsRune(name, '/') {
		return ""
	}
	for _, dir := range filepath.SplitList(dirs) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// runExecServer is exec --server: the command runs as a child beside a
// credential endpoint, which stops when the command exits.
func (a *app) runExecServer(ctx context.Context, opts execOptions) error {
	argv, path, err := a.execArgv(opts.Command)
	if err != nil {
		return err
	}
	// The endpoint serves until the command exits, not until kagi is
	// signalled: a command that cleans up after SIGTERM (terraform) may
	// still need credentials for it.
	serve, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	cs, err := a.startServer(ctx, serve, opts.Profile, opts.Creds, false)
	if err != nil {
		return err
	}
	defer cs.ep.Close()
	env := serverChildEnv(a.environ(), cs.ep.URL(), cs.token, cs.chain.Region, cs.chain.Profile)
	a.log().Printf("exec: %s (profile %q, credentials from %s)", path, cs.chain.Profile, cs.ep.URL())
	return runChild(ctx, append([]string{path}, argv[1:]...), env)
}

// serverChildEnv is childEnv's environment with the container endpoint's
// two variables in place of keys: the child's SDKs fetch credentials from
// the endpoint, and nothing that would beat it (keys, a profile) is left.
func serverChildEnv(environ []string, url, token, region, profile string) []string {
	var out []string
	for _, kv := range childEnv(environ, creds.Credentials{}, region, profile) {
		name, _, _ := strings.Cut(kv, "=")
		if slices.ContainsFunc([]string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION",
			// SDKs read the token from this file rather than the variable
			// when both are set (EKS Pod Identity sets it).
			"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"}, func(s string) bool { return extcmd.SameEnvName(name, s) }) {
			continue
		}
		out = append(out, kv)
	}
	return append(out,
		"AWS_CONTAINER_CREDENTIALS_FULL_URI="+url,
		"AWS_CONTAINER_AUTHORIZATION_TOKEN="+token,
	)
}

// runChild runs argv as a child with env, passing signals on to it as
// execSignals says, and returns an *exitError with its code (128+N when it
// died of signal N on Unix; on Windows the code as it is, 0xC000013A after
// Ctrl-C included). It is the path for when kagi must keep running beside
// the command (a credential server) or cannot exec (Windows).
func runChild(ctx context.Context, argv, env []string) error {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	sigs := make(chan os.Signal, 4)
	catch, forward := execSignals(runtime.GOOS, term.IsTerminal(int(os.Stdin.Fd())))
	signal.Notify(sigs, catch...)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return cannotRun(argv[0], err)
	}
	defer bindChild(cmd.Process)()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case sig := <-sigs:
			if slices.Contains(forward, sig) {
				_ = cmd.Process.Signal(sig)
			}
		case err := <-done:
			return childExit(err)
		}
	}
}

// childExit turns cmd.Wait's result into kagi's exit code contract.
func childExit(err error) error {
	if err == nil {
		return nil
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return err
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return &exitError{code: 128 + int(ws.Signal())}
	}
	return &exitError{code: ee.ExitCode()}
}

// manyOnlyFlag names a flag given that only means something with
// --profiles or --all-roles, or returns "".
func manyOnlyFlag(cmd *cobra.Command) string {
	for _, f := range []string{"parallel", "output-dir", "fail-fast", "json"} {
		if cmd.Flags().Changed(f) {
			return f
		}
	}
	return ""
}

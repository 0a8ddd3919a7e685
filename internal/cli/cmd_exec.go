package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

type execOptions struct {
	Profile string
	Command []string // empty: $SHELL
	Creds   credFlags
}

func (a *app) execCommand() *cobra.Command {
	var opts execOptions
	cmd := &cobra.Command{
		Use:   "exec [PROFILE] [flags] [-- CMD [ARGS...]]",
		Short: "Run a command with temporary credentials in its environment",
		Long: `Run CMD (default: $SHELL) with the profile's temporary credentials in its
environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
AWS_CREDENTIAL_EXPIRATION, AWS_REGION and AWS_DEFAULT_REGION (when a region is
known) and KAGI_PROFILE. Credentials and profile selectors inherited from
kagi's own environment (AWS_PROFILE, AWS_ROLE_ARN, ...) are removed.

Without PROFILE, AWS_PROFILE names it; with neither, kagi works from the
environment alone (keys in the environment, a role from --role-arn or
AWS_ROLE_ARN).

Exit codes: CMD's own exit code; 128+N when CMD died of signal N; 1 when kagi
could not get credentials or start CMD; 2 for a usage error.`,
		Example: `  kagi exec prod -- terraform apply
  kagi exec prod -- aws sts get-caller-identity
  kagi exec --role-arn arn:aws:iam::123456789012:role/deploy -u -- ./deploy.sh`,
		ValidArgsFunction: a.completeProfiles,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			var err error
			opts.Profile, opts.Command, err = splitProfileCommand(args, cmd.ArgsLenAtDash())
			if err != nil {
				return err
			}
			return dispatch(a, opts, func(o execOptions) error { return a.runExec(cmd.Context(), o) })
		}),
	}
	// kagi's flags may come anywhere before "--"; the command and its own
	// flags go after it (kagi exec prod -- aws --version).
	opts.Creds.register(cmd)
	return cmd
}

// splitProfileCommand reads [PROFILE] [-- CMD ARGS...]: before "--" at most
// a profile; without "--", the first argument is the profile and the rest
// the command.
func splitProfileCommand(args []string, dash int) (profile string, command []string, err error) {
	if dash < 0 {
		if len(args) == 0 {
			return "", nil, nil
		}
		return args[0], args[1:], nil
	}
	switch dash {
	case 0:
		return "", args, nil
	case 1:
		return args[0], args[1:], nil
	}
	return "", nil, usageErrorf("exec takes one PROFILE before --, got %d: %q", dash, args[:dash])
}

func (a *app) runExec(ctx context.Context, opts execOptions) error {
	if p, ok := a.io.LookupEnv("KAGI_PROFILE"); ok && p != "" {
		return &hintError{
			err:  fmt.Errorf("already in a kagi session (KAGI_PROFILE=%q)", p),
			hint: "exit the session's shell first, or unset KAGI_PROFILE if you mean to nest",
		}
	}
	got, err := a.retrieve(ctx, opts.Profile, opts.Creds)
	if err != nil {
		return err
	}
	argv := opts.Command
	if len(argv) == 0 {
		shell, _ := a.io.LookupEnv("SHELL")
		if shell == "" {
			shell = "/bin/sh"
		}
		argv = []string{shell}
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return fmt.Errorf("cannot run %q: %w", argv[0], err)
	}
	env := childEnv(os.Environ(), got.Credentials, got.Chain.Region, got.Chain.Profile)
	a.log().Printf("exec: %s (profile %q, credentials expire %s)", path, got.Chain.Profile, expiryText(got.Credentials.Expiration))
	if runtime.GOOS == "windows" {
		// No exec(2): run it as a child and pass its exit code on.
		return runChild(ctx, append([]string{path}, argv[1:]...), env)
	}
	// Nothing of kagi has to run after the command: become it, so signals,
	// the terminal and the exit code are the command's own.
	err = syscall.Exec(path, argv, env)
	return fmt.Errorf("cannot run %q: %w", argv[0], err)
}

// runChild runs argv as a child with env, forwarding signals to it, and returns an *exitError with its code (128+N when it
// died of signal N). It is the path for when kagi must keep running beside
// the command (a credential server) or cannot exec.
func runChild(ctx context.Context, argv, env []string) error {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	sigs := make(chan os.Signal, 4)
	// Ctrl-C at a terminal reaches the whole foreground process group, the
	// child included; forwarding it again would make Terraform read a second
	// Ctrl-C as "stop now, without cleanup". So at a terminal only the
	// signals aimed at kagi alone are forwarded.
	forward := []os.Signal{syscall.SIGTERM, syscall.SIGHUP}
	if !term.IsTerminal(int(os.Stdin.Fd())) {
		forward = append(forward, syscall.SIGINT, syscall.SIGQUIT)
	}
	signal.Notify(sigs, forward...)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cannot run %q: %w", argv[0], err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case sig := <-sigs:
			_ = cmd.Process.Signal(sig)
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

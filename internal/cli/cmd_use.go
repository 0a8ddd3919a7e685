package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kagi-cli/kagi/internal/dirprofile"
	"github.com/kagi-cli/kagi/internal/extcmd"
	"github.com/kagi-cli/kagi/internal/promptseg"
	"github.com/kagi-cli/kagi/internal/shellenv"
	"github.com/kagi-cli/kagi/internal/termtext"
)

// Variables `kagi use` sets besides those of exec's contract, so that the
// next `kagi use` in the same shell knows what it may replace: KAGI_USE is
// the profile (as KAGI_PROFILE; KAGI_PROFILE without it is a `kagi exec`
// session, which use refuses as exec does), KAGI_USE_REGION the region it
// set in AWS_REGION and AWS_DEFAULT_REGION, if any, and KAGI_USE_SAVED the
// values restorableVars had before the first `kagi use` in the shell (a
// JSON object; absent when none was set), which --clear puts back.
const (
	useMarkerVar = "KAGI_USE"
	useRegionVar = "KAGI_USE_REGION"
	useSavedVar  = "KAGI_USE_SAVED"
)

// restorableVars are the variables kagi use changes that --clear puts back
// as they were: the region pair, which it sets, and the selectors exec
// removes. Keys and tokens (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN, AWS_CONTAINER_AUTHORIZATION_TOKEN) are not: a copy in
// KAGI_USE_SAVED would reach every program the shell starts under a name
// nothing scrubs. The user's own keys are gone after kagi use, as
// docs/design.md says.
var restorableVars = [...]string{
	"AWS_REGION", "AWS_DEFAULT_REGION",
	"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
	"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CREDENTIAL_FILE", "AWS_SDK_LOAD_CONFIG",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
}

// restorable is the name in restorableVars that name is (case-insensitively
// on Windows), or "".
func restorable(name string) string {
	for _, n := range restorableVars {
		if extcmd.SameEnvName(name, n) {
			return n
		}
	}
	return ""
}

func isRegionVar(name string) bool {
	return extcmd.SameEnvName(name, "AWS_REGION") || extcmd.SameEnvName(name, "AWS_DEFAULT_REGION")
}

type shellInitOptions struct {
	Shell  shellenv.Shell
	Prompt bool
}

func (a *app) shellInitCommand() *cobra.Command {
	var opts shellInitOptions
	cmd := &cobra.Command{
		Use:   "shell-init SHELL [--prompt]",
		Short: "Print the shell function that gives 'kagi use' (bash, zsh, fish, powershell)",
		Long: `Print a shell function named kagi, for the shell's rc file:

  bash        eval "$(kagi shell-init bash)"                   in ~/.bashrc
  zsh         eval "$(kagi shell-init zsh)"                    in ~/.zshrc
  fish        kagi shell-init fish | source                    in ~/.config/fish/config.fish
  powershell  kagi shell-init powershell | Out-String | Invoke-Expression   in $PROFILE

It gives 'kagi use PROFILE', which sets the profile's credentials, region and
KAGI_PROFILE in the shell you are typing in (no subshell), replacing earlier
ones, and 'kagi use --clear'. Every other 'kagi ...' runs kagi itself,
with its exit code. kagi hands the credentials to the function on a pipe,
as shell code it evaluates: they never appear in a program's arguments or
in the shell's history, which records 'kagi use prod'.

It also defines the prompt segment (the profile and the time left, from
'kagi prompt') and shows in comments how to put it in PS1, PROMPT,
fish_prompt or the PowerShell prompt function; with --prompt it puts it
there itself.`,
		Example: `  eval "$(kagi shell-init bash --prompt)"
  kagi use prod && aws sts get-caller-identity`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: shellenv.Shells(),
		RunE: run(func(cmd *cobra.Command, args []string) error {
			sh, err := shellenv.Parse(args[0])
			if err != nil {
				return usageErrorf("%v", err)
			}
			opts.Shell = sh
			return dispatch(a, opts, func(o shellInitOptions) error {
				_, err := io.WriteString(a.io.Out, o.Shell.Init(o.Prompt))
				return err
			})
		}),
	}
	cmd.Flags().BoolVar(&opts.Prompt, "prompt", false, "also put kagi's segment in front of the shell's prompt")
	return cmd
}

type useOptions struct {
	Profile string
	// Shell is the hidden --shell: the shell whose code to print. The
	// function of shell-init passes it; without it kagi use refuses, as
	// it cannot change the shell it was started from.
	Shell shellenv.Shell
	Clear bool
	Creds credFlags
}

func (a *app) useCommand() *cobra.Command {
	var opts useOptions
	var shell string
	cmd := &cobra.Command{
		Use:   "use [PROFILE] [flags] | use --clear",
		Short: "Set a profile's credentials in this shell (after 'kagi shell-init')",
		Long: `Set the profile's temporary credentials in the shell you are typing in:
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
AWS_CREDENTIAL_EXPIRATION, AWS_REGION and AWS_DEFAULT_REGION (when a region is
known) and KAGI_PROFILE, as 'kagi exec' gives them to its command; what an
earlier 'kagi use' set and the variables exec removes (AWS_PROFILE,
AWS_ROLE_ARN, ...) are removed. --clear removes what 'kagi use' set and
puts back what it changed as the shell had it before the first 'kagi use':
AWS_REGION, AWS_DEFAULT_REGION, AWS_PROFILE, AWS_ROLE_ARN and the other
selectors exec removes (kept in KAGI_USE_SAVED), unless you set them since.
Access keys and tokens of your own that 'kagi use' removed are not kept,
so that no copy of a secret waits in the shell.

This needs the shell function of 'kagi shell-init' in the shell's rc file.
Inside a 'kagi exec' session it is refused, as exec refuses.

Run it again to refresh: near their expiry the role's credentials are
assumed again from the cached MFA session, with no MFA code while that
session lasts.

Without PROFILE: AWS_PROFILE names it, as for every kagi command; else the
nearest .aws-profile file (one profile name) in this directory or one above
it, up to your home directory ('kagi doctor' says which file); else, with
AWS_ROLE_ARN or --role-arn, kagi works from the environment alone; else, at
a terminal, kagi offers the profiles to choose from, filtered as you type.

Exit codes: 0 when the shell has the new credentials; 1 when kagi could not
get them (the shell is left as it was); 2 for a usage error.`,
		Example: `  kagi use prod
  kagi use prod --region eu-west-1
  kagi use --clear`,
		Args:              profileArg(""),
		ValidArgsFunction: a.completeProfiles,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Profile = args[0]
			}
			if opts.Clear && (opts.Profile != "" || credFlagSet(cmd)) {
				return usageErrorf("--clear takes no profile and no credential flags")
			}
			if shell == "" {
				return &hintError{
					err:  errors.New("kagi use changes the shell it is typed in, through the function of 'kagi shell-init'"),
					hint: `add 'eval "$(kagi shell-init bash)"' (or zsh, fish, powershell: see 'kagi shell-init --help') to your shell's rc file and start a new shell; or run 'kagi exec PROFILE'`,
				}
			}
			sh, err := shellenv.Parse(shell)
			if err != nil {
				return usageErrorf("%v", err)
			}
			opts.Shell = sh
			return dispatch(a, opts, func(o useOptions) error { return a.runUse(cmd.Context(), o) })
		}),
	}
	// The function evaluates what kagi use prints: help asked for through
	// it (kagi use --help) goes to stderr, never to eval.
	cmd.SetHelpFunc(func(c *cobra.Command, args []string) {
		if shell != "" {
			c.SetOut(a.io.Err)
		}
		c.Parent().HelpFunc()(c, args)
	})
	cmd.Flags().BoolVar(&opts.Clear, "clear", false, "remove what 'kagi use' set from this shell")
	cmd.Flags().StringVar(&shell, "shell", "", "the shell to print code for (set by the shell-init function)")
	_ = cmd.Flags().MarkHidden("shell")
	opts.Creds.register(cmd)
	return cmd
}

// credFlagSet reports whether a flag other than --clear, --shell and the
// global ones (--debug, --backend) was given.
func credFlagSet(cmd *cobra.Command) bool {
	set := false
	cmd.Flags().Visit(func(f *pflag.Flag) {
		switch f.Name {
		case "clear", "shell", "debug", "backend":
		default:
			set = true
		}
	})
	return set
}

// useSession is what the environment says of the shell kagi use runs for.
type useSession struct {
	profile string // KAGI_PROFILE
	ours    bool   // set by kagi use (KAGI_USE matches), not by exec
	region  string // KAGI_USE_REGION
	// saved is KAGI_USE_SAVED: restorableVars as they were before the
	// first kagi use (only when ours; unreadable: none).
	saved map[string]string
}

func (a *app) useSession() useSession {
	var s useSession
	s.profile, _ = a.io.LookupEnv("KAGI_PROFILE")
	marker, ok := a.io.LookupEnv(useMarkerVar)
	s.ours = ok && marker != "" && marker == s.profile
	s.region, _ = a.io.LookupEnv(useRegionVar)
	if v, _ := a.io.LookupEnv(useSavedVar); s.ours && v != "" {
		if err := json.Unmarshal([]byte(v), &s.saved); err != nil {
			a.log().Printf("use: %s is not kagi's: %v; nothing is restored", useSavedVar, err)
			s.saved = nil
		}
		// No environment value holds a NUL, so one there (a JSON
		// \u0000) is not a value kagi saved; printed, it would cut
		// fish's code short (a parse error: --clear left the keys).
		for _, sv := range s.saved {
			if strings.ContainsRune(sv, 0) {
				a.log().Printf("use: %s is not kagi's: a value holds a NUL; nothing is restored", useSavedVar)
				s.saved = nil
				break
			}
		}
	}
	return s
}

// kagis reports whether restorable variable name's value is the one kagi
// use set: the region pair holding KAGI_USE_REGION. The others kagi use
// only removes, so a value there is the user's.
func (s useSession) kagis(name, value string) bool {
	return s.ours && s.region != "" && value == s.region && isRegionVar(name)
}

// originals are restorableVars as the shell had them before kagi use: the
// current values, where they are the user's (outside a kagi use shell,
// all of them; inside, those the user set since), else what
// KAGI_USE_SAVED recorded.
func (s useSession) originals(env func(string) (string, bool)) map[string]string {
	out := map[string]string{}
	for _, n := range restorableVars {
		if v, ok := s.saved[n]; ok {
			out[n] = v
		}
		if v, ok := env(n); ok && !s.kagis(n, v) {
			out[n] = v
		}
	}
	return out
}

// refusal is exec's refusal to nest: KAGI_PROFILE set by `kagi exec` (or
// by anything but kagi use).
func (s useSession) refusal() error {
	if s.profile == "" || s.ours {
		return nil
	}
	return &hintError{
		err:  fmt.Errorf("already in a kagi session (KAGI_PROFILE=%q)", s.profile),
		hint: "exit the session's shell first, or unset KAGI_PROFILE if you mean to nest",
	}
}

// nestHint is the hint of exec's refusal to run inside a kagi session:
// in a kagi use shell the way out is kagi use --clear, not exiting.
func (a *app) nestHint() string {
	if s := a.useSession(); s.ours {
		return "run 'kagi use --clear' first: this shell has the credentials of 'kagi use " + s.profile + "'"
	}
	return "exit the session's shell first, or unset KAGI_PROFILE if you mean to nest"
}

// setByUse are the variables the previous kagi use set in this shell (the
// region pair only when it still holds the region kagi set): hidden from
// this run, so that they neither choose its source (keys in the
// environment) nor beat the new profile's region.
func (s useSession) setByUse(name string, value string) bool {
	if !s.ours {
		return false
	}
	for _, n := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
		"AWS_CREDENTIAL_EXPIRATION", "KAGI_PROFILE", useMarkerVar, useRegionVar, useSavedVar} {
		if extcmd.SameEnvName(name, n) {
			return true
		}
	}
	return s.kagis(name, value)
}

func (a *app) runUse(ctx context.Context, opts useOptions) error {
	s := a.useSession()
	if err := s.refusal(); err != nil {
		return err
	}
	if opts.Clear {
		return a.writeShell(opts.Shell, s.clear(a.io.LookupEnv))
	}
	// The rest of the run sees the shell as it was before kagi use: what
	// it set hidden, what it changed as it was.
	io := *a.io
	outer := a.io.LookupEnv
	orig := s.originals(outer)
	io.LookupEnv = func(name string) (string, bool) {
		if n := restorable(name); n != "" {
			v, ok := orig[n]
			return v, ok
		}
		v, ok := outer(name)
		if ok && s.setByUse(name, v) {
			return "", false
		}
		return v, ok
	}
	outerEnviron := a.io.Environ
	io.Environ = func() []string {
		var out []string
		for _, kv := range environOf(outerEnviron) {
			name, v, _ := cut(kv)
			if restorable(name) == "" && !s.setByUse(name, v) {
				out = append(out, kv)
			}
		}
		for _, n := range restorableVars {
			if v, ok := orig[n]; ok {
				out = append(out, n+"="+v)
			}
		}
		return out
	}
	a.io = &io

	profile := opts.Profile
	if profile == "" {
		var err error
		if profile, err = a.defaultUseProfile(ctx, opts.Creds); err != nil {
			return err
		}
	}
	got, err := a.retrieve(ctx, profile, opts.Creds)
	if err != nil {
		return err
	}
	a.warnLongTerm(got)
	return a.writeShell(opts.Shell, useChange(got, s, outer, orig))
}

// defaultUseProfile chooses the profile of `kagi use` without PROFILE:
// "" when the environment names one or asks for environment mode
// (AWS_PROFILE, AWS_DEFAULT_PROFILE, AWS_ROLE_ARN, --role-arn, --oidc:
// retrieve reads them as every command does); else the nearest
// .aws-profile's; else "" when anything else environment mode works from
// is set (profileChosenBy); else the picker's choice at a terminal, which
// away from one fails at once with today's error and hint.
func (a *app) defaultUseProfile(ctx context.Context, f credFlags) (string, error) {
	if f.RoleARN != "" || f.OIDC != "" {
		return "", nil
	}
	for _, name := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN"} {
		if v, _ := a.io.LookupEnv(name); v != "" {
			return "", nil
		}
	}
	found, err := a.findDirProfile()
	if err != nil {
		return "", err
	}
	if found != nil {
		fmt.Fprintf(a.io.Err, "kagi: profile %q from %s\n", found.Profile, termtext.Visible(found.Path))
		return found.Profile, nil
	}
	return a.profileOrPick(ctx, "", f)
}

// findDirProfile is the .aws-profile that chooses the profile in the
// working directory, or nil.
func (a *app) findDirProfile() (*dirprofile.Found, error) {
	wd, err := a.workDir()
	if err != nil {
		return nil, fmt.Errorf("looking for %s: %w", dirprofile.FileName, err)
	}
	return dirprofile.Find(wd, a.homeDir())
}

// workDir is the working directory (IO.Getwd, else the process's).
func (a *app) workDir() (string, error) {
	if a.io.Getwd != nil {
		return a.io.Getwd()
	}
	return os.Getwd()
}

// homeDir is the user's home directory as the environment says (HOME;
// USERPROFILE on Windows), "" when unknown.
func (a *app) homeDir() string {
	if h, _ := a.io.LookupEnv("HOME"); h != "" {
		return h
	}
	if runtime.GOOS == "windows" {
		h, _ := a.io.LookupEnv("USERPROFILE")
		return h
	}
	return ""
}

// useChange is the shell's new environment: exec's contract (childEnv's
// removals and settings) plus the markers of a kagi use session; orig
// are restorableVars as they were before kagi use (useSession.originals),
// for --clear.
func useChange(got *retrieved, s useSession, env func(string) (string, bool), orig map[string]string) shellenv.Change {
	var c shellenv.Change
	c.Unset = append(c.Unset, scrubbedEnv[:]...)
	set := func(name, value string) { c.Set = append(c.Set, shellenv.Var{Name: name, Value: value}) }
	cr := got.Credentials
	set("AWS_ACCESS_KEY_ID", cr.AccessKeyID)
	set("AWS_SECRET_ACCESS_KEY", cr.SecretAccessKey)
	if cr.SessionToken != "" {
		set("AWS_SESSION_TOKEN", cr.SessionToken)
	}
	if !cr.Expiration.IsZero() {
		set("AWS_CREDENTIAL_EXPIRATION", cr.Expiration.UTC().Format(time.RFC3339))
	}
	region := got.Chain.Region
	if region != "" {
		set("AWS_REGION", region)
		set("AWS_DEFAULT_REGION", region)
		set(useRegionVar, region)
	} else {
		c.Unset = append(c.Unset, useRegionVar)
		for _, n := range s.ownRegionVars(env) {
			if v, ok := orig[n]; ok {
				set(n, v)
			} else {
				c.Unset = append(c.Unset, n)
			}
		}
	}
	profile := got.Chain.Profile
	if profile == "" {
		profile = "env"
	}
	set("KAGI_PROFILE", profile)
	set(useMarkerVar, profile)
	if len(orig) > 0 {
		// Values that are not secrets (restorableVars), as JSON: one
		// word for every shell's quoting.
		b, _ := json.Marshal(orig) // a map of strings always marshals
		set(useSavedVar, string(b))
	}
	return c
}

// ownRegionVars are AWS_REGION and AWS_DEFAULT_REGION where they still
// hold the region the previous kagi use set.
func (s useSession) ownRegionVars(env func(string) (string, bool)) []string {
	var out []string
	if !s.ours || s.region == "" {
		return nil
	}
	for _, n := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if v, ok := env(n); ok && v == s.region {
			out = append(out, n)
		}
	}
	return out
}

// clear removes what kagi use set (the keys, the expiry, the markers) and
// puts back what it changed as it was before the first kagi use
// (restorableVars, from KAGI_USE_SAVED): the region where it is still
// kagi's, AWS_PROFILE and the other selectors where the user has not set
// them since. In a shell kagi use never touched it removes nothing that is
// not kagi's.
func (s useSession) clear(env func(string) (string, bool)) shellenv.Change {
	var c shellenv.Change
	if s.ours {
		c.Unset = append(c.Unset, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
			"AWS_CREDENTIAL_EXPIRATION", "KAGI_PROFILE")
		orig := s.originals(env)
		for _, n := range restorableVars {
			cur, set := env(n)
			if set && !s.kagis(n, cur) {
				continue // the user's, set since
			}
			if v, ok := orig[n]; ok {
				c.Set = append(c.Set, shellenv.Var{Name: n, Value: v})
			} else if set {
				c.Unset = append(c.Unset, n)
			}
		}
	}
	c.Unset = append(c.Unset, useMarkerVar, useRegionVar, useSavedVar)
	return c
}

// writeShell prints c's code in one write: the function evaluates it only
// when kagi exits 0, so a failure changes nothing.
func (a *app) writeShell(sh shellenv.Shell, c shellenv.Change) error {
	_, err := io.WriteString(a.io.Out, sh.Script(c))
	return err
}

func environOf(f func() []string) []string {
	if f == nil {
		return nil
	}
	return f()
}

func cut(kv string) (name, value string, ok bool) {
	for i := 1; i < len(kv); i++ { // from 1: Windows's "=C:=C:\x"
		if kv[i] == '=' {
			return kv[:i], kv[i+1:], true
		}
	}
	return kv, "", false
}

func (a *app) promptCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "prompt",
		Short: "Print the session's profile and time left, for the shell prompt",
		Long: `Print the profile of the kagi session in this shell ('kagi use' or 'kagi
exec') and the time its credentials have left: "prod 42m", "prod 1h05m", and
"prod EXPIRED" once they have expired. Outside a session it prints nothing
and exits 0.

It reads KAGI_PROFILE and AWS_CREDENTIAL_EXPIRATION and nothing else (no
config file, no cache, no network), so it is cheap enough to run before
every prompt. 'kagi shell-init SHELL' shows how to put it in the prompt.`,
		Args: cobra.NoArgs,
		RunE: run(func(cmd *cobra.Command, _ []string) error {
			return a.runPrompt()
		}),
	}
}

func (a *app) runPrompt() error {
	s := promptseg.Segment(a.io.LookupEnv, a.io.Now())
	if s == "" {
		return nil
	}
	_, err := fmt.Fprintln(a.io.Out, s)
	return err
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/creds"
	"github.com/kagi-cli/kagi/internal/prompt"
	"github.com/kagi-cli/kagi/internal/sso"
	"github.com/kagi-cli/kagi/internal/termtext"
)

// newSSOCmd is the `kagi sso` group: IAM Identity Center sign-in and
// sign-out. Its subcommands are added here, one builder each.
func newSSOCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sso",
		Short: "IAM Identity Center (SSO): sign in, sign out",
		Long: `IAM Identity Center (AWS SSO) sign-in for profiles with sso_session (an
[sso-session NAME] section) or sso_start_url. Tokens are kept where and how
the AWS CLI v2 keeps them (~/.aws/sso/cache), so one sign-in serves kagi, the
AWS CLI, boto3 and every AWS SDK.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return usageErrorf("name a command: %s", "login, logout") },
	}
	cmd.AddCommand(a.ssoLoginCommand(), a.ssoLogoutCommand(), newSSOProfilesCmd(a))
	return cmd
}

type ssoLoginOptions struct {
	Profile    string // PROFILE or --profile
	Session    string // --sso-session
	DeviceCode bool
	NoBrowser  bool
}

func (a *app) ssoLoginCommand() *cobra.Command {
	var opts ssoLoginOptions
	cmd := &cobra.Command{
		Use:   "login [PROFILE | --sso-session NAME]",
		Short: "Sign in to IAM Identity Center in the browser and cache the token",
		Long: `Sign in to the IAM Identity Center session of PROFILE (its sso_session, or its
sso_start_url; without PROFILE, AWS_PROFILE's, else the default profile's,
else the config's only session) or of [sso-session NAME], and cache the token
as the AWS CLI v2 does.

By default the browser is opened on the sign-in page (the authorization code
flow with PKCE; the browser is sent back to a listener on 127.0.0.1). The
browser is $BROWSER when set (a ':' separated list; %s stands for the URL),
else the system's. --no-browser prints the URL instead; --use-device-code
shows a URL and a code to enter on any device, for SSH sessions and machines
without a browser. When the browser opener fails before the sign-in page was
fetched (xdg-open without a display), the sign-in stops at once.`,
		Args:              profileArg(""),
		ValidArgsFunction: a.completeProfiles,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if opts.Profile != "" && opts.Profile != args[0] {
					return usageErrorf("name the profile once: %q or --profile %q", args[0], opts.Profile)
				}
				opts.Profile = args[0]
			}
			if opts.Profile != "" && opts.Session != "" {
				return usageErrorf("give PROFILE or --sso-session, not both")
			}
			return dispatch(a, opts, func(o ssoLoginOptions) error { return a.runSSOLogin(cmd.Context(), o) })
		}),
	}
	f := cmd.Flags()
	f.StringVar(&opts.Profile, "profile", "", "the profile whose session to sign in to")
	f.StringVar(&opts.Session, "sso-session", "", "the [sso-session NAME] to sign in to")
	f.BoolVar(&opts.DeviceCode, "use-device-code", false, "sign in with a code shown here, on any device")
	f.BoolVar(&opts.NoBrowser, "no-browser", false, "print the sign-in URL instead of opening a browser")
	return cmd
}

func (a *app) runSSOLogin(ctx context.Context, opts ssoLoginOptions) error {
	s, _, err := a.ssoSession(opts.Profile, opts.Session)
	if err != nil {
		return err
	}
	t, err := a.newTokens(true, !opts.NoBrowser)
	if err != nil {
		return err
	}
	return t.Login(ctx, *s, opts.DeviceCode)
}

// ssoSession is the session named by --sso-session, else that of profile,
// else of AWS_PROFILE, else of the default profile; with none of them
// naming one and no default profile that uses IAM Identity Center, the
// config's only session (as kagi sso profiles chooses it: an
// [sso-session] section, or the start URL of legacy profiles).
func (a *app) ssoSession(profile, session string) (*config.SSOSession, string, error) {
	files, err := config.Load(a.io.LookupEnv)
	if err != nil {
		return nil, "", err
	}
	if session != "" {
		s, err := config.SSOSessionNamed(files, session)
		return s, "", err
	}
	if profile == "" {
		profile, _ = a.io.LookupEnv("AWS_PROFILE")
	}
	if profile != "" {
		s, err := config.SSOSessionOf(files, profile)
		return s, profile, err
	}
	s, err := config.SSOSessionOf(files, "default")
	var unknown *config.UnknownProfileError
	if err == nil || !(errors.Is(err, config.ErrNotSSO) || errors.As(err, &unknown)) {
		return s, "default", err
	}
	return onlySSOSession(files, err)
}

// onlySSOSession is the config's only IAM Identity Center session, for a
// command that names none; with none, noDefault (why the default profile
// has none); with several, an error that lists them.
func onlySSOSession(files *config.Files, noDefault error) (*config.SSOSession, string, error) {
	all, _ := config.SSOSessions(files)
	switch len(all) {
	case 0:
		return nil, "", noDefault
	case 1:
		profile := ""
		if all[0].Name == "" {
			profile = legacyProfile(files, all[0])
		}
		return &all[0], profile, nil
	}
	names := make([]string, len(all))
	for i, s := range all {
		names[i] = fmt.Sprintf("%q", ssoSessionFlag(s))
	}
	return nil, "", &hintError{
		err:  fmt.Errorf("no profile or session named, and the config has %d IAM Identity Center sessions: %s", len(all), strings.Join(names, ", ")),
		hint: "name one: " + ssoLoginCommand(files, all[0]) + " (or a profile that uses one)",
	}
}

// legacyProfile is the first profile whose sso_start_url session is s.
func legacyProfile(files *config.Files, s config.SSOSession) string {
	for _, name := range files.ProfileNames() {
		if got, err := config.SSOSessionOf(files, name); err == nil && got.Name == "" && got.StartURL == s.StartURL && got.Region == s.Region {
			return name
		}
	}
	return ""
}

type ssoLogoutOptions struct {
	Profile string
	Session string
}

func (a *app) ssoLogoutCommand() *cobra.Command {
	var opts ssoLogoutOptions
	cmd := &cobra.Command{
		Use:   "logout [PROFILE | --sso-session NAME]",
		Short: "Sign out of IAM Identity Center and remove the cached tokens",
		Long: `Sign out: each cached IAM Identity Center token is revoked at the portal and
its file in ~/.aws/sso/cache removed (the AWS CLI's and kagi's, which are the
same files), as ` + "`aws sso logout`" + ` does, and the credentials kagi cached with
them (role credentials and roles assumed from them) are dropped. Without
PROFILE or --sso-session, every session with a cached token is signed out.
Credentials already handed to a running program stay valid until they
expire: IAM Identity Center cannot revoke them.`,
		Args:              profileArg(""),
		ValidArgsFunction: a.completeProfiles,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Profile = args[0]
			}
			if opts.Profile != "" && opts.Session != "" {
				return usageErrorf("give PROFILE or --sso-session, not both")
			}
			return dispatch(a, opts, func(o ssoLogoutOptions) error { return a.runSSOLogout(cmd.Context(), o) })
		}),
	}
	cmd.Flags().StringVar(&opts.Profile, "profile", "", "sign out of this profile's session only")
	cmd.Flags().StringVar(&opts.Session, "sso-session", "", "sign out of this [sso-session NAME] only")
	return cmd
}

func (a *app) runSSOLogout(ctx context.Context, opts ssoLogoutOptions) error {
	t, err := a.newTokens(false, false)
	if err != nil {
		return err
	}
	var removed []sso.Removed
	roots := creds.SSORoots
	if opts.Profile == "" && opts.Session == "" {
		removed, err = t.LogoutAll(ctx)
	} else {
		var s *config.SSOSession
		if s, _, err = a.ssoSession(opts.Profile, opts.Session); err != nil {
			return err
		}
		roots = creds.SSORootPrefix(s)
		removed, err = t.LogoutSession(ctx, *s)
	}
	for _, r := range removed {
		what := "signed out"
		if !r.Revoked {
			what = "removed the token (the portal did not accept it: already expired or revoked)"
		}
		start := r.StartURL
		if start == "" {
			start = "(no start URL in the file)"
		}
		fmt.Fprintf(a.io.Err, "kagi: %s: %s; removed %s\n", termtext.Visible(start), what, termtext.Visible(r.Path))
	}
	// The credentials kagi got with the token go with it, as the AWS CLI's
	// do: the role credentials and every role assumed from them.
	if store, serr := a.cache(); serr == nil {
		n, derr := cache.DeleteWhere(ctx, store, func(in cache.Info) bool { return strings.HasPrefix(in.Root, roots) })
		if derr != nil {
			a.warn(fmt.Sprintf("cached credentials of the sign-in not dropped: %v", derr))
		} else if n > 0 {
			fmt.Fprintf(a.io.Err, "kagi: dropped %d cached credential(s) obtained with the sign-in\n", n)
		}
	} else {
		a.warn(fmt.Sprintf("cached credentials of the sign-in not dropped: %v", serr))
	}
	if len(removed) == 0 && err == nil {
		fmt.Fprintln(a.io.Err, "kagi: no cached IAM Identity Center token to sign out of")
	}
	return err
}

// ssoCacheDir is the AWS CLI v2's token cache: ~/.aws/sso/cache, where
// "~" is HOME (USERPROFILE on Windows, as the AWS SDKs read it).
func ssoCacheDir(env func(string) (string, bool)) (string, error) {
	home, _ := env("HOME")
	if up, ok := env("USERPROFILE"); ok && up != "" && filepath.Separator == '\\' {
		home = up
	}
	if !filepath.IsAbs(home) {
		return "", &hintError{
			err:  errors.New("no home directory for the IAM Identity Center token cache (~/.aws/sso/cache)"),
			hint: "set HOME",
		}
	}
	return filepath.Join(home, ".aws", "sso", "cache"), nil
}

// ssoLockDir is where the sign-in and refresh locks live: kagi's cache
// directory when it is one, else the lock directory the keyring cache
// uses; "" (no cross-process lock, with a warning) when neither can be
// trusted.
func (a *app) ssoLockDir() string {
	if s, err := a.cache(); err == nil {
		if ds, ok := s.(*cache.DirStore); ok {
			return ds.Dir()
		}
	}
	dir := fallbackLockDir(a.io.LookupEnv)
	if dir == "" {
		return ""
	}
	if err := cache.CheckLockDir(dir); err != nil {
		a.warn(fmt.Sprintf("%v; going on without cross-process locks, so concurrent runs may each open a sign-in", err))
		return ""
	}
	return dir
}

// newTokens builds the token getter of this run. interactive: a person may
// be asked to sign in; browser: open one (else print the URL).
func (a *app) newTokens(interactive, browser bool) (*sso.Tokens, error) {
	dir, err := ssoCacheDir(a.io.LookupEnv)
	if err != nil {
		return nil, err
	}
	t := &sso.Tokens{
		Dir:         dir,
		LockDir:     a.ssoLockDir(),
		Interactive: interactive,
		Out:         a.io.Err,
		Env:         a.io.LookupEnv,
		Now:         a.io.Now,
		Log:         a.log(),
	}
	if browser {
		t.Opener = sso.Browser{Env: a.io.LookupEnv, Environ: a.io.Environ}.Open
	}
	return t, nil
}

// ssoTokens is the run's token getter for credentials (creds.Deps.SSOToken
// is its Token): built on first use, so that a run served from the cache
// neither stats the token cache nor opens the terminal. A sign-in is
// offered only when a terminal can be opened (a person is there).
func (a *app) ssoTokens() (*sso.Tokens, error) {
	a.ssoOnce.Do(func() {
		interactive := false
		if t, err := prompt.OpenTerminal(); err == nil {
			t.Close()
			interactive = true
		}
		a.ssoT, a.ssoErr = a.newTokens(interactive, true)
	})
	return a.ssoT, a.ssoErr
}

// ssoSignedOut is creds.Deps.SSOSignedOut: s's token file is not in the
// AWS CLI v2's cache (one lstat; a file that cannot be read for another
// reason is not a sign-out, and the run reports it when it needs the
// token).
func (a *app) ssoSignedOut(s config.SSOSession) bool {
	dir, err := ssoCacheDir(a.io.LookupEnv)
	if err != nil {
		return false
	}
	_, err = os.Lstat(sso.TokenPath(dir, s.CacheKey()))
	return errors.Is(err, fs.ErrNotExist)
}

// ssoToken is creds.Deps.SSOToken: mayAsk false (write-credentials --all,
// doctor) never opens a browser, even at a terminal. A sign-in that is
// needed and cannot happen becomes creds' error, which names the profile
// in its hint where the session has no name.
func (a *app) ssoToken(ctx context.Context, s config.SSOSession, mayAsk bool) (string, error) {
	t, err := a.ssoTokens()
	if err != nil {
		return "", err
	}
	if !mayAsk && t.Interactive {
		quiet := *t
		quiet.Interactive = false
		t = &quiet
	}
	tok, err := t.Token(ctx, s)
	if lr := (*sso.LoginRequiredError)(nil); errors.As(err, &lr) {
		return "", &creds.SSOLoginError{Session: s, Profile: lr.Profile, Problem: "not signed in to " + s.StartURL + ": " + lr.Reason}
	}
	return tok, err
}

// ssoState is app's lazily built token getter.
type ssoState struct {
	ssoOnce sync.Once
	ssoT    *sso.Tokens
	ssoErr  error
}

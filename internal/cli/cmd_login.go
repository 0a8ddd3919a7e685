package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/console"
	"github.com/kagi-cli/kagi/internal/creds"
	"github.com/kagi-cli/kagi/internal/sso"
)

type loginOptions struct {
	Profile     string
	Stdout      bool
	Region      string
	Destination string
	Duration    time.Duration
	NoSession   bool
	MFAToken    string
	Prompt      promptKind
}

// browserWait is how long login waits for the browser to fetch the link.
const browserWait = 2 * time.Minute

func (a *app) loginCommand() *cobra.Command {
	var opts loginOptions
	cmd := &cobra.Command{
		Use:   "login [PROFILE] [flags]",
		Short: "Open the AWS console in a browser, signed in as the profile",
		Long: `Open the AWS Management Console signed in as PROFILE (without PROFILE,
AWS_PROFILE's; with neither, the environment's credentials, else at a
terminal the profile picked from a list), through the
federation endpoint of the region's partition (signin.aws.amazon.com, or the
GovCloud and China ones; KAGI_FEDERATION_ENDPOINT replaces it).

The credentials are those every other command uses, from the same cache: a
role's cached session (or an IAM Identity Center role's) signs the console in
with no new MFA code while it lasts. A profile whose long-term keys assume no
role signs in as a federated user (GetFederationToken with the keys, named
after the IAM user, allowed what the user is allowed): the federation
endpoint refuses GetSessionToken credentials.

The sign-in link works once, for 15 minutes, and signs in whoever opens it
first: it is never logged. The browser ($BROWSER when set, else the system's
opener) is given a one-time link on 127.0.0.1 that sends it on, not the
sign-in link itself; kagi waits up to 2 minutes for it to be fetched, and
stops at once when the opener fails first (xdg-open without a display).
--stdout prints the sign-in link instead.

--duration is the console session's length: 15m to 12h for a role assumed
with long-term keys (--no-session assumes it so, with the MFA code), 15m to
36h for a federated user. For a role assumed from an MFA session or another
role, and for IAM Identity Center, the federation endpoint takes none: the
console session lasts as long as the credentials.`,
		Args:              profileArg(""),
		ValidArgsFunction: a.completeProfiles,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Profile = args[0]
			}
			if cmd.Flags().Changed("duration") && opts.Duration < console.MinDuration {
				return usageErrorf("--duration %s: the console session lasts at least %s", opts.Duration, console.MinDuration)
			}
			return dispatch(a, opts, func(o loginOptions) error { return a.runLogin(cmd.Context(), o) })
		}),
	}
	f := cmd.Flags()
	f.BoolVar(&opts.Stdout, "stdout", false, "print the sign-in link instead of opening a browser")
	f.StringVar(&opts.Region, "region", "", "the console's region (else AWS_REGION, AWS_DEFAULT_REGION, the profile)")
	f.StringVar(&opts.Destination, "destination", "", "where to land: a console path (/ec2/home) or a URL on the partition's console")
	f.DurationVar(&opts.Duration, "duration", 0, "the console session's length (see above for the limits)")
	f.BoolVar(&opts.NoSession, "no-session", false, "assume the role straight from the long-term keys (with the MFA code), which allows --duration up to 12h")
	f.StringVar(&opts.MFAToken, "mfa-token", "", "the current MFA code (else KAGI_MFA_TOKEN, mfa_process, KAGI_PROMPT, the terminal)")
	f.Var(&opts.Prompt, "prompt", "how to ask for an MFA code (else KAGI_PROMPT, else the terminal)")
	return cmd
}

// loginPlan is what login decided from the chain before any call.
type loginPlan struct {
	kind        console.Kind
	destination string
	endpoint    string
	partition   console.Partition
}

func (a *app) runLogin(ctx context.Context, opts loginOptions) error {
	var plan loginPlan
	f := credFlags{Region: opts.Region, MFAToken: opts.MFAToken, Prompt: opts.Prompt, NoSession: opts.NoSession}
	f.chainHook = func(chain *config.Chain) error {
		var err error
		plan, err = a.planLogin(chain, opts)
		return err
	}
	// No profile and nothing else naming one: the picker, at a terminal
	// (as exec and use offer it).
	profile, err := a.profileOrPick(ctx, opts.Profile, f)
	if err != nil {
		return err
	}
	r, err := a.retrieve(ctx, profile, f)
	if err != nil {
		return err
	}
	log := a.log()
	c := r.Credentials
	kind := plan.kind
	sessionDuration := opts.Duration
	if c.SessionToken == "" {
		// An IAM user's long-term keys: the federation endpoint takes
		// them only as a federation token.
		d := opts.Duration
		if d == 0 {
			d = console.DefaultFederationDuration
		}
		if d > console.MaxFederationDuration {
			return usageErrorf("--duration %s: a federated user's console session lasts at most %s", opts.Duration, console.MaxFederationDuration)
		}
		deps := creds.Deps{Env: a.io.LookupEnv, Now: a.io.Now, Log: log}
		var arn string
		c, arn, err = creds.FederationToken(ctx, r.Chain, deps, c, creds.AllowAllPolicy, d)
		if err != nil {
			return err
		}
		log.Printf("login: signed in as the federated user %s until %s", arn, expiryText(c.Expiration))
		kind, sessionDuration = console.Federation, 0
	}
	log.Printf("login: federation endpoint %s, destination %s", plan.endpoint, plan.destination)
	hc := &http.Client{Timeout: 30 * time.Second}
	token, err := console.SigninToken(ctx, hc, plan.endpoint, console.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}, sessionDuration, kind)
	if err != nil {
		var re *console.RefusedError
		if errors.As(err, &re) {
			re.Profile = r.Chain.Profile
		}
		return err
	}
	link := console.LoginURL(plan.endpoint, plan.destination, token)
	log.Secret(token, link)
	log.Printf("login: a sign-in token (good for %s, once)", console.TokenLifetime)
	if opts.Stdout {
		_, err := fmt.Fprintln(a.io.Out, link)
		return err
	}
	return a.openConsole(ctx, link, r.Chain.Profile)
}

// planLogin checks --duration and --destination against the chain, before
// any call, and makes a profile whose long-term keys assume no role skip
// the MFA session: GetFederationToken takes the keys themselves.
func (a *app) planLogin(chain *config.Chain, opts loginOptions) (loginPlan, error) {
	p := loginPlan{kind: loginKind(chain, a.io.LookupEnv), partition: console.PartitionOf(chain.Region)}
	if len(chain.Roles) == 0 && chain.Source.LongTerm() {
		chain.MFA = nil
		a.log().Printf("login: profile %q: long-term keys and no role: a federated user (GetFederationToken), no MFA session", chain.Profile)
	}
	var err error
	p.destination, err = console.Destination(p.partition, chain.Region, opts.Destination)
	if err != nil {
		return p, usageErrorf("%v", err)
	}
	p.endpoint = p.partition.Federation
	if v, ok := a.io.LookupEnv("KAGI_FEDERATION_ENDPOINT"); ok && v != "" {
		p.endpoint = v
	}
	if err := console.CheckEndpoint(p.endpoint); err != nil {
		return p, err
	}
	if opts.Duration == 0 {
		return p, nil
	}
	d := opts.Duration
	switch p.kind {
	case console.Federation:
		if d > console.MaxFederationDuration {
			return p, usageErrorf("--duration %s: a federated user's console session lasts at most %s", d, console.MaxFederationDuration)
		}
	case console.Role, console.Temporary:
		if d > console.MaxSessionDuration {
			return p, usageErrorf("--duration %s: the federation endpoint allows a console session of at most %s", d, console.MaxSessionDuration)
		}
	case console.SSO:
		return p, &hintError{err: fmt.Errorf("--duration: the federation endpoint takes no console session length for IAM Identity Center credentials"),
			hint: "leave --duration out: the console session lasts as long as the role credentials (the permission set's session duration)"}
	case console.Chained:
		hint := "leave --duration out: the console session lasts as long as the role's credentials"
		if len(chain.Roles) == 1 && chain.Source.LongTerm() {
			hint = "--no-session assumes the role straight from the long-term keys (with the MFA code), which allows --duration up to 12h; or leave --duration out: the console session lasts as long as the role's credentials"
		}
		return p, &hintError{err: fmt.Errorf("--duration: the federation endpoint takes a console session length only for a role assumed with an IAM user's long-term keys, and profile %q assumes %s with temporary credentials (an MFA session or another role)",
			chain.Profile, chain.Roles[len(chain.Roles)-1].RoleARN), hint: hint}
	}
	return p, nil
}

// loginKind is what the federation endpoint will make of the chain's
// credentials.
func loginKind(chain *config.Chain, env func(string) (string, bool)) console.Kind {
	longTermEnv := false
	if chain.Source.Kind == config.Environment {
		tok, _ := env("AWS_SESSION_TOKEN")
		longTermEnv = tok == ""
	}
	if len(chain.Roles) == 0 {
		switch {
		case chain.Source.LongTerm(), longTermEnv:
			return console.Federation
		case chain.Source.Kind == config.SSO:
			return console.SSO
		}
		return console.Temporary
	}
	if len(chain.Roles) == 1 && chain.MFA == nil &&
		(chain.Source.LongTerm() || longTermEnv || chain.Source.Kind == config.WebIdentity) {
		return console.Role
	}
	return console.Chained
}

// openConsole opens the browser on a one-time loopback link that sends it
// on to the sign-in link, and waits until it has (see console.Redirect:
// the sign-in link stays out of the opener's argv).
func (a *app) openConsole(ctx context.Context, link, profile string) error {
	rd, err := console.NewRedirect(link)
	if err != nil {
		return err
	}
	defer rd.Close()
	b := sso.Browser{Env: a.io.LookupEnv, Environ: a.io.Environ}
	failed, err := b.Open(ctx, rd.URL)
	if err != nil {
		return &hintError{err: fmt.Errorf("no browser could be started: %v", err), hint: "set BROWSER, or run with --stdout and open the link yourself"}
	}
	who := "the environment's credentials"
	if profile != "" {
		who = fmt.Sprintf("profile %q", profile)
	}
	fmt.Fprintf(a.io.Err, "kagi: opening the AWS console for %s in the browser\n", who)
	err = rd.Wait(ctx, browserWait, failed)
	if ref := rd.Refused(); ref != nil {
		fmt.Fprintf(a.io.Err, "kagi: warning: %v: it tried to take the sign-in link from the browser's command line\n", ref)
	}
	if err != nil {
		if errors.Is(err, console.ErrNotOpened) {
			return &hintError{err: fmt.Errorf("%w within %s", err, browserWait), hint: "run with --stdout and open the link yourself"}
		}
		// The opener gave up before fetching the link (xdg-open with no
		// way to open a URL, on a machine without a display, exits 3 at
		// once): no browser is coming, so do not wait for one.
		if oe := (*sso.OpenerError)(nil); errors.As(err, &oe) {
			return &hintError{err: fmt.Errorf("%w: %w", console.ErrNotOpened, err), hint: "run with --stdout and open the link yourself (a machine without a display, or over SSH), or set BROWSER"}
		}
		return err
	}
	return nil
}

package cli

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/creds"
	"github.com/kagi-cli/kagi/internal/prompt"
)

// credFlags are the flags of every command that obtains credentials.
type credFlags struct {
	Duration        time.Duration
	MFAToken        string
	NoSession       bool
	Region          string
	RoleARN         string
	SessionName     string
	UsernameSession bool
	ExternalID      string
	SessionTags     []string // KEY=VALUE, repeatable
	TransitiveTags  []string // KEY, repeatable
	SourceIdentity  string
	OIDC            string // "github"
	// Prompt is --prompt: how to ask for an MFA code, beating KAGI_PROMPT.
	Prompt promptKind
	// noPrompt is not a flag: write-credentials --all sets it so that a
	// chain that needs an MFA code fails at once with *needsCodeError,
	// whatever --mfa-token, KAGI_MFA_TOKEN, mfa_process or a terminal offer.
	noPrompt bool
	// pacer is not a flag either: exec --profiles shares one among its
	// runs (creds.Pacer).
	pacer *creds.Pacer
	// keyIDs, when set, replaces the key ids in the state directory: exec
	// --profiles reads each profile's once for all its runs (keyIDMemo).
	keyIDs creds.KeyIDs
	// httpClient, when set, makes the AWS calls: exec --profiles shares
	// one among its runs, and with it their connections.
	httpClient *http.Client
	// tidied, when set, lets one of the runs sharing it prune the cache.
	tidied *sync.Once
	// chainHook is not a flag either: login sees the resolved chain before
	// it runs, may adjust it (a user without a role skips the MFA
	// session) and may stop with an error before any call is made.
	chainHook func(*config.Chain) error
}

func (f *credFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.DurationVar(&f.Duration, "duration", 0, "lifetime of the role session (default: the profile's duration_seconds, else 1h)")
	fs.StringVar(&f.MFAToken, "mfa-token", "", "the current MFA code (else KAGI_MFA_TOKEN, mfa_process, KAGI_PROMPT, the terminal)")
	fs.BoolVar(&f.NoSession, "no-session", false, "skip GetSessionToken: assume the role straight from the long-term keys (with the MFA code); without a role, hand out the keys themselves")
	fs.StringVar(&f.Region, "region", "", "region for the credentials and the child (else AWS_REGION, AWS_DEFAULT_REGION, the profile)")
	fs.StringVar(&f.RoleARN, "role-arn", "", "role to assume (replaces the profile's final role; without a profile, AWS_ROLE_ARN)")
	fs.StringVar(&f.SessionName, "session-name", "", "role session name (else AWS_ROLE_SESSION_NAME, role_session_name)")
	fs.BoolVarP(&f.UsernameSession, "username-session", "u", false, "role session name = the caller's IAM user name")
	fs.StringVar(&f.ExternalID, "external-id", "", "external id the role's trust policy requires")
	fs.StringArrayVar(&f.SessionTags, "session-tag", nil, "session tag KEY=VALUE for the role (repeatable; adds to session_tags)")
	fs.StringArrayVar(&f.TransitiveTags, "transitive-tag", nil, "session tag KEY to pass on to roles assumed from this one (repeatable)")
	fs.StringVar(&f.SourceIdentity, "source-identity", "", "source identity for the role session (else source_identity)")
	fs.StringVar(&f.OIDC, "oidc", "", "without a profile: get a web identity token from this provider (github: GitHub Actions)")
	fs.Var(&f.Prompt, "prompt", "how to ask for an MFA code: "+strings.Join(prompt.Kinds(), ", ")+" (else KAGI_PROMPT, else the terminal)")
}

// promptKind is the value of --prompt: one of prompt.Kinds, checked when
// the flag is parsed, so a mistake is a usage error before anything runs.
type promptKind string

func (p *promptKind) String() string { return string(*p) }
func (p *promptKind) Type() string   { return "KIND" }
func (p *promptKind) Set(s string) error {
	if !slices.Contains(prompt.Kinds(), s) {
		return fmt.Errorf("not a prompt kagi knows: choose %s", strings.Join(prompt.Kinds(), ", "))
	}
	*p = promptKind(s)
	return nil
}

// tags reads --session-tag KEY=VALUE flags; a key given twice is a mistake.
func (f credFlags) tags() (map[string]string, error) {
	if len(f.SessionTags) == 0 {
		return nil, nil
	}
	tags := make(map[string]string, len(f.SessionTags))
	for _, kv := range f.SessionTags {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageErrorf("--session-tag %q: want KEY=VALUE", kv)
		}
		if _, dup := tags[k]; dup {
			return nil, usageErrorf("--session-tag: key %q given twice", k)
		}
		tags[k] = v
	}
	return tags, nil
}

// retrieved is the result of a credential command's common first half.
type retrieved struct {
	Credentials creds.Credentials
	Chain       *config.Chain
}

// retrieve resolves profile with the flags and runs the chain: the cache
// first, STS and the MFA prompt only when needed.
func (a *app) retrieve(ctx context.Context, profile string, f credFlags) (*retrieved, error) {
	req, err := f.request(profile)
	if err != nil {
		return nil, err
	}
	req.Env = a.io.LookupEnv
	files, err := a.loadConfig()
	if err != nil {
		return nil, err
	}
	chain, err := config.Resolve(files, req)
	if err != nil {
		return nil, err
	}
	return a.retrieveChain(ctx, files, chain, f)
}

// loadConfig reads the config and credentials files: once per command,
// and once for all the runs of exec --profiles.
func (a *app) loadConfig() (*config.Files, error) {
	files, err := config.Load(a.io.LookupEnv)
	if err == nil {
		a.log().Printf("config: read %s and %s", files.Config.Path, files.Credentials.Path)
	}
	return files, err
}

// request is what the flags ask of config.Resolve for profile; a flag
// mistake is a usage error, found before anything is read.
func (f credFlags) request(profile string) (config.Request, error) {
	if f.UsernameSession && f.SessionName != "" {
		return config.Request{}, usageErrorf("--session-name and -u/--username-session cannot be used together")
	}
	if f.OIDC != "" && f.OIDC != config.OIDCGitHub {
		return config.Request{}, usageErrorf("--oidc %q: the one provider kagi fetches tokens from is github", f.OIDC)
	}
	tags, err := f.tags()
	if err != nil {
		return config.Request{}, err
	}
	req := config.Request{
		Profile:        profile,
		Region:         f.Region,
		RoleARN:        f.RoleARN,
		SessionName:    f.SessionName,
		ExternalID:     f.ExternalID,
		Duration:       f.Duration,
		NoSession:      f.NoSession,
		Tags:           tags,
		TransitiveTags: f.TransitiveTags,
		SourceIdentity: f.SourceIdentity,
		OIDC:           f.OIDC,
	}
	if f.UsernameSession {
		req.SessionName = config.UsernameSessionName
	}
	return req, nil
}

// retrieveChain runs a chain resolved from files with the flags f.
func (a *app) retrieveChain(ctx context.Context, files *config.Files, chain *config.Chain, f credFlags) (*retrieved, error) {
	if f.chainHook != nil {
		if err := f.chainHook(chain); err != nil {
			return nil, err
		}
	}
	// Lines of these profiles (or of a whole file) that the AWS CLI or the
	// Go SDK read otherwise; other profiles' are left to `kagi list`.
	for _, w := range files.WarningsFor(chain.Profiles) {
		a.warn(w.String())
	}
	log := a.log()
	for _, r := range chain.Reasons {
		log.Printf("%s", r)
	}
	// Environment mode needs no keyring, no prompt and no cache file: it
	// runs in a bare CI container and never waits for input. Its chain has
	// no MFA device, so a nil Prompt is never reached.
	deps, err := a.credDeps(files, f, chain.Profile != "")
	if err != nil {
		return nil, err
	}
	c, err := creds.Retrieve(ctx, chain, deps)
	if err != nil {
		return nil, err
	}
	return &retrieved{Credentials: c, Chain: chain}, nil
}

// credDeps is what creds needs of the world, for a chain of a profile
// (withProfile: the keyring, the MFA prompt and the cache) or of the
// environment alone.
func (a *app) credDeps(files *config.Files, f credFlags, withProfile bool) (creds.Deps, error) {
	log := a.log()
	log.Secret(f.MFAToken)
	deps := creds.Deps{
		Files:   files,
		Env:     a.io.LookupEnv,
		Now:     a.io.Now,
		Log:     log,
		Stderr:  a.io.Err,
		Warn:    a.warn,
		Environ: a.environ,
		Pacer:   f.pacer,
		// nil: each Retrieve makes its own.
		HTTPClient: f.httpClient,
		Tidied:     f.tidied,
	}
	if !withProfile {
		return deps, nil
	}
	deps.Prompt = func(ctx context.Context, mfaProcess, processProfile string) (prompt.Source, error) {
		if f.noPrompt {
			return nil, &needsCodeError{}
		}
		return prompt.Choose(prompt.Options{
			Token:          f.MFAToken,
			Prompt:         string(f.Prompt),
			Env:            a.io.LookupEnv,
			Process:        mfaProcess,
			ProcessProfile: processProfile,
			Environ:        a.environ,
			Stderr:         a.io.Err,
		})
	}
	deps.Keyring = a.keyring()
	deps.KeyIDs = f.keyIDs
	if deps.KeyIDs == nil {
		deps.KeyIDs = a.keyIDs()
	}
	deps.SSOToken = func(ctx context.Context, s config.SSOSession) (string, error) {
		return a.ssoToken(ctx, s, !f.noPrompt)
	}
	deps.SSOSignedOut = a.ssoSignedOut
	var err error
	deps.Cache, err = a.cache()
	return deps, err
}

func expiryText(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

// Package creds executes a config.Chain: it gets the source credentials,
// then the MFA session, then each role, and hands back the last step's
// temporary credentials.
//
// Each STS step is a wrapper around the one before it, as aws-vault's
// providers are, with one difference that matters to its users: every
// cached step takes a cross-process lock before it calls STS, and looks in
// the cache again once it holds the lock. So processes started together
// (Ansible forks, make -j, a Terraform run with many providers) wait for the
// one that is refreshing an entry and reuse what it stored: one MFA prompt
// and one call per STS action, however many processes ask.
package creds

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/debug"
	"github.com/kagi-cli/kagi/internal/keyring"
	"github.com/kagi-cli/kagi/internal/prompt"
)

// Credentials are AWS credentials. They print redacted with every fmt verb,
// so they cannot reach a log or an error by accident.
type Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	// Expiration is when the credentials stop working; zero means they do
	// not expire (long-term keys).
	Expiration time.Time
}

// String shows the access key id (public: it is in CloudTrail and every
// signed request) and the expiry, never the secret or the token.
func (c Credentials) String() string {
	exp := "never"
	if !c.Expiration.IsZero() {
		exp = c.Expiration.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("{%s [redacted] expires %s}", c.AccessKeyID, exp)
}

// GoString is String for %#v.
func (c Credentials) GoString() string { return "creds.Credentials" + c.String() }

// Format routes every verb through String or GoString.
func (c Credentials) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, c.GoString())
		return
	}
	io.WriteString(f, c.String())
}

// Expires reports whether the credentials have an end.
func (c Credentials) Expires() bool { return !c.Expiration.IsZero() }

// Deps is everything Retrieve needs from the outside world. Only Env is
// required; each other dependency is used only by the chains that need it.
type Deps struct {
	// Keyring holds long-term keys (KeyringKeys sources), read with
	// keyring.GetKeys. It is only touched when a step must call STS: a warm
	// call served from the cache never opens it. nil is an error only for a
	// chain that needs it.
	Keyring keyring.Keyring
	// KeyIDs remembers the access key id of each profile's keys in
	// Keyring, so that a warm run keys the cache by them without opening
	// it. nil: every run that needs the id opens the keyring.
	KeyIDs KeyIDs
	// Files are the shared files, for SharedKeys sources.
	Files *config.Files
	// Cache holds temporary credentials between processes; nil means no
	// caching (environment mode).
	Cache cache.Store
	// Prompt chooses where MFA codes come from, given the chain's
	// mfa_process. It is called only when a code is needed, at most once
	// per Retrieve. nil: a chain that needs a code fails.
	Prompt func(ctx context.Context, mfaProcess, processProfile string) (prompt.Source, error)
	// Env is the environment (Environment sources, container and instance
	// metadata settings, credential_process's ~).
	Env config.Env
	// HTTPClient is used for every AWS call; nil means a NewHTTPClient of
	// the Retrieve's own. A fan-out's Retrieves share one.
	HTTPClient *http.Client
	// Pacer, when set, paces every STS call and learns from Throttling;
	// one Pacer is shared by the Retrieves of a fan-out (exec --profiles).
	// nil: calls are not paced, and a throttled one backs off on its own.
	Pacer *Pacer
	// Tidied, when set, is shared by the Retrieves of one fan-out: the
	// first that stores something prunes the cache, not each of them (a
	// prune reads every entry: fifty runs read the cache fifty times).
	Tidied *sync.Once
	// Now is the clock for cache freshness and default session names; nil
	// means time.Now.
	Now func() time.Time
	// Log is the --debug log; nil is fine. Every secret seen is registered
	// with it.
	Log *debug.Log
	// Stderr receives the standard error of credential_process and
	// web_identity_token_process; nil means the process's own os.Stderr, so
	// their prompts and messages stay visible.
	Stderr io.Writer
	// Warn receives one-line warnings (no secrets) about things that go
	// wrong without stopping the run, such as a cache that cannot be
	// written or locked; nil drops them. The same message may come more
	// than once in a run: the receiver prints each once.
	Warn func(msg string)
	// Environ is the environment those helpers start from (NAME=value);
	// kagi's own secrets (extcmd.SecretVars) are removed from it, and
	// KAGI_HELPER_TIMEOUT in it bounds them. nil: an empty environment.
	Environ func() []string
	// SSOToken returns a valid IAM Identity Center access token for the
	// session: from the AWS CLI v2's cache, refreshed, or (interactive)
	// after a sign-in. It is called only when role credentials must be
	// fetched, never on a warm run. nil: IAM Identity Center sources fail
	// with an error naming `kagi sso login`.
	SSOToken func(ctx context.Context, s config.SSOSession) (string, error)
	// SSOSignedOut reports whether the session's token is gone from the
	// AWS CLI's cache: a sign-out (`aws sso logout`, `kagi sso logout`) or
	// a person who deleted it. The credentials kagi got with the token are
	// then dropped and not served, as both logouts drop theirs, and the run
	// goes on cold (which signs in, or fails naming `kagi sso login`).
	// Called on every run of an Identity Center chain, warm ones included:
	// it must cost no more than a stat. nil: never signed out.
	SSOSignedOut func(s config.SSOSession) bool
}

// RefreshWindow is how long before their expiry cached credentials are
// replaced: a command started with less left could see them expire midway.
const RefreshWindow = 5 * time.Minute

// Retrieve runs chain and returns the credentials of its last step: the
// source's own when it has no MFA session and no role.
func Retrieve(ctx context.Context, chain *config.Chain, deps Deps) (Credentials, error) {
	if chain == nil {
		return Credentials{}, fmt.Errorf("no chain to run")
	}
	r := newRun(chain, deps)
	r.dropIfSignedOut(ctx)
	c, err := r.final(ctx)
	if errors.Is(err, errKeysChanged) {
		// Keyed by keys the keyring no longer holds: again under the new
		// ones, which the run has read already.
		r.srcIDOK = false
		c, err = r.final(ctx)
	}
	return c, err
}

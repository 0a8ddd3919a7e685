package creds

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/debug"
	"github.com/kagi-cli/kagi/internal/prompt"
)

// maxMFAAttempts is how often a person is asked for a code before kagi
// gives up.
const maxMFAAttempts = 3

// chainedMax is STS's cap on a session of a role assumed by a role.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-role-chaining
const chainedMax = time.Hour

// run is one Retrieve: the chain, the outside world, and what has been
// learnt so far.
type run struct {
	chain *config.Chain
	deps  Deps
	now   func() time.Time
	log   *debug.Log

	aws *clients // built on first use

	// The source's credentials and identity, fetched once.
	src      *Credentials
	srcID    string
	srcIDErr error
	srcIDOK  bool
	// offline: compute cache keys only (StepKeys), never reading a secret.
	offline bool
	// The key id Deps.KeyIDs remembers for keyring keys, read once.
	stamp              string
	stamped, stampRead bool
	// fresh holds the cache keys of the steps fetched from STS in this run:
	// a refusal of those is not about a stale cache entry.
	fresh map[string]bool

	// The web identity token, read (or fetched) once.
	token    string
	tokenErr error
	tokenOK  bool

	// The MFA code source, chosen once.
	mfa    prompt.Source
	mfaErr error
	mfaOK  bool
}

func newRun(chain *config.Chain, deps Deps) *run {
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	return &run{chain: chain, deps: deps, now: now, log: deps.Log}
}

func (r *run) clients(ctx context.Context) *clients {
	if r.aws == nil {
		r.aws = newClients(ctx, r.chain, r.deps.HTTPClient, r.deps.Pacer)
		r.log.Printf("sts: endpoint %s", r.aws.endpoint)
	}
	return r.aws
}

// final returns the last step's credentials.
func (r *run) final(ctx context.Context) (Credentials, error) {
	switch {
	case len(r.chain.Roles) > 0:
		return r.role(ctx, len(r.chain.Roles)-1)
	case r.chain.MFA != nil:
		c, _, err := r.mfaSession(ctx)
		return c, err
	}
	return r.source(ctx)
}

// hopDuration is the DurationSeconds to ask for (0: STS's default, 1h).
func hopDuration(h config.RoleHop) time.Duration {
	if h.Chained && h.Duration > chainedMax {
		return chainedMax
	}
	return h.Duration
}

func (r *run) webIdentityHop(i int) bool {
	return i == 0 && r.chain.Source.Kind == config.WebIdentity
}

// stepKey returns the cache key of role hop i, or of the MFA session for
// i == -1, without fetching any credentials.
func (r *run) stepKey(ctx context.Context, i int) (string, error) {
	if i < 0 {
		id, err := r.sourceID(ctx)
		if err != nil {
			return "", err
		}
		if r.chain.MFA == nil {
			return id, nil
		}
		return mfaSessionKey(id, r.chain.MFA, r.chain.STSEndpoint), nil
	}
	prev, err := r.stepKey(ctx, i-1)
	if err != nil {
		return "", err
	}
	return roleKey(prev, r.chain.Roles[i], hopDuration(r.chain.Roles[i]), r.webIdentityHop(i), r.chain.STSEndpoint), nil
}

// callerOf returns the credentials that assume role hop i, and the cache
// key they were kept under ("" when they are the source's).
func (r *run) callerOf(ctx context.Context, i int) (Credentials, string, error) {
	if i > 0 {
		key, err := r.stepKey(ctx, i-1)
		if err != nil {
			return Credentials{}, "", err
		}
		c, err := r.role(ctx, i-1)
		return c, key, err
	}
	if r.chain.MFA != nil {
		return r.mfaSession(ctx)
	}
	key := ""
	if r.chain.Source.Kind == config.SSO {
		// Cached like a role hop: a refused entry is dropped like one.
		var err error
		if key, err = r.ssoKey(ctx); err != nil {
			return Credentials{}, "", err
		}
	}
	c, err := r.source(ctx)
	return c, key, err
}

// mfaSession returns the session's credentials and cache key: the MFA
// session, or for long-term keys that assume no role, a session without MFA.
func (r *run) mfaSession(ctx context.Context) (Credentials, string, error) {
	m := r.chain.MFA
	key, err := r.stepKey(ctx, -1)
	if err != nil {
		return Credentials{}, "", err
	}
	meta := cache.Entry{Profile: r.sessionProfile(), Kind: "session", Detail: m.Serial, Root: r.srcID}
	what := "MFA session " + m.Serial
	if m.Serial == "" {
		meta.Detail, what = "without MFA", "session without MFA"
	}
	c, err := r.cached(ctx, key, what, meta, r.markFresh(key, func(ctx context.Context) (Credentials, error) {
		src, err := r.source(ctx)
		if err != nil {
			return Credentials{}, err
		}
		return r.getSessionToken(ctx, src, m)
	}))
	return c, key, err
}

// sessionProfile is the profile an MFA session belongs to: the one whose
// keys made it, so `kagi remove` of that profile drops it.
func (r *run) sessionProfile() string {
	if r.chain.Source.Profile != "" {
		return r.chain.Source.Profile
	}
	return r.chain.Profile
}

// role returns the credentials of role hop i, from the cache or STS.
func (r *run) role(ctx context.Context, i int) (Credentials, error) {
	h := r.chain.Roles[i]
	key, err := r.stepKey(ctx, i)
	if err != nil {
		return Credentials{}, err
	}
	profile := h.Profile
	if profile == "" {
		profile = r.chain.Profile
	}
	meta := cache.Entry{Profile: profile, Kind: "role", Detail: h.RoleARN, Root: r.srcID}
	return r.cached(ctx, key, "role "+h.RoleARN, meta, r.markFresh(key, func(ctx context.Context) (Credentials, error) {
		if r.webIdentityHop(i) {
			return r.assumeRoleWithWebIdentity(ctx, h)
		}
		caller, callerKey, err := r.callerOf(ctx, i)
		if err != nil {
			return Credentials{}, err
		}
		c, err := r.assumeRole(ctx, i, caller)
		if err != nil && refusedSession(err) && callerKey != "" && !r.fresh[callerKey] && r.deps.Cache != nil {
			// The cached caller (the MFA session or the role before) looked
			// fresh but STS refuses it: revoked, unknown to STS, or expired
			// by a clock that is off. Drop it and make a new one, once; the
			// step before it does the same for its own caller.
			r.log.Printf("cache: STS refused the cached credentials %s that assume %s; dropping them", caller.AccessKeyID, h.RoleARN)
			r.dropRefused(ctx, callerKey, caller.AccessKeyID)
			if i == 0 && r.chain.Source.Kind == config.SSO {
				r.src = nil // the source's own credentials were the cached ones
			}
			if caller, _, err = r.callerOf(ctx, i); err != nil {
				return Credentials{}, err
			}
			c, err = r.assumeRole(ctx, i, caller)
		}
		return c, err
	}))
}

// markFresh wraps fetch so that a success is recorded in r.fresh under key.
func (r *run) markFresh(key string, fetch func(context.Context) (Credentials, error)) func(context.Context) (Credentials, error) {
	return func(ctx context.Context) (Credentials, error) {
		c, err := fetch(ctx)
		if err == nil {
			if r.fresh == nil {
				r.fresh = map[string]bool{}
			}
			r.fresh[key] = true
		}
		return c, err
	}
}

// cached returns the credentials under key when they are fresh, else
// fetches them holding key's lock. The second look inside the lock is what
// makes concurrent processes share one refresh: whoever waited finds what
// the holder stored, or, when the holder failed, the error it recorded
// (see sharedFailure).
func (r *run) cached(ctx context.Context, key, what string, meta cache.Entry, fetch func(context.Context) (Credentials, error)) (Credentials, error) {
	store := r.deps.Cache
	if store == nil {
		return fetch(ctx)
	}
	if c, ok := r.lookup(ctx, store, key, what, false); ok {
		return c, nil
	}
	waitFrom := r.now()
	unlock, err := store.Lock(ctx, key)
	if err != nil {
		if ctx.Err() != nil {
			return Credentials{}, fmt.Errorf("waiting for the cache lock of %s: %w", what, ctx.Err())
		}
		// A lock that cannot be taken (a read-only runtime directory...)
		// costs at worst a second MFA prompt; failing would cost the run.
		r.warnf("cannot lock the cache of %s, going on without the lock (concurrent runs may each ask for an MFA code): %v", what, err)
		unlock = func() {}
	}
	defer unlock()
	if c, ok := r.lookup(ctx, store, key, what, true); ok {
		return c, nil
	}
	// Failure is shared like success: a holder that failed while this
	// process waited left its error here.
	if err := r.sharedFailure(ctx, store, key, what, waitFrom); err != nil {
		return Credentials{}, err
	}
	c, err := fetch(ctx)
	if err != nil {
		r.recordFailure(ctx, store, key, what, err)
		return Credentials{}, err
	}
	e := meta
	e.AccessKeyID, e.SecretAccessKey, e.SessionToken, e.Expiration = c.AccessKeyID, c.SecretAccessKey, c.SessionToken, c.Expiration
	if err := store.Put(ctx, key, e); err != nil {
		r.warnf("cannot cache %s, so the next run fetches it again (and may ask for an MFA code): %v", what, err)
	} else {
		r.log.Printf("cache: stored %s until %s", what, c.Expiration.UTC().Format(time.RFC3339))
		r.clearFailure(ctx, store, key)
		r.tidy(ctx, store)
	}
	return c, nil
}

// lookup reads key and reports whether it holds credentials with more than
// RefreshWindow left. Read errors are misses: the cache only saves work.
func (r *run) lookup(ctx context.Context, store cache.Store, key, what string, locked bool) (Credentials, bool) {
	e, err := store.Get(ctx, key)
	switch {
	case errors.Is(err, cache.ErrNotFound):
		if !locked {
			r.log.Printf("cache: miss for %s", what)
		}
		return Credentials{}, false
	case err != nil:
		r.log.Printf("cache: cannot read %s, treating it as a miss: %v", what, err)
		return Credentials{}, false
	}
	r.log.Secret(e.SecretAccessKey, e.SessionToken)
	left := e.Expiration.Sub(r.now())
	if left < RefreshWindow {
		if !locked {
			r.log.Printf("cache: %s has %s left (refreshed under %s)", what, left.Round(time.Second), RefreshWindow)
		}
		return Credentials{}, false
	}
	if locked {
		r.log.Printf("cache: hit for %s after waiting for the lock: another process refreshed it (%s left)", what, left.Round(time.Second))
	} else {
		r.log.Printf("cache: hit for %s (%s left)", what, left.Round(time.Second))
	}
	return Credentials{AccessKeyID: e.AccessKeyID, SecretAccessKey: e.SecretAccessKey, SessionToken: e.SessionToken, Expiration: e.Expiration}, true
}

// promptSource chooses where codes come from, once per Retrieve.
func (r *run) promptSource(ctx context.Context, process, processProfile string) (prompt.Source, error) {
	if !r.mfaOK {
		r.mfaOK = true
		if r.deps.Prompt == nil {
			r.mfaErr = errors.New("no way to ask for an MFA code")
		} else {
			r.mfa, r.mfaErr = r.deps.Prompt(ctx, process, processProfile)
		}
	}
	return r.mfa, r.mfaErr
}

// withMFA calls call with MFA codes until STS takes one: up to
// maxMFAAttempts times when a person is asked, once otherwise.
func (r *run) withMFA(ctx context.Context, action, serial, process, processProfile, profile string, call func(ctx context.Context, code string) error) error {
	src, err := r.promptSource(ctx, process, processProfile)
	if err != nil {
		// This process's means of asking, not the world's answer: a process
		// waiting on the same lock may have a terminal.
		return &localError{fmt.Errorf("%s needs an MFA code for %s: %w", action, serial, err)}
	}
	if err := r.recentClockError(ctx); err != nil {
		return err
	}
	given := prompt.Given(src)
	var rejected *cache.Failure // a code rejected in this TOTP step
	if !src.Interactive() {
		rejected = r.recentRejection(ctx, serial)
		// A program that gave the rejected code would give it again; one
		// whose code is not known (an older kagi's record) may have.
		if rejected != nil && !given && (rejected.Code == nil || rejected.Code.Generated) {
			return r.codeDue(rejected, serial, profile, false)
		}
	}
	for attempt := 1; ; attempt++ {
		code, err := src.Code(ctx, prompt.Request{Serial: serial, Profile: profile, Attempt: attempt})
		if err != nil {
			return fmt.Errorf("MFA code for %s: %w", serial, err)
		}
		r.log.Secret(code)
		// Only the code rejected is refused: another is STS's to judge.
		if rejected != nil && (rejected.Code == nil || sameCode(rejected.Code, code)) {
			return r.codeDue(rejected, serial, profile, given && rejected.Code != nil)
		}
		err = call(ctx, code)
		switch {
		case err == nil:
			return nil
		case mfaDeviceUnknown(err):
			return &MFADeviceError{Serial: serial, Profile: profile, Err: err}
		case !mfaCodeRejected(err):
			return err
		}
		r.log.Printf("mfa: %s rejected the code for %s (attempt %d of %d)", action, serial, attempt, maxMFAAttempts)
		if !src.Interactive() || attempt >= maxMFAAttempts {
			failed := &MFARejectedError{Serial: serial, Profile: profile, Action: action, Attempts: attempt, Interactive: src.Interactive(), Err: err}
			if !src.Interactive() {
				failed.code = markCode(code, !given)
				r.recordRejection(ctx, serial, failed)
			}
			return failed
		}
	}
}

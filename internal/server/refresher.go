package server

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/kagi-cli/kagi/internal/creds"
)

// Provider returns current temporary credentials: from a cache while they
// are fresh, else newly obtained (which may ask for an MFA code). It is
// called from one goroutine at a time.
type Provider func(ctx context.Context) (creds.Credentials, error)

// failureHold is how long a failed refresh is answered from memory when
// there is nothing valid to serve. SDKs retry a failed fetch at once (botocore
// three times a second apart); without it each retry would mean another MFA
// prompt or another failing STS call.
const failureHold = 5 * time.Second

// maxRetryDelay bounds how long still-valid credentials are served after a
// refresh failed before the next attempt.
const maxRetryDelay = 30 * time.Second

// Refresher hands out credentials from a Provider. It keeps the last ones in
// memory while they have more than a refresh window left, so a burst of
// requests costs no provider call, and it coalesces concurrent refreshes
// into one: whoever asks while a refresh runs waits for its result.
//
// The refresh runs under the Refresher's own context, not the request's: an
// SDK that gives up after two seconds (botocore's container timeout) must
// not cancel an MFA prompt a person is answering; its retry joins the same
// refresh instead.
type Refresher struct {
	provide Provider
	base    context.Context
	now     func() time.Time
	onError func(error)

	mu      sync.Mutex
	cur     creds.Credentials // zero: none yet
	window  time.Duration     // refresh when less than this is left
	retryAt time.Time         // after a failed refresh: serve cur until then
	failErr error             // after a failed refresh with nothing to serve
	failEnd time.Time         // ... until then
	flight  *flight           // the refresh under way, if any
}

type flight struct {
	done chan struct{}
	c    creds.Credentials
	err  error
}

// RefresherOptions configure a Refresher.
type RefresherOptions struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// OnError is told of every failed refresh (nil: nobody is); the
	// error text has no secrets.
	OnError func(error)
}

// NewRefresher returns a Refresher calling provide under ctx: when ctx
// ends, refreshes under way are cancelled.
func NewRefresher(ctx context.Context, provide Provider, opts RefresherOptions) *Refresher {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Refresher{provide: provide, base: ctx, now: now, onError: opts.OnError}
}

// Seed makes c the current credentials, as if a refresh had returned them:
// the CLI obtains credentials before it serves, to ask for an MFA code while
// the person is watching and to fail before starting anything.
func (r *Refresher) Seed(c creds.Credentials) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.set(c, r.now())
}

// Get returns credentials with more than the refresh window left, or the
// freshest there are after a refresh. It waits for a refresh under way, or
// until ctx ends.
func (r *Refresher) Get(ctx context.Context) (creds.Credentials, error) {
	r.mu.Lock()
	now := r.now()
	if r.usable(now) {
		c := r.cur
		r.mu.Unlock()
		return c, nil
	}
	if r.failErr != nil && now.Before(r.failEnd) {
		err := r.failErr
		r.mu.Unlock()
		return creds.Credentials{}, err
	}
	f := r.flight
	if f == nil {
		f = &flight{done: make(chan struct{})}
		r.flight = f
		go r.refresh(f)
	}
	r.mu.Unlock()
	select {
	case <-f.done:
		return f.c, f.err
	case <-ctx.Done():
		return creds.Credentials{}, ctx.Err()
	}
}

// usable reports whether cur may be served without a refresh.
func (r *Refresher) usable(now time.Time) bool {
	if r.cur.AccessKeyID == "" {
		return false
	}
	left := r.cur.Expiration.Sub(now)
	return left > r.window || now.Before(r.retryAt) && left > 0
}

func (r *Refresher) refresh(f *flight) {
	c, err := r.provide(r.base)
	if err == nil && !c.Expiration.After(r.now()) {
		err = errors.New("the credentials obtained have already expired (is this machine's clock right?)")
	}
	r.mu.Lock()
	now := r.now()
	switch {
	case err == nil:
		r.set(c, now)
		f.c = c
	case r.cur.AccessKeyID != "" && r.cur.Expiration.After(now):
		// Still valid: serve them a while longer rather than fail a
		// client that could have worked, and try again later.
		f.c = r.cur
		r.retryAt = now.Add(min(maxRetryDelay, r.cur.Expiration.Sub(now)/2))
	default:
		f.err = err
		r.failErr, r.failEnd = err, now.Add(failureHold)
	}
	r.flight = nil
	r.mu.Unlock()
	if err != nil && r.onError != nil {
		r.onError(err)
	}
	close(f.done)
}

// set makes c current. Its refresh window is creds.RefreshWindow, as for
// the cache, or half the time c had left when it came, if that is shorter:
// credentials that live only seconds (the emulator's lifetime override, a
// role with a short session) would otherwise be refreshed on every request.
func (r *Refresher) set(c creds.Credentials, now time.Time) {
	r.cur = c
	r.window = min(creds.RefreshWindow, c.Expiration.Sub(now)/2)
	r.retryAt = time.Time{}
	r.failErr = nil
}

package creds

import (
	"context"
	"errors"
	"fmt"

	"github.com/kagi-cli/kagi/internal/config"
)

// Shared obtains, once each and before any of chains runs, the steps that
// two or more of them share: the MFA session behind fifty roles of one
// user, a role hop in the middle of several chains. The Retrieves of a
// fan-out (exec --profiles) then find those steps in deps.Cache and make
// their own calls at once, instead of every run but one waiting on the
// lock of the first shared step and taking it over one after another.
//
// A chain whose last step is in the cache with more than RefreshWindow
// left, as its Retrieve would serve it, needs none of the steps before it:
// it is no user of them, and their failure is not its. Otherwise roles
// cached from an MFA session that has gone (`kagi clear` of the user) would
// have the session made again, asking for a code, for runs that never need
// it. That costs one cache read per chain, which its run makes anyway.
//
// It returns, in the order of chains, the error of a shared step a chain
// needs that could not be obtained; nil for the others. That chain's
// Retrieve would fail the same way and must not be tried: it would ask for
// an MFA code again. A nil chain (a profile that does not resolve) is
// skipped. When ctx ends, Shared stops and returns ctx's error.
//
// Steps are matched by their cache keys, computed as StepKeys does,
// without reading a secret, but for keyring keys whose id is not
// remembered: those are read, as their Retrieve would read them. A chain
// whose source cannot be identified so (a web identity token) shares
// nothing here, and its Retrieve finds or makes its steps as a lone one
// does. Without deps.Cache nothing could be kept, and nothing is done.
func Shared(ctx context.Context, chains []*config.Chain, deps Deps) ([]error, error) {
	failed := make([]error, len(chains))
	if deps.Cache == nil {
		return failed, nil
	}
	keys := make([][]string, len(chains))
	uses := map[string]int{}
	for i, c := range chains {
		if c == nil {
			continue
		}
		ks, err := StepKeys(ctx, c, deps)
		if errors.Is(err, ErrIdentityUnknown) && c.Source.Kind == config.KeyringKeys {
			// Keys whose id is not remembered: the keyring says, as the
			// run would ask it, and deps.KeyIDs remembers it for the rest.
			_, idErr := newRun(c, deps).sourceID(ctx)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if idErr == nil {
				ks, err = StepKeys(ctx, c, deps)
			}
		}
		if err != nil || len(ks) == 0 || servedFromCache(ctx, c, ks[len(ks)-1], deps) {
			continue
		}
		keys[i] = ks
		for _, k := range ks {
			uses[k]++
		}
	}
	got := map[string]error{} // the shared steps tried, and how they went
	for i, c := range chains {
		// A step's key includes the key of the step before it, so once one
		// step of a chain is its own, so are the rest.
		for j, k := range keys[i] {
			if uses[k] < 2 {
				break
			}
			err, tried := got[k]
			if !tried {
				_, err = Retrieve(ctx, upTo(c, j), deps)
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				got[k] = err
			}
			if err != nil {
				failed[i] = err
				break
			}
		}
	}
	return failed, nil
}

// servedFromCache reports whether chain's Retrieve would take its last
// step, under key, from the cache: fresh, and not dropped at the start of
// the run for an Identity Center sign-in that ended.
func servedFromCache(ctx context.Context, chain *config.Chain, key string, deps Deps) bool {
	if signedOut(chain, deps) {
		return false
	}
	_, ok := newRun(chain, deps).lookup(ctx, deps.Cache, key, fmt.Sprintf("the credentials of profile %q", chain.Profile), false)
	return ok
}

// upTo is chain cut after its step j, counted as StepKeys counts them: the
// Identity Center role credentials first when they are the source, the MFA
// session when there is one, then each role hop. Cut before its first role
// hop, the chain's last step is its MFA session or its source.
func upTo(chain *config.Chain, j int) *config.Chain {
	c := *chain
	n := j + 1
	if c.Source.Kind == config.SSO {
		n--
	}
	if c.MFA != nil {
		n--
	}
	n = max(n, 0)
	c.Roles = c.Roles[:n:n]
	return &c
}

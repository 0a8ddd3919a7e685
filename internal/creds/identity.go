package creds

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/config"
)

// KeyIDs remembers the access key id of the keys stored in the keyring for
// each profile. The id is public (every signed request and CloudTrail show
// it), so it can be kept where a warm run reads it for the price of a small
// file read: the cache is keyed by the identity of the keys, not by the
// profile's name, and a run served from the cache still never opens the
// keyring. `kagi add` and `kagi remove` keep it current; a run that reads
// the keyring anyway checks it (see noteKeyID).
type KeyIDs interface {
	// KeyID returns the id remembered for profile; ok is false when none
	// is, or it cannot be read.
	KeyID(profile string) (id string, ok bool)
	// SetKeyID remembers id for profile, replacing what was remembered.
	SetKeyID(profile, id string) error
}

// KeyringRoot is the identity of keys stored in the keyring under access
// key id: the root (cache.Entry.Root) of every session made from them, and
// the start of the cache keys of their chains.
func KeyringRoot(accessKeyID string) string { return hashFields("keyring", accessKeyID) }

// ErrIdentityUnknown: StepKeys cannot know the source's identity without
// reading a secret (a web identity token), running a helper or opening the
// keyring (stored keys whose id is not remembered).
var ErrIdentityUnknown = errors.New("the identity of the source is not known without reading its credentials")

// StepKeys returns the cache keys under which Retrieve keeps chain's steps,
// in the order they run: the MFA session when there is one, then each role
// hop. It is Retrieve's own computation, made without network, without
// running a helper and without reading a secret: of deps it uses Env, Files
// and KeyIDs. A source that cannot be identified so gives
// ErrIdentityUnknown; a chain with no cached step gives no keys.
func StepKeys(ctx context.Context, chain *config.Chain, deps Deps) ([]string, error) {
	if chain == nil {
		return nil, fmt.Errorf("no chain")
	}
	r := newRun(chain, deps)
	r.offline = true
	var keys []string
	if chain.Source.Kind == config.SSO {
		k, err := r.ssoKey(ctx)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	for i := -1; i < len(chain.Roles); i++ {
		if i < 0 && chain.MFA == nil {
			continue
		}
		k, err := r.stepKey(ctx, i)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// errKeysChanged ends a Retrieve that keyed the cache by a remembered key
// id the keyring no longer holds; Retrieve starts over once with the keys
// it read (see noteKeyID).
var errKeysChanged = errors.New("the stored keys changed while in use")

// stampedKeyID is the access key id Deps.KeyIDs remembers for the source
// profile, read once per Retrieve.
func (r *run) stampedKeyID() (string, bool) {
	if !r.stampRead {
		r.stampRead = true
		if r.deps.KeyIDs != nil {
			r.stamp, r.stamped = r.deps.KeyIDs.KeyID(r.chain.Source.Profile)
		}
	}
	return r.stamp, r.stamped
}

// noteKeyID compares the access key id of the keys just read from the
// keyring with the one remembered. When none is remembered, it is now.
// When another is, the keys were replaced without `kagi add` (another HOME
// on the same OS keyring, another tool): the new id is remembered, the old
// keys' sessions (the MFA session and every role chained from it) are
// dropped, and if this run has already keyed the cache by the old id it
// returns errKeysChanged so that Retrieve starts over under the new one.
func (r *run) noteKeyID(ctx context.Context, id string) error {
	old, ok := r.stampedKeyID()
	if ok && old == id {
		return nil
	}
	p := r.chain.Source.Profile
	r.stamp, r.stamped = id, true
	if r.deps.KeyIDs != nil {
		if err := r.deps.KeyIDs.SetKeyID(p, id); err != nil {
			// Correct either way, but every run would open the keyring.
			r.warnf("cannot remember the key id of profile %q, so every run opens the keyring: %v", p, err)
		}
	}
	if !ok {
		return nil
	}
	r.log.Printf("keyring: the keys of profile %q are %s, no longer %s: dropping the sessions of %s", p, id, old, old)
	if r.deps.Cache != nil {
		n, err := cache.DeleteRoot(ctx, r.deps.Cache, KeyringRoot(old))
		if err != nil {
			r.log.Printf("cache: %v", err)
		} else {
			r.log.Printf("cache: dropped %d session(s) of %s", n, old)
		}
	}
	if r.srcIDOK && r.srcID == KeyringRoot(old) {
		return errKeysChanged
	}
	return nil
}

// refusedSession reports whether STS refused the calling credentials
// themselves rather than what they asked for: they have expired (or this
// machine's clock is off), STS does not know them (InvalidClientTokenId),
// or they were revoked. AWS revokes sessions with an inline policy of the
// role or user that denies everything to credentials issued before a time,
// which STS reports as "with an explicit deny in an identity-based policy";
// a deny in a trust policy or an SCP is said otherwise, and is not a
// stale session's fault.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
func refusedSession(err error) bool {
	if expiredToken(err) {
		return true
	}
	code, msg, ok := apiCode(err)
	if !ok {
		return false
	}
	switch code {
	case "InvalidClientTokenId":
		return true
	case "AccessDenied":
		return strings.Contains(msg, "explicit deny in an identity-based policy")
	}
	return false
}

// dropRefused deletes the cache entry under key when it still holds the
// credentials STS refused (accessKeyID). Under the entry's lock, so that of
// many processes refused together one drops the entry and fetches anew, and
// the others find and use what it stored.
func (r *run) dropRefused(ctx context.Context, key, accessKeyID string) {
	store := r.deps.Cache
	unlock, err := store.Lock(ctx, key)
	if err != nil {
		r.log.Printf("cache: cannot lock the refused entry, dropping it without the lock: %v", err)
		unlock = func() {}
	}
	defer unlock()
	e, err := store.Get(ctx, key)
	if err != nil || e.AccessKeyID != accessKeyID {
		// Gone or replaced already: another process fetched anew.
		return
	}
	if err := store.Delete(ctx, key); err != nil {
		r.log.Printf("cache: delete: %v", err)
	}
}

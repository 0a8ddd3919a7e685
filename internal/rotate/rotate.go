// Package rotate replaces the long-term access key stored in kagi's
// keyring for a profile with a new one: created in IAM, proven to work,
// stored, and only then the old one deleted. Every step is journalled in
// the keyring (the item PendingItemName), so that a crash or a kill at any
// point leaves a stored key that works, and the next Rotate of the profile
// finishes the job. The state machine is written down in docs/design.md
// ("kagi rotate").
package rotate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kagi-cli/kagi/internal/creds"
	"github.com/kagi-cli/kagi/internal/debug"
	"github.com/kagi-cli/kagi/internal/keyring"
)

// Points are the named steps of a rotation, in order, where Options.Stop
// is called: a test stops (kills) the process there.
var Points = []string{
	"intent-stored",  // the journal says "creating"; IAM not asked yet
	"key-created",    // IAM made the new key; the journal does not have it
	"pending-stored", // the journal holds the new key
	"proven",         // the new key works at STS
	"promoted",       // the keyring's keys are the new key
	"sessions-dropped",
	"old-deleted", // the old key is gone from IAM; the journal remains
}

// Options are what one rotation needs.
type Options struct {
	Profile string
	Keyring keyring.Keyring
	AWS     *Client
	// Caller returns the credentials to call IAM with, given the keys
	// stored now: the MFA session where the profile has mfa_serial, else
	// the keys themselves. It is called at most once per Rotate.
	Caller func(ctx context.Context, stored keyring.AccessKeys) (creds.Credentials, error)
	// KeysChanged records that the profile's stored keys are newID instead
	// of oldID, and drops every cached session of oldID; it says how many.
	KeysChanged func(ctx context.Context, newID, oldID string) (int, error)
	// OlderThan, when positive, rotates only a key created longer ago.
	OlderThan time.Duration
	// ProveFor bounds how long a new key may be refused at STS (IAM is
	// eventually consistent) before the rotation gives up; 0: 2 minutes.
	ProveFor time.Duration
	// Say receives one line of progress for the user.
	Say func(format string, args ...any)
	Log *debug.Log
	Now func() time.Time
	// Stop, when set, is called at each of Points (a test's crash hook).
	Stop func(point string)
}

// Result says what a rotation did.
type Result struct {
	Profile  string
	OldKeyID string
	NewKeyID string // "" when not rotated
	// Skipped: the key is not older than OlderThan; Age is its age.
	Skipped bool
	Age     time.Duration
	// Resumed: an earlier, interrupted rotation was finished (or undone).
	Resumed bool
	// Dropped is how many cached sessions of the old key were dropped.
	Dropped int
}

// LimitError is the two-key quota: the user has another key, which must
// go before a new one can be made. Nothing was changed.
type LimitError struct {
	Profile, User string
	Other         AccessKey
	OtherUsed     LastUsed
	UsedErr       error
}

func (e *LimitError) Error() string {
	used := "never used"
	switch {
	case e.UsedErr != nil:
		used = "last use unknown"
	case !e.OtherUsed.At.IsZero():
		used = fmt.Sprintf("last used %s (%s, %s)", e.OtherUsed.At.Format("2006-01-02 15:04 UTC"), e.OtherUsed.Service, e.OtherUsed.Region)
	}
	return fmt.Sprintf("profile %q: IAM user %q has two access keys already, the most IAM allows: the other one is %s (%s, created %s, %s); nothing was changed",
		e.Profile, e.User, e.Other.ID, e.Other.Status, e.Other.Created.Format("2006-01-02"), used)
}

// Hint is the next step.
func (e *LimitError) Hint() string {
	return fmt.Sprintf("if nothing uses %s, delete it (aws iam delete-access-key --user-name %s --access-key-id %s), then run 'kagi rotate %s' again",
		e.Other.ID, e.User, e.Other.ID, e.Profile)
}

// rotation is one Rotate under way.
type rotation struct {
	Options
	res    Result
	caller *creds.Credentials
}

func (r *rotation) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *rotation) say(format string, args ...any) {
	if r.Say != nil {
		r.Say(format, args...)
	}
}

func (r *rotation) stop(point string) {
	r.Log.Printf("rotate: %s: %s", r.Profile, point)
	if r.Stop != nil {
		r.Stop(point)
	}
}

// callerFor returns (once) the credentials for IAM calls.
func (r *rotation) callerFor(ctx context.Context, stored keyring.AccessKeys) (creds.Credentials, error) {
	if r.caller != nil {
		return *r.caller, nil
	}
	c, err := r.Caller(ctx, stored)
	if err != nil {
		return creds.Credentials{}, err
	}
	r.Log.Secret(c.SecretAccessKey)
	r.Log.Secret(c.SessionToken)
	r.caller = &c
	return c, nil
}

func asCreds(k keyring.AccessKeys) creds.Credentials {
	return creds.Credentials{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey}
}

// Rotate rotates the key stored for opts.Profile, or finishes (or undoes)
// a rotation that was interrupted.
func Rotate(ctx context.Context, opts Options) (Result, error) {
	r := &rotation{Options: opts, res: Result{Profile: opts.Profile}}
	stored, err := keyring.GetKeys(ctx, r.Keyring, r.Profile)
	if err != nil {
		return r.res, err
	}
	r.Log.Secret(stored.SecretAccessKey)
	r.res.OldKeyID = stored.AccessKeyID
	p, err := loadPending(ctx, r.Keyring, r.Profile)
	if err != nil {
		return r.res, err
	}
	if p != nil {
		r.Log.Secret(p.NewSecret)
		r.res.Resumed = true
		again, err := r.resume(ctx, p, stored)
		if err != nil || !again {
			return r.res, err
		}
		if stored, err = keyring.GetKeys(ctx, r.Keyring, r.Profile); err != nil {
			return r.res, err
		}
		r.res.OldKeyID = stored.AccessKeyID
	}
	return r.res, r.fresh(ctx, stored)
}

// userOf is the IAM user name in a user's ARN
// (arn:aws:iam::ACCOUNT:user/PATH/NAME).
func userOf(arn string) (string, bool) {
	_, res, ok := strings.Cut(arn, ":user/")
	if !ok || !strings.HasPrefix(arn, "arn:") || res == "" {
		return "", false
	}
	return res[strings.LastIndex(res, "/")+1:], true
}

// fresh rotates stored, with no rotation under way.
func (r *rotation) fresh(ctx context.Context, stored keyring.AccessKeys) error {
	arn, err := r.AWS.WhoAmI(ctx, asCreds(stored))
	if err != nil {
		if IsCode(err, "InvalidClientTokenId") {
			return &hintError{fmt.Errorf("profile %q: AWS refuses its stored access key %s (deleted or deactivated in IAM?): %w", r.Profile, stored.AccessKeyID, err),
				fmt.Sprintf("store a key that works with 'kagi add %s'", r.Profile)}
		}
		return fmt.Errorf("profile %q: %w", r.Profile, err)
	}
	user, ok := userOf(arn)
	if !ok {
		return fmt.Errorf("profile %q: its keys act as %s, not an IAM user: kagi rotates IAM users' keys", r.Profile, arn)
	}
	caller, err := r.callerFor(ctx, stored)
	if err != nil {
		return err
	}
	keys, err := r.AWS.ListAccessKeys(ctx, caller, user)
	if err != nil {
		return r.iamErr(ctx, err, stored)
	}
	var mine *AccessKey
	var others []AccessKey
	for i, k := range keys {
		if k.ID == stored.AccessKeyID {
			mine = &keys[i]
		} else {
			others = append(others, k)
		}
	}
	if mine == nil {
		return fmt.Errorf("profile %q: iam:ListAccessKeys of user %q does not list its stored key %s", r.Profile, user, stored.AccessKeyID)
	}
	r.res.Age = r.now().Sub(mine.Created)
	if r.OlderThan > 0 && r.res.Age <= r.OlderThan {
		r.res.Skipped = true
		return nil
	}
	if len(others) > 0 {
		return r.limitError(ctx, caller, user, others[0])
	}
	p := &pending{Profile: r.Profile, User: user, UserARN: arn, OldKeyID: stored.AccessKeyID, Started: r.now().UTC()}
	if err := savePending(ctx, r.Keyring, p); err != nil {
		return err
	}
	r.stop("intent-stored")
	newKeys, created, err := r.AWS.CreateAccessKey(ctx, caller, user)
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.Status < 500 {
			// IAM refused: no key was made. Undo the intent. (A 5xx may
			// come after the key was made: that is left to resume.)
			if rerr := removePending(ctx, r.Keyring, r.Profile); rerr != nil {
				return rerr
			}
			if ae.Code == "LimitExceeded" {
				if keys, lerr := r.AWS.ListAccessKeys(ctx, caller, user); lerr == nil {
					for _, k := range keys {
						if k.ID != stored.AccessKeyID {
							return r.limitError(ctx, caller, user, k)
						}
					}
				}
			}
			return r.iamErr(ctx, err, stored)
		}
		// No answer, or a failure that may come after the key was made:
		// IAM may hold a key whose secret is lost. The journal stays, so
		// the next rotate looks for it (resume).
		return &hintError{fmt.Errorf("profile %q: %w", r.Profile, err), fmt.Sprintf("run 'kagi rotate %s' again: it deletes a key this attempt may have made", r.Profile)}
	}
	r.Log.Secret(newKeys.SecretAccessKey)
	r.stop("key-created")
	p.NewKeyID, p.NewSecret, p.NewCreated = newKeys.AccessKeyID, newKeys.SecretAccessKey, created
	if err := savePending(ctx, r.Keyring, p); err != nil {
		// The new key's secret is only in memory: delete the key rather
		// than leave one no one can use.
		if derr := r.AWS.DeleteAccessKey(ctx, caller, user, newKeys.AccessKeyID); derr != nil {
			return fmt.Errorf("%w; and deleting the new key %s failed too: %v", err, newKeys.AccessKeyID, derr)
		}
		return err
	}
	r.stop("pending-stored")
	r.say("created access key %s for IAM user %q; proving it works", newKeys.AccessKeyID, user)
	return r.finish(ctx, p, stored)
}

// finish takes a journalled new key from proof to the old key's deletion.
func (r *rotation) finish(ctx context.Context, p *pending, stored keyring.AccessKeys) error {
	if stored.AccessKeyID != p.NewKeyID {
		if err := r.prove(ctx, p); err != nil {
			return err
		}
		r.stop("proven")
		if err := keyring.SetKeys(ctx, r.Keyring, r.Profile, p.newKeys()); err != nil {
			return err
		}
		r.stop("promoted")
	}
	r.res.OldKeyID, r.res.NewKeyID = p.OldKeyID, p.NewKeyID
	n, err := r.KeysChanged(ctx, p.NewKeyID, p.OldKeyID)
	r.res.Dropped = n
	if err != nil {
		return &hintError{fmt.Errorf("profile %q: the new key %s is stored, but the cached sessions of %s could not all be dropped: %w", r.Profile, p.NewKeyID, p.OldKeyID, err),
			fmt.Sprintf("run 'kagi rotate %s' again to finish", r.Profile)}
	}
	r.stop("sessions-dropped")
	caller, err := r.callerFor(ctx, stored)
	if err != nil {
		return r.unfinished(err, p)
	}
	if err := r.AWS.DeleteAccessKey(ctx, caller, p.User, p.OldKeyID); err != nil && !IsCode(err, "NoSuchEntity") {
		return r.unfinished(r.iamErr(ctx, err, stored), p)
	}
	r.stop("old-deleted")
	return removePending(ctx, r.Keyring, r.Profile)
}

func (r *rotation) unfinished(err error, p *pending) error {
	return &hintError{fmt.Errorf("profile %q: the new key %s is stored and works, but the old key %s is not deleted yet: %w", r.Profile, p.NewKeyID, p.OldKeyID, err),
		fmt.Sprintf("run 'kagi rotate %s' again to delete it", r.Profile)}
}

// prove waits until STS accepts the new key as the same user, within
// ProveFor: IAM is eventually consistent, and a key a few seconds old can
// be refused ("InvalidClientTokenId").
func (r *rotation) prove(ctx context.Context, p *pending) error {
	bound := r.ProveFor
	if bound <= 0 {
		bound = 2 * time.Minute
	}
	deadline := r.now().Add(bound)
	wait := 250 * time.Millisecond
	for tries := 1; ; tries++ {
		arn, err := r.AWS.WhoAmI(ctx, asCreds(p.newKeys()))
		if err == nil {
			if arn != p.UserARN {
				return fmt.Errorf("profile %q: the new key %s acts as %s, not %s", r.Profile, p.NewKeyID, arn, p.UserARN)
			}
			r.Log.Printf("rotate: %s works after %d tries", p.NewKeyID, tries)
			return nil
		}
		notYet := IsCode(err, "InvalidClientTokenId") || IsCode(err, "SignatureDoesNotMatch")
		if !notYet || r.now().Add(wait).After(deadline) {
			return &hintError{fmt.Errorf("profile %q: the new key %s does not work yet (%d tries): %w; the old key %s is still stored and was not deleted", r.Profile, p.NewKeyID, tries, err, p.OldKeyID),
				fmt.Sprintf("run 'kagi rotate %s' again in a minute to finish", r.Profile)}
		}
		if perr := r.AWS.pause(ctx, wait); perr != nil {
			return perr
		}
		wait = min(2*wait, 4*time.Second)
	}
}

// orphanWindow is how far from the journal's start a key made by a
// CreateAccessKey whose answer was lost may be dated (IAM's clock against
// this machine's, and the call's own time).
const orphanWindow = 10 * time.Minute

// resume finishes or undoes the rotation p records; again reports that a
// fresh rotation should follow (the interrupted one made no usable key).
func (r *rotation) resume(ctx context.Context, p *pending, stored keyring.AccessKeys) (again bool, err error) {
	switch {
	case p.NewKeyID == "":
		// Stopped around CreateAccessKey: IAM may hold a key whose secret
		// no one has. Such a key was made near p.Started and was never
		// used; any other key is someone's, and is left alone.
		caller, err := r.callerFor(ctx, stored)
		if err != nil {
			return false, err
		}
		keys, err := r.AWS.ListAccessKeys(ctx, caller, p.User)
		if err != nil {
			return false, r.iamErr(ctx, err, stored)
		}
		for _, k := range keys {
			if k.ID == stored.AccessKeyID || k.ID == p.OldKeyID {
				continue
			}
			if d := k.Created.Sub(p.Started); d < -orphanWindow || d > orphanWindow {
				continue
			}
			lu, err := r.AWS.LastUsed(ctx, caller, k.ID)
			if err != nil || !lu.At.IsZero() {
				continue
			}
			if err := r.AWS.DeleteAccessKey(ctx, caller, p.User, k.ID); err != nil && !IsCode(err, "NoSuchEntity") {
				return false, r.iamErr(ctx, err, stored)
			}
			r.say("deleted access key %s: an interrupted rotation made it and its secret was lost", k.ID)
		}
		return true, removePending(ctx, r.Keyring, r.Profile)
	case stored.AccessKeyID == p.NewKeyID:
		// Promoted already: drop the old key's sessions, delete it.
		r.say("finishing the interrupted rotation of profile %q: %s is stored; deleting %s", r.Profile, p.NewKeyID, p.OldKeyID)
		return false, r.finish(ctx, p, stored)
	case stored.AccessKeyID == p.OldKeyID:
		r.say("finishing the interrupted rotation of profile %q: proving %s", r.Profile, p.NewKeyID)
		err := r.finish(ctx, p, stored)
		if err == nil || !IsCode(err, "InvalidClientTokenId") {
			return false, err
		}
		// Refused: if IAM no longer lists the new key (deleted since),
		// the record is dropped and the rotation starts over.
		caller, cerr := r.callerFor(ctx, stored)
		if cerr != nil {
			return false, err
		}
		keys, lerr := r.AWS.ListAccessKeys(ctx, caller, p.User)
		if lerr != nil {
			return false, err
		}
		for _, k := range keys {
			if k.ID == p.NewKeyID {
				return false, err // still there: not yet consistent
			}
		}
		r.say("access key %s of the interrupted rotation is gone from IAM; starting over", p.NewKeyID)
		return true, removePending(ctx, r.Keyring, r.Profile)
	default:
		// The stored keys were replaced (kagi add) since: the journalled
		// key was never handed to anyone; delete it and start over.
		caller, err := r.callerFor(ctx, stored)
		if err != nil {
			return false, err
		}
		if err := r.AWS.DeleteAccessKey(ctx, caller, p.User, p.NewKeyID); err != nil && !IsCode(err, "NoSuchEntity") {
			return false, r.iamErr(ctx, err, stored)
		}
		r.say("deleted access key %s of an interrupted rotation: profile %q's keys were replaced since", p.NewKeyID, r.Profile)
		return true, removePending(ctx, r.Keyring, r.Profile)
	}
}

func (r *rotation) limitError(ctx context.Context, caller creds.Credentials, user string, other AccessKey) error {
	e := &LimitError{Profile: r.Profile, User: user, Other: other}
	e.OtherUsed, e.UsedErr = r.AWS.LastUsed(ctx, caller, other.ID)
	return e
}

// iamErr explains an IAM refusal where the next step is known: IAM
// refuses keys (and sessions without MFA) under a policy that demands
// MFA, which the profile's mfa_serial answers.
func (r *rotation) iamErr(ctx context.Context, err error, stored keyring.AccessKeys) error {
	var ae *APIError
	if !errors.As(err, &ae) {
		return fmt.Errorf("profile %q: %w", r.Profile, err)
	}
	denied := ae.Code == "AccessDenied" && strings.Contains(ae.Message, "explicit deny")
	if !denied || r.caller == nil || r.caller.SessionToken != "" {
		return fmt.Errorf("profile %q: %w", r.Profile, err)
	}
	hint := fmt.Sprintf("if your IAM policy demands MFA for IAM calls, set mfa_serial in [profile %s] so that kagi calls IAM with an MFA session", r.Profile)
	if serials, lerr := r.AWS.MFADevices(ctx, asCreds(stored)); lerr == nil && len(serials) > 0 {
		hint = fmt.Sprintf("IAM refuses calls without MFA here: add 'mfa_serial = %s' to [profile %s], and kagi calls IAM with an MFA session", serials[0], r.Profile)
	}
	return &hintError{fmt.Errorf("profile %q: %w", r.Profile, err), hint}
}

// hintError is an error with the user's next step.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }
func (e *hintError) Hint() string  { return e.hint }

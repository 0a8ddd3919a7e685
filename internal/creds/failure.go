package creds

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/kagi-cli/kagi/internal/cache"
)

// Failure is shared like success (issue 9): a process that waited on a
// step's lock while its holder failed fails with the holder's error, read
// from beside the lock, instead of running the whole chain again. Without
// it 50 processes against an unreachable STS ran mfa_process 50 times, one
// after another, the last failing after 168 s.

// shareFailureFor is how young a failure record must be to be taken over
// by a waiter. A waiter takes only a record written after it began waiting
// (it waited for exactly that attempt); this bounds the rest: a clock step
// or a waiter that slept through a suspended laptop must try again.
const shareFailureFor = time.Minute

// SharedFailureError is the error another process met while holding the
// lock this process waited on: the same message and the same hint.
type SharedFailureError struct {
	Message string
	Next    string // the hint
	When    time.Time
}

func (e *SharedFailureError) Error() string { return e.Message }
func (e *SharedFailureError) Hint() string  { return e.Next }

// localError marks a failure of this process's own means (no terminal to
// ask on, a KAGI_PROMPT it cannot run): a waiter may well have them, so it
// is not shared.
type localError struct{ err error }

func (e *localError) Error() string { return e.err.Error() }
func (e *localError) Unwrap() error { return e.err }

// hinter is an error that knows the user's next step.
type hinter interface{ Hint() string }

// shareable reports whether err, met while holding a lock, says something
// about the world that a waiter would meet too.
func shareable(ctx context.Context, err error) bool {
	// Interrupted (Ctrl-C, the caller's deadline): nothing was learnt. A
	// helper's own time bound is not this: it failed, and would again.
	if ctx.Err() != nil {
		return false
	}
	// The stored keys changed under this run: it starts over under the new
	// ones, and a waiter keyed by the old ones must look for itself.
	if errors.Is(err, errKeysChanged) {
		return false
	}
	var le *localError
	return !errors.As(err, &le)
}

// failureOf is the record of err.
func failureOf(err error, when time.Time) cache.Failure {
	f := cache.Failure{Message: err.Error(), When: when}
	var h hinter
	if errors.As(err, &h) {
		f.Hint = h.Hint()
	}
	return f
}

// recordFailure leaves err beside key's lock for the processes waiting on
// it. A record that cannot be written costs them a try of their own, no
// more.
func (r *run) recordFailure(ctx context.Context, store cache.Store, key, what string, err error) {
	if !shareable(ctx, err) {
		return
	}
	if perr := store.PutFailure(ctx, key, failureOf(err, r.now())); perr != nil {
		r.log.Printf("cache: cannot record the failure of %s for the processes waiting on it: %v", what, perr)
	}
}

// clearFailure removes an earlier attempt's record once the entry is
// stored: nobody would take it over (it is older than any wait), but it
// need not linger.
func (r *run) clearFailure(ctx context.Context, store cache.Store, key string) {
	if err := store.DeleteFailure(ctx, key); err != nil {
		r.log.Printf("cache: cannot remove an old failure record: %v", err)
	}
}

// sharedFailure returns the failure recorded at key by a holder of its lock
// after since (when this process began waiting for that lock), or nil.
func (r *run) sharedFailure(ctx context.Context, store cache.Store, key, what string, since time.Time) error {
	f, err := store.GetFailure(ctx, key)
	if err != nil {
		if !errors.Is(err, cache.ErrNotFound) {
			r.log.Printf("cache: cannot read the failure record of %s: %v", what, err)
		}
		return nil
	}
	now := r.now()
	if !f.When.After(since) || now.Sub(f.When) > shareFailureFor {
		return nil // an older attempt's: this process tries for itself
	}
	r.log.Printf("cache: the process that held the lock of %s failed at %s while this one waited; failing with its error", what, f.When.Local().Format(time.TimeOnly))
	return &SharedFailureError{Message: f.Message, Next: f.Hint, When: f.When}
}

// recordKey names a record that is not a cache entry's (the rejection of
// a code, a clock found wrong): a digest like the entries' keys, of kind
// and the fields.
func recordKey(kind string, fields ...string) string {
	h := sha256.New()
	h.Write([]byte("kagi-record-v1\x00" + kind))
	for _, f := range fields {
		fmt.Fprintf(h, "\x00%d:%s", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// totpStep is the period of the codes of AWS's virtual MFA devices (RFC 6238
// with the default 30 s): a rejected code stays the code until it ends.
const totpStep = 30 * time.Second

// nextCode is when the TOTP step after the one holding t begins.
func nextCode(t time.Time) time.Time {
	step := int64(totpStep / time.Second)
	return time.Unix((t.Unix()/step+1)*step, 0)
}

// MFACodeDueError: a code from a source that cannot be asked again
// (mfa_process, KAGI_MFA_TOKEN, --mfa-token, ykman) was rejected for Serial
// in this TOTP step, so this process does not ask it for another before the
// next step: it would give the same code, and STS would count one more
// failure against the device.
type MFACodeDueError struct {
	Serial, Profile string
	RejectedAt, Due time.Time
	Now             time.Time
}

func (e *MFACodeDueError) Error() string {
	s := fmt.Sprintf("the MFA code for %s was rejected at %s", e.Serial, clockText(e.RejectedAt))
	if e.Profile != "" {
		s += fmt.Sprintf(" (profile %q)", e.Profile)
	}
	return s + fmt.Sprintf("; the next code is due at %s, in %s", clockText(e.Due), e.Due.Sub(e.Now).Round(time.Second))
}
func (e *MFACodeDueError) Hint() string {
	return "run again once the next code is due, or run at a terminal, where kagi asks for the code and lets you retry"
}

func clockText(t time.Time) string { return t.UTC().Format("15:04:05 UTC") }

// rejectionKey is where the rejection of a non-interactive code for serial
// is kept: per device and STS endpoint, whatever profile asked.
func (r *run) rejectionKey(ctx context.Context, serial string) string {
	return recordKey("mfa-rejected", serial, r.clients(ctx).endpoint)
}

// recentRejection fails when a code for serial from a non-interactive
// source was rejected in the current TOTP step (by any process).
func (r *run) recentRejection(ctx context.Context, serial, profile string) error {
	store := r.deps.Cache
	if store == nil {
		return nil
	}
	f, err := store.GetFailure(ctx, r.rejectionKey(ctx, serial))
	if err != nil {
		return nil
	}
	now := r.now()
	due := nextCode(f.When)
	if now.Before(f.When) || !now.Before(due) {
		return nil // another step (or a clock set back): codes may be asked again
	}
	r.log.Printf("mfa: a code for %s from a source that cannot be asked again was rejected at %s; not asking before %s", serial, clockText(f.When), clockText(due))
	return &MFACodeDueError{Serial: serial, Profile: profile, RejectedAt: f.When, Due: due, Now: now}
}

// recordRejection notes that a non-interactive code for serial was
// rejected now.
func (r *run) recordRejection(ctx context.Context, serial string, rejected error) {
	store := r.deps.Cache
	if store == nil {
		return
	}
	if err := store.PutFailure(ctx, r.rejectionKey(ctx, serial), failureOf(rejected, r.now())); err != nil {
		r.log.Printf("mfa: cannot record the rejected code for %s: %v", serial, err)
	}
}

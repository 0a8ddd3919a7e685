package creds

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/prompt"
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

	code *cache.RejectedCode // the rejected MFA code it is about, if any
}

func (e *SharedFailureError) rejectedCode() *cache.RejectedCode { return e.code }

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

// codeMarked is an error about one rejected MFA code: only a process that
// would send that same code fails with it.
type codeMarked interface{ rejectedCode() *cache.RejectedCode }

// markOf is the mark of the rejected code err is about, or nil.
func markOf(err error) *cache.RejectedCode {
	var m codeMarked
	if errors.As(err, &m) {
		return m.rejectedCode()
	}
	return nil
}

// failureOf is the record of err.
func failureOf(err error, when time.Time) cache.Failure {
	f := cache.Failure{Message: err.Error(), When: when, Code: markOf(err)}
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
	shared := &SharedFailureError{Message: f.Message, Next: f.Hint, When: f.When, code: f.Code}
	if r.otherCode(ctx, f.Code) {
		r.log.Printf("mfa: the process that held the lock of %s had its MFA code rejected while this one waited; this one's code is another, so it tries", what)
		return nil
	}
	r.log.Printf("cache: the process that held the lock of %s failed at %s while this one waited; failing with its error", what, f.When.Local().Format(time.TimeOnly))
	return shared
}

// otherCode reports whether this run would try another MFA code than the
// one rejected (mark; nil: not a rejected code, or one of unknown kind):
// a person is asked for their own; a code given up front is read and
// compared; a program's is another unless the rejected one came from a
// program, which would give it again (it is not run to find out).
func (r *run) otherCode(ctx context.Context, mark *cache.RejectedCode) bool {
	if mark == nil {
		return false
	}
	serial, process, processProfile, profile := r.mfaAsk()
	if serial == "" {
		return false
	}
	src, err := r.promptSource(ctx, process, processProfile)
	switch {
	case err != nil:
		return false
	case src.Interactive():
		return true
	case prompt.Given(src):
		code, err := src.Code(ctx, prompt.Request{Serial: serial, Profile: profile, Attempt: 1})
		r.log.Secret(code)
		return err == nil && !sameCode(mark, code)
	}
	return !mark.Generated
}

// mfaAsk is what the chain asks an MFA code with: the MFA session's
// device, else the first role hop's that has one.
func (r *run) mfaAsk() (serial, process, processProfile, profile string) {
	if m := r.chain.MFA; m != nil && m.Serial != "" {
		return m.Serial, m.Process, m.ProcessProfile, r.sessionProfile()
	}
	for _, h := range r.chain.Roles {
		if h.MFASerial != "" {
			return h.MFASerial, h.MFAProcess, h.MFAProcessProfile, h.Profile
		}
	}
	return "", "", "", ""
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
// in this TOTP step, and this process would send that same code: the code
// given to it (--mfa-token, KAGI_MFA_TOKEN), or the code of the program
// (mfa_process, ykman) that gave the rejected one, not asked again before
// the next step. STS would count one more failure against the device.
type MFACodeDueError struct {
	Serial, Profile string
	RejectedAt, Due time.Time
	Now             time.Time
	// Given: the code was given up front, and is the rejected one.
	Given bool

	code *cache.RejectedCode
}

func (e *MFACodeDueError) rejectedCode() *cache.RejectedCode { return e.code }

func (e *MFACodeDueError) Error() string {
	s := fmt.Sprintf("the MFA code for %s was rejected at %s", e.Serial, clockText(e.RejectedAt))
	if e.Profile != "" {
		s += fmt.Sprintf(" (profile %q)", e.Profile)
	}
	return s + fmt.Sprintf("; the next code is due at %s, in %s", clockText(e.Due), e.Due.Sub(e.Now).Round(time.Second))
}
func (e *MFACodeDueError) Hint() string {
	if e.Given {
		return "this code was refused already: give the next one once it is due, or run at a terminal without one, where kagi asks for the code and lets you retry"
	}
	return "run again once the next code is due, or run at a terminal, where kagi asks for the code and lets you retry"
}

func clockText(t time.Time) string { return t.UTC().Format("15:04:05 UTC") }

// rejectionKey is where the rejection of a non-interactive code for serial
// is kept: per device and STS endpoint, whatever profile asked.
func (r *run) rejectionKey(ctx context.Context, serial string) string {
	return recordKey("mfa-rejected", serial, r.clients(ctx).endpoint)
}

// recentRejection returns the record of a code for serial from a source
// that cannot be asked again, rejected in the current TOTP step (by any
// process), or nil.
func (r *run) recentRejection(ctx context.Context, serial string) *cache.Failure {
	store := r.deps.Cache
	if store == nil {
		return nil
	}
	f, err := store.GetFailure(ctx, r.rejectionKey(ctx, serial))
	if err != nil {
		return nil
	}
	now := r.now()
	if now.Before(f.When) || !now.Before(nextCode(f.When)) {
		return nil // another step (or a clock set back): codes may be asked again
	}
	return &f
}

// codeDue is the error of sending again the code rejected in f.
func (r *run) codeDue(f *cache.Failure, serial, profile string, given bool) error {
	due := nextCode(f.When)
	if given {
		r.log.Printf("mfa: the code given for %s was rejected at %s; not sending it again", serial, clockText(f.When))
	} else {
		r.log.Printf("mfa: a code for %s from a source that cannot be asked again was rejected at %s; not asking before %s", serial, clockText(f.When), clockText(due))
	}
	return &MFACodeDueError{Serial: serial, Profile: profile, RejectedAt: f.When, Due: due, Now: r.now(), Given: given, code: f.Code}
}

// recordRejection notes that a non-interactive code for serial was
// rejected now; rejected carries the code's mark.
func (r *run) recordRejection(ctx context.Context, serial string, rejected error) {
	store := r.deps.Cache
	if store == nil {
		return
	}
	if err := store.PutFailure(ctx, r.rejectionKey(ctx, serial), failureOf(rejected, r.now())); err != nil {
		r.log.Printf("mfa: cannot record the rejected code for %s: %v", serial, err)
	}
}

// codeTagHex is how many hex digits of a rejected code's keyed hash its
// record keeps: 12 bits. Of the million six-digit codes, some 244 share a
// tag, so the record cannot say which was rejected; a different code is
// taken for the rejected one once in 4096, and then waits for the next
// code, as every code did before codes were told apart.
const codeTagHex = 3

// markCode is a new mark of code: a random salt of its own, and the tag.
func markCode(code string, generated bool) *cache.RejectedCode {
	salt := make([]byte, 32)
	rand.Read(salt) // never fails: crypto/rand crashes the program instead (Go 1.24)
	return &cache.RejectedCode{Salt: salt, Tag: codeTag(salt, code), Generated: generated}
}

// codeTag is the first codeTagHex hex digits of HMAC-SHA256(salt, code).
func codeTag(salt []byte, code string) string {
	h := hmac.New(sha256.New, salt)
	h.Write([]byte(code))
	return hex.EncodeToString(h.Sum(nil))[:codeTagHex]
}

// sameCode reports whether code is the one mark was made of (or, once in
// 4096, shares its tag).
func sameCode(mark *cache.RejectedCode, code string) bool {
	return hmac.Equal([]byte(codeTag(mark.Salt, code)), []byte(mark.Tag))
}

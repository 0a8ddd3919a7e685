package creds

import (
	"context"
	"errors"
	"fmt"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// maxClockSkew is how far this machine's clock may be from STS's before
// kagi refuses the credentials STS returns. It is SigV4's own tolerance
// (STS refuses a request signed more than 5 minutes away from its time:
// "Signature expired ... - 5 min."), so a clock off by more cannot sign for
// the tools kagi serves either; and it is RefreshWindow, so credentials
// that look fresh to a clock within it are fresh.
//
// kagi's own calls still get through such a clock (the SDK corrects its
// signing time from the Date of the refusal), which is how the credentials
// arrive: already expired by this clock when it is ahead, and believed good
// for hours after they end when it is behind.
const maxClockSkew = 5 * time.Minute

// ClockError refuses credentials that this machine's clock cannot time:
// they arrived expired or about to expire by it, or STS's Date says it is
// wrong by more than maxClockSkew.
type ClockError struct {
	Action     string    // "sts:AssumeRole"
	Subject    string    // the role ARN or MFA serial
	Local      time.Time // this machine's time when the answer came
	Server     time.Time // the Date of STS's answer; zero when it had none
	Expiration time.Time // of the credentials
}

func (e *ClockError) Error() string {
	s := fmt.Sprintf("%s of %s returned credentials that expire at %s, ", e.Action, e.Subject, timeText(e.Expiration))
	if left := e.Expiration.Sub(e.Local); left <= 0 {
		s += fmt.Sprintf("%s ago by this machine's clock", (-left).Round(time.Second))
	} else {
		s += fmt.Sprintf("in %s by this machine's clock", left.Round(time.Second))
	}
	if e.Server.IsZero() {
		return s + fmt.Sprintf(" (%s; STS's answer had no Date)", timeText(e.Local))
	}
	skew := e.Local.Sub(e.Server)
	how := "ahead of"
	if skew < 0 {
		skew, how = -skew, "behind"
	}
	return s + fmt.Sprintf(": this machine's clock says %s, STS's Date %s (%s %s STS)", timeText(e.Local), timeText(e.Server), skew.Round(time.Second), how)
}

func (e *ClockError) Hint() string {
	return "set this machine's clock (enable NTP, e.g. `timedatectl set-ntp true`); kagi neither uses nor caches credentials it cannot time"
}

func timeText(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// checkArrival refuses credentials from action whose life this machine's
// clock cannot judge. md is the SDK's metadata of the answer: it holds the
// Date header (the SDK records it to correct its own clock skew).
//
// Credentials that are short by STS's clock too are STS's choice (an
// emulator's lifetime fault) and pass; real STS issues none under 15
// minutes.
func (r *run) checkArrival(ctx context.Context, action, subject string, c Credentials, md middleware.Metadata) error {
	err := r.arrival(action, subject, c, md)
	if err != nil {
		r.log.Printf("sts: refusing what %s returned: %v", action, err)
		r.recordClockError(ctx, err)
		return err
	}
	if _, haveDate := awsmiddleware.GetServerTime(md); haveDate && r.deps.Cache != nil {
		// STS's Date agrees with this clock: a clock record is out of date.
		if derr := r.deps.Cache.DeleteFailure(ctx, r.clockKey(ctx)); derr != nil {
			r.log.Printf("sts: cannot remove the clock record: %v", derr)
		}
	}
	return nil
}

func (r *run) arrival(action, subject string, c Credentials, md middleware.Metadata) error {
	if !c.Expires() {
		return nil
	}
	local := r.now()
	server, haveDate := awsmiddleware.GetServerTime(md)
	e := &ClockError{Action: action, Subject: subject, Local: local, Expiration: c.Expiration}
	if !haveDate || server.IsZero() {
		if c.Expiration.Sub(local) < RefreshWindow {
			return e
		}
		return nil
	}
	e.Server = server
	if skew := local.Sub(server); skew > maxClockSkew || skew < -maxClockSkew {
		return e
	}
	return nil
}

// The clock record stops a clock found wrong from costing a prompt on every
// run: for maxClockSkew after a refusal, asking for a code fails at once
// with it. Setting the clock right moves it by more than that, before the
// record (back) or past its end (forward), so a set clock is tried at once.

func (r *run) clockKey(ctx context.Context) string {
	return recordKey("clock", r.clients(ctx).endpoint)
}

// recordClockError keeps err when it is a ClockError.
func (r *run) recordClockError(ctx context.Context, err error) {
	var ce *ClockError
	if r.deps.Cache == nil || !errors.As(err, &ce) {
		return
	}
	if perr := r.deps.Cache.PutFailure(ctx, r.clockKey(ctx), failureOf(ce, r.now())); perr != nil {
		r.log.Printf("sts: cannot record the clock error: %v", perr)
	}
}

// recentClockError returns the clock error recorded in the last
// maxClockSkew by this machine's clock, or nil.
func (r *run) recentClockError(ctx context.Context) error {
	if r.deps.Cache == nil {
		return nil
	}
	f, err := r.deps.Cache.GetFailure(ctx, r.clockKey(ctx))
	if err != nil {
		return nil
	}
	age := r.now().Sub(f.When)
	if age < 0 || age >= maxClockSkew {
		return nil
	}
	r.log.Printf("sts: STS's Date showed this machine's clock wrong %s ago; not asking for an MFA code", age.Round(time.Second))
	msg := fmt.Sprintf("not asking for an MFA code before %s: %s", clockText(f.When.Add(maxClockSkew)), f.Message)
	return &SharedFailureError{Message: msg, Next: f.Hint, When: f.When}
}

package creds

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"
)

// Pacer spaces the AWS calls of many Retrieves running at once (exec
// --profiles across fifty accounts) so that together they stay under the
// request rate STS allows, which kagi cannot know in advance (it is a
// per-account quota). It learns it from Throttling, additive increase,
// multiplicative decrease, as TCP does:
//
//   - until the first Throttling nothing is paced, so a run that never
//     meets the limit is not slowed at all;
//   - at the first one the rate becomes a little less than the calls that
//     succeeded in the last second, what STS just let through. When the
//     Pacer has heard of calls for less than a second, that rate is
//     tentative: the quota may be a sliding second that another process
//     (the fan-out just before this one) had filled, and is emptying. A
//     tentative rate grows fast on each success (about fourfold a second)
//     and is taken again at each Throttling, until one comes after the
//     first second, when the calls let through in that second set it;
//   - at each later one (at most one cut per second, since the calls sent
//     before a cut answer after it) the rate is cut by a fifth, but not
//     below that share of what STS let through in the last second: a
//     quota counted over a sliding second refuses everything for a while
//     after a burst, and cutting on each of those refusals would leave
//     the pace far below the quota once it lets calls through again;
//   - each success adds to the rate, about one call a second per second
//     (once it is no longer tentative);
//   - a call waiting for its turn looks at the rate again every 50 ms: a
//     turn worked out at a rate that has since risen is not kept.
//
// Without it each throttled call backs off on its own exponential timer
// with jitter, and fifty accounts took 2 to 2.8 times the floor the quota
// sets, the jitter deciding (issue 11). One Pacer is shared by every
// goroutine of the process; the zero value is not ready, use NewPacer.
type Pacer struct {
	mu      sync.Mutex
	now     func() time.Time
	rate    float64   // calls a second; 0: not paced
	last    time.Time // when the last call's turn was
	lastCut time.Time
	recent  []time.Time // successes in the last second
	// first is when the Pacer first heard of a call's answer; tentative:
	// the rate was taken from less than a second of calls (see Throttled).
	first     time.Time
	tentative bool
	taken     float64 // the tentative rate as last taken, before it grew
}

const (
	paceMinRate  = 1.0                   // never slower than a call a second
	paceFirst    = 0.95                  // the first rate, as a share of the calls let through
	paceCut      = 0.8                   // the rate after a later Throttling, as a share
	paceCooldown = time.Second           // between two cuts
	paceWindow   = time.Second           // over which successes are counted
	paceRecheck  = 50 * time.Millisecond // a waiter looks at the rate again
	// paceTentative is what a success adds to a tentative rate: r calls a
	// second add 1.5r a second, so a rate taken from a second that others
	// had mostly used up grows back within it.
	paceTentative = 1.5
)

// NewPacer returns a Pacer that does not pace until a call is throttled.
func NewPacer() *Pacer { return &Pacer{now: time.Now} }

// Wait returns when the next call may start, or ctx's error.
func (p *Pacer) Wait(ctx context.Context) error {
	for {
		d := p.take()
		if d <= 0 {
			return ctx.Err()
		}
		// The rate may rise meanwhile (a tentative one grows fast): look
		// again, rather than keep a turn worked out at the old one.
		t := time.NewTimer(min(d, paceRecheck))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}

// take gives the caller the next call's turn when it has come, and
// returns 0; else it returns how long until it comes at the present rate.
// Calls are spaced one turn, 1/rate, apart; a turn not used (no caller
// was there) is not saved up for a burst.
func (p *Pacer) take() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rate == 0 {
		return 0
	}
	now := p.now()
	turn := time.Duration(float64(time.Second) / p.rate)
	due := p.last.Add(turn)
	if due.After(now) {
		return due.Sub(now)
	}
	if now.Sub(due) < turn {
		p.last = due // a waiter woken a little late keeps the cadence
	} else {
		p.last = now
	}
	return 0
}

// Throttled records a call STS refused for its rate.
func (p *Pacer) Throttled() {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.heard(now)
	p.trim(now)
	let := paceFirst * float64(len(p.recent)) // what STS let through
	young := now.Sub(p.first) < paceWindow
	switch {
	case p.rate == 0 || p.tentative && young:
		p.rate = max(paceMinRate, let)
		p.taken, p.tentative = p.rate, young
	case p.tentative:
		// The first Throttling after the first second: what got through
		// in a whole second is the measure now, however far the tentative
		// rate grew.
		p.rate = max(paceMinRate, let, paceCut*p.taken)
		p.tentative = false
	case now.Sub(p.lastCut) < paceCooldown:
		return
	default:
		p.rate = max(paceMinRate, paceCut*p.rate, let)
	}
	p.lastCut = now
}

// heard notes the first call's answer.
func (p *Pacer) heard(now time.Time) {
	if p.first.IsZero() {
		p.first = now
	}
}

// Succeeded records a call STS answered.
func (p *Pacer) Succeeded() {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.heard(now)
	p.trim(now)
	p.recent = append(p.recent, now)
	switch {
	case p.tentative:
		p.rate += paceTentative
	case p.rate > 0:
		p.rate += 1 / p.rate
	}
}

// Rate is the current pace in calls a second; 0: not paced.
func (p *Pacer) Rate() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rate
}

func (p *Pacer) trim(now time.Time) {
	cut := now.Add(-paceWindow)
	i := 0
	for i < len(p.recent) && !p.recent[i].After(cut) {
		i++
	}
	p.recent = p.recent[i:]
}

// paceMiddleware runs each attempt of an AWS call (it sits after the
// retry middleware) through the Pacer and tells it how STS answered.
type paceMiddleware struct{ p *Pacer }

func (paceMiddleware) ID() string { return "KagiPace" }

func (m paceMiddleware) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	if err := m.p.Wait(ctx); err != nil {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, err
	}
	out, md, err := next.HandleFinalize(ctx, in)
	switch {
	case err == nil:
		m.p.Succeeded()
	case isThrottle(err):
		m.p.Throttled()
	}
	return out, md, err
}

// addPacing puts p on every attempt of a client's calls.
func addPacing(p *Pacer) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Finalize.Insert(paceMiddleware{p}, "Retry", middleware.After)
	}
}

func isThrottle(err error) bool {
	return retry.ThrottleErrorCode{Codes: retry.DefaultThrottleErrorCodes}.IsErrorThrottle(err) == aws.TrueTernary
}

// APIOption puts p on every attempt of the calls of a client built
// outside this package (the Identity Center portal's, for `kagi sso
// profiles`): sso.Options.APIOptions = append(..., p.APIOption()).
func (p *Pacer) APIOption() func(*middleware.Stack) error { return addPacing(p) }

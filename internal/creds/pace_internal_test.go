package creds

import (
	"context"
	"math"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/aws/smithy-go"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func near(got, want float64) bool        { return math.Abs(got-want) < 0.01 }
func newTestPacer(c *fakeClock) *Pacer   { p := NewPacer(); p.now = c.now; return p }
func (p *Pacer) slots(n int) []time.Duration {
	var out []time.Duration
	for range n {
		out = append(out, p.take())
	}
	return out
}

func TestPacerDoesNotPaceUntilThrottled(t *testing.T) {
	c := &fakeClock{t: time.Unix(1000, 0)}
	p := newTestPacer(c)
	for _, d := range p.slots(100) {
		if d != 0 {
			t.Fatalf("paced before any Throttling: %v", d)
		}
	}
	if err := p.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// The first Throttling sets the pace a little under what STS let through
// in the last second; calls are then spaced evenly at that rate.
func TestPacerLearnsTheRateFromTheFirstThrottling(t *testing.T) {
	c := &fakeClock{t: time.Unix(1000, 0)}
	p := newTestPacer(c)
	p.Succeeded() // an old success, out of the window by the throttle
	c.add(2 * time.Second)
	for range 20 {
		p.Succeeded()
		c.add(10 * time.Millisecond)
	}
	if p.Rate() != 0 {
		t.Fatalf("paced after successes alone: %v", p.Rate())
	}
	p.Throttled()
	if !near(p.Rate(), 19) {
		t.Fatalf("rate %v after 20 let through, want 19", p.Rate())
	}
	gap := time.Second / 19
	if d := p.take(); d != 0 {
		t.Fatalf("the first call waits %v", d)
	}
	for i := 1; i <= 3; i++ {
		if d := p.take(); (d - gap).Abs() > time.Millisecond {
			t.Errorf("call %d waits %v, want %v", i, d, gap)
		}
		c.add(gap)
		if d := p.take(); d != 0 {
			t.Errorf("call %d still waits %v after %v", i, d, gap)
		}
	}
}

func TestPacerCutsOncePerCooldownAndNotBelowWhatGotThrough(t *testing.T) {
	c := &fakeClock{t: time.Unix(1000, 0)}
	p := newTestPacer(c)
	for range 10 {
		p.Succeeded()
	}
	p.Throttled()
	if !near(p.Rate(), 9.5) {
		t.Fatalf("first rate %v, want 9.5", p.Rate())
	}
	// More throttles answered within the cooldown were sent before the
	// cut: they change nothing.
	c.add(100 * time.Millisecond)
	p.Throttled()
	p.Throttled()
	if !near(p.Rate(), 9.5) {
		t.Fatalf("rate %v after throttles within the cooldown, want 9.5", p.Rate())
	}
	// After the cooldown, with nothing let through lately: a fifth less.
	c.add(2 * time.Second)
	p.Throttled()
	if !near(p.Rate(), 7.6) {
		t.Fatalf("rate %v, want 7.6", p.Rate())
	}
	// A cut never goes below what STS let through in the last second.
	for range 15 {
		p.Succeeded()
	}
	c.add(2 * time.Second)
	r := p.Rate()
	for range 15 {
		p.Succeeded()
	}
	p.Throttled()
	if p.Rate() < 0.95*15-0.01 {
		t.Fatalf("rate %v (was %v) after 15 let through, want at least 14.25", p.Rate(), r)
	}
	// And never below one a second.
	c.add(5 * time.Second)
	for range 30 {
		c.add(2 * time.Second)
		p.Throttled()
	}
	if !near(p.Rate(), paceMinRate) {
		t.Fatalf("rate %v, want the floor %v", p.Rate(), paceMinRate)
	}
}

func TestPacerCreepsUpOnSuccess(t *testing.T) {
	c := &fakeClock{t: time.Unix(1000, 0)}
	p := newTestPacer(c)
	p.Succeeded() // past its first second: the rate is not tentative
	c.add(2 * time.Second)
	for range 10 {
		p.Succeeded()
	}
	p.Throttled()
	before := p.Rate()
	for range 10 {
		c.add(100 * time.Millisecond)
		p.Succeeded()
	}
	// About one call a second more per second of successes.
	if got := p.Rate() - before; got < 0.9 || got > 1.1 {
		t.Fatalf("rate went from %v to %v, want about +1", before, p.Rate())
	}
}

func TestPacerWaitEndsWithTheContext(t *testing.T) {
	c := &fakeClock{t: time.Unix(1000, 0)}
	p := newTestPacer(c)
	p.Throttled() // nothing let through: one a second
	p.take()      // the turn now is taken; the next one is a second away
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Wait(ctx); err == nil {
		t.Fatal("Wait returned nil on a cancelled context")
	}
}

// Paced, a throttled call is retried without the retryer's own backoff
// (the Pacer is the backoff); unpaced, the backoff stays.
func TestThrottlePatientPacedRetriesAtOnce(t *testing.T) {
	throttled := &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}
	paced := awsConfig("us-east-1", nil, true).Retryer().(throttlePatient)
	if d, err := paced.RetryDelay(3, throttled); d != 0 || err != nil {
		t.Errorf("paced RetryDelay = %v, %v; want 0, nil", d, err)
	}
	denied := &smithy.GenericAPIError{Code: "InternalFailure"}
	if _, err := paced.RetryDelay(maxAttempts, denied); err == nil {
		t.Errorf("paced RetryDelay of a failure at the last attempt: nil error, want the end of retries")
	}
}

// TestPacerRecoversFromAQuotaOthersFilled: fifty accounts (51 calls, the
// first alone, then 8 at a time, 100 ms each) against a quota of 20
// calls in any second, simulated on a fake clock. Started fresh they take
// about the floor (2.55 s). Started while the quota's last second already
// holds calls of another process (the same fan-out run a moment before,
// with `make -j` or a loop in a script) the first Throttling comes after
// a handful of this process's calls, and a rate taken from those alone
// stayed far below the quota once the other calls aged out, and calls
// kept the turns they were given at that rate when it grew: 8 at a time,
// 1.2 times the floor with 5 such calls, 1.4 with 10, 2.7 with 16; 16 at a
// time, 2.5 times with 5 (a real second run right after the first took
// 2.7 to 3.5 times).
func TestPacerRecoversFromAQuotaOthersFilled(t *testing.T) {
	for _, workers := range []int{8, 16} {
		for _, others := range []int{0, 5, 10, 16, 20} {
			c := &fakeClock{t: time.Unix(1000, 0)}
			p := newTestPacer(c)
			took, throttled := simulateFanOut(p, c, workers, 51, 20, others)
			ratio := took.Seconds() / 2.55
			t.Logf("%2d at a time, %2d calls of others in the quota's second: %v, %.2f times the floor, %d throttled", workers, others, took.Round(time.Millisecond), ratio, throttled)
			within := 1.25
			if others == 20 {
				// The quota is full when the first call is sent: it waits
				// at the slowest pace, a second, for the first answer.
				within = 1.6
			}
			if ratio > within {
				t.Errorf("%d at a time, %d calls of others: %.2f times the floor, want within %.2f", workers, others, ratio, within)
			}
		}
	}
}

// simulateFanOut runs calls STS calls through p, the first alone and then
// workers at a time, each answered 100 ms after it is sent, against a
// quota of tps calls let through in any second that already holds others
// calls spread over the second before the start. A throttled call is sent
// again through p; a worker whose call got through takes the next one 5 ms
// later (its command starts, the next profile's run begins). It returns
// when the last call got through, and how many were throttled.
func simulateFanOut(p *Pacer, c *fakeClock, workers, calls, tps, others int) (time.Duration, int) {
	const (
		ready = iota
		arrive
		answer
	)
	type event struct {
		at   time.Time
		kind int
		ok   bool
	}
	start := c.t
	var admitted []time.Time
	for i := range others {
		admitted = append(admitted, start.Add(-time.Second+time.Duration(i+1)*time.Second/time.Duration(others+1)))
	}
	var queue []event // kept sorted by time; a few dozen events at most
	push := func(e event) {
		i := sort.Search(len(queue), func(i int) bool { return queue[i].at.After(e.at) })
		queue = slices.Insert(queue, i, e)
	}
	push(event{at: start, kind: ready})
	left, first, throttled := calls-1, true, 0
	var end time.Time
	for len(queue) > 0 {
		e := queue[0]
		queue = queue[1:]
		c.t = e.at
		switch e.kind {
		case ready:
			if d := p.take(); d > 0 {
				push(event{at: e.at.Add(min(d, paceRecheck)), kind: ready})
			} else {
				push(event{at: e.at, kind: arrive})
			}
		case arrive:
			cut := e.at.Add(-time.Second)
			for len(admitted) > 0 && !admitted[0].After(cut) {
				admitted = admitted[1:]
			}
			ok := len(admitted) < tps
			if ok {
				admitted = append(admitted, e.at)
			}
			push(event{at: e.at.Add(100 * time.Millisecond), kind: answer, ok: ok})
		case answer:
			if !e.ok {
				throttled++
				p.Throttled()
				push(event{at: e.at, kind: ready})
				continue
			}
			p.Succeeded()
			end = e.at
			n := 1
			if first {
				first, n = false, workers
			}
			for ; n > 0 && left > 0; n-- {
				left--
				push(event{at: e.at.Add(5 * time.Millisecond), kind: ready})
			}
		}
	}
	return end.Sub(start), throttled
}

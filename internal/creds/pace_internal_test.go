package creds

import (
	"context"
	"math"
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
		out = append(out, p.reserve())
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
	for i, d := range p.slots(4) {
		if want := time.Duration(i) * gap; (d - want).Abs() > time.Millisecond {
			t.Errorf("slot %d in %v, want %v", i, d, want)
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
	p.reserve()   // the slot now is taken; the next one is a second away
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

package server_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/creds"
	"github.com/kagi-cli/kagi/internal/server"
)

func newRefresher(t *testing.T, p *fakeProvider, clk *clock, onError func(error)) *server.Refresher {
	t.Helper()
	p.now = clk.Now
	return server.NewRefresher(t.Context(), p.provide, server.RefresherOptions{Now: clk.Now, OnError: onError})
}

func mustGet(t *testing.T, r *server.Refresher) creds.Credentials {
	t.Helper()
	c, err := r.Get(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRefresherShortLifetimes: credentials that live seconds are served for
// half their life, not refreshed on every request (the 5-minute window
// would always apply to them).
func TestRefresherShortLifetimes(t *testing.T) {
	clk := newClock()
	p := &fakeProvider{lifetime: 10 * time.Second}
	r := newRefresher(t, p, clk, nil)
	first := mustGet(t, r)
	for range 4 {
		clk.Add(time.Second)
		if c := mustGet(t, r); c.AccessKeyID != first.AccessKeyID {
			t.Fatalf("refreshed with %s left", first.Expiration.Sub(clk.Now()))
		}
	}
	clk.Add(2 * time.Second) // 4s of 10 left
	if c := mustGet(t, r); c.AccessKeyID == first.AccessKeyID || p.calls.Load() != 2 {
		t.Fatalf("not refreshed with 4s of 10 left (%d calls)", p.calls.Load())
	}
}

// TestRefresherSeed: seeded credentials are served without a call.
func TestRefresherSeed(t *testing.T) {
	clk := newClock()
	p := &fakeProvider{lifetime: time.Hour}
	r := newRefresher(t, p, clk, nil)
	r.Seed(creds.Credentials{AccessKeyID: "ASIASEED", SecretAccessKey: "s", SessionToken: "t", Expiration: clk.Now().Add(time.Hour)})
	if c := mustGet(t, r); c.AccessKeyID != "ASIASEED" || p.calls.Load() != 0 {
		t.Fatalf("got %s after %d calls, want the seed and none", c, p.calls.Load())
	}
	clk.Add(56 * time.Minute)
	if c := mustGet(t, r); c.AccessKeyID == "ASIASEED" {
		t.Fatal("seed served inside the refresh window")
	}
}

// TestRefresherFailureKeepsValidCredentials: when a refresh fails while the
// current credentials still work, they are served, the error is reported,
// and the next attempt waits a while instead of running on every request.
func TestRefresherFailureKeepsValidCredentials(t *testing.T) {
	clk := newClock()
	p := &fakeProvider{lifetime: time.Hour}
	var reported []error
	r := newRefresher(t, p, clk, func(err error) { reported = append(reported, err) })
	first := mustGet(t, r)
	clk.Add(57 * time.Minute) // 3 minutes left
	p.err = errors.New("sts is down")
	if c := mustGet(t, r); c.AccessKeyID != first.AccessKeyID {
		t.Fatalf("got %s, want the still valid %s", c, first)
	}
	if len(reported) != 1 || p.calls.Load() != 2 {
		t.Fatalf("%d errors reported, %d calls; want 1 and 2", len(reported), p.calls.Load())
	}
	clk.Add(10 * time.Second)
	mustGet(t, r)
	if p.calls.Load() != 2 {
		t.Fatalf("retried at once after a failure (%d calls)", p.calls.Load())
	}
	clk.Add(30 * time.Second)
	p.err = nil
	if c := mustGet(t, r); c.AccessKeyID == first.AccessKeyID || p.calls.Load() != 3 {
		t.Fatalf("no retry 40s after a failure (%d calls)", p.calls.Load())
	}
}

// TestRefresherFailureWithNothingToServe: the error, held for a few
// seconds, so SDK retries do not each cause an MFA prompt.
func TestRefresherFailureWithNothingToServe(t *testing.T) {
	clk := newClock()
	p := &fakeProvider{lifetime: time.Hour, err: errors.New("MFA code rejected")}
	r := newRefresher(t, p, clk, nil)
	for range 3 {
		if _, err := r.Get(t.Context()); err == nil || err.Error() != "MFA code rejected" {
			t.Fatalf("err %v, want the provider's", err)
		}
	}
	if p.calls.Load() != 1 {
		t.Fatalf("%d calls in the hold, want 1", p.calls.Load())
	}
	clk.Add(6 * time.Second)
	p.err = nil
	mustGet(t, r)
	if p.calls.Load() != 2 {
		t.Fatalf("%d calls after the hold, want 2", p.calls.Load())
	}
}

// TestRefresherWaiterGivingUpDoesNotCancelRefresh: an SDK that times out
// while the MFA prompt is open must not cancel the prompt; its retry joins
// the same refresh.
func TestRefresherWaiterGivingUpDoesNotCancelRefresh(t *testing.T) {
	clk := newClock()
	p := &fakeProvider{lifetime: time.Hour, gate: make(chan struct{})}
	r := newRefresher(t, p, clk, nil)
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		_, err := r.Get(ctx)
		errc <- err
	}()
	for deadline := time.Now().Add(10 * time.Second); p.calls.Load() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the provider was never called")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("the waiter got %v, want its own cancellation", err)
	}
	got := make(chan creds.Credentials, 1)
	go func() {
		c, _ := r.Get(t.Context())
		got <- c
	}()
	p.gate <- struct{}{} // the refresh was not cancelled: it is still waiting
	if c := <-got; c.AccessKeyID == "" || p.calls.Load() != 1 {
		t.Fatalf("got %s after %d calls, want credentials from the one call", c, p.calls.Load())
	}
}

func TestRefresherRefusesExpiredCredentials(t *testing.T) {
	clk := newClock()
	p := &fakeProvider{lifetime: -time.Minute}
	r := newRefresher(t, p, clk, nil)
	if _, err := r.Get(t.Context()); err == nil {
		t.Fatal("expired credentials served")
	}
}

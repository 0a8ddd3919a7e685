package creds_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/awsemu"
	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/creds"
	"github.com/kagi-cli/kagi/internal/prompt"
)

// closedPort is an STS endpoint that refuses every connection.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	return url
}

func hintOf(err error) string {
	var h interface{ Hint() string }
	if errors.As(err, &h) {
		return h.Hint()
	}
	return ""
}

// Processes waiting on a lock whose holder fails fail with its error at
// once: one code asked for, one attempt at STS, the same line and hint for
// all (issue 9: 50 processes against a dead STS asked 50 times, the last
// failing after 168 s).
func TestWaitersShareTheHoldersFailure(t *testing.T) {
	url := closedPort(t)
	store := newCache()
	src := &fakeSource{code: func(prompt.Request) (string, error) { return "123456", nil }}
	chain := &config.Chain{
		Profile: "work", Source: config.Source{Kind: config.KeyringKeys, Profile: "alice"},
		MFA:   &config.MFASession{Serial: aliceSerial, Duration: 12 * time.Hour, Profile: "alice"},
		Roles: []config.RoleHop{{Profile: "work", RoleARN: roleAdmin}}, STSEndpoint: url,
	}
	deps := func() creds.Deps {
		return creds.Deps{Keyring: newKeyring(t, "alice", aliceKey, aliceSecret), Cache: store, Env: config.MapEnv(nil),
			HTTPClient: &http.Client{Timeout: 10 * time.Second},
			Prompt:     func(context.Context, string, string) (prompt.Source, error) { return src, nil }}
	}
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		d := deps()
		c := *chain
		wg.Go(func() {
			<-start
			_, errs[i] = creds.Retrieve(context.Background(), &c, d)
		})
	}
	began := time.Now()
	close(start)
	wg.Wait()
	took := time.Since(began)
	t.Logf("%d concurrent retrieves against a closed port failed in %s", n, took.Round(time.Millisecond))
	if got := len(src.asked()); got != 1 {
		t.Errorf("the code was asked for %d times, want 1", got)
	}
	shared := 0
	for i, err := range errs {
		if err == nil {
			t.Fatalf("retrieve %d succeeded against a closed port", i)
		}
		if err.Error() != errs[0].Error() || hintOf(err) != hintOf(errs[0]) || hintOf(err) == "" {
			t.Errorf("retrieve %d failed with %q (hint %q), retrieve 0 with %q (hint %q)", i, err, hintOf(err), errs[0], hintOf(errs[0]))
		}
		var se *creds.SharedFailureError
		if errors.As(err, &se) {
			shared++
		}
	}
	if shared != n-1 {
		t.Errorf("%d of %d failed with the holder's recorded error, want %d", shared, n, n-1)
	}
	if !strings.Contains(errs[0].Error(), "sts:GetSessionToken at "+url) {
		t.Errorf("error %q", errs[0])
	}
	// A process that comes after the failure tries for itself.
	if _, err := creds.Retrieve(context.Background(), chain, deps()); err == nil {
		t.Fatal("succeeded against a closed port")
	}
	if got := len(src.asked()); got != 2 {
		t.Errorf("a later process did not try again: %d codes asked for, want 2", got)
	}
}

// An interrupted holder (Ctrl-C) learnt nothing about the world: it leaves
// no record, and whoever waited tries for itself.
func TestInterruptedHolderRecordsNothing(t *testing.T) {
	e := startEmu(t)
	store := newCache()
	ctx, cancel := context.WithCancel(context.Background())
	src := &fakeSource{code: func(prompt.Request) (string, error) { cancel(); return "", context.Canceled }}
	_, err := creds.Retrieve(ctx, e.aliceChain(config.RoleHop{Profile: "work", RoleARN: roleAdmin}), e.deps(newKeyring(t, "alice", aliceKey, aliceSecret), store, src))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want Canceled", err)
	}
	store.mu.Lock()
	n := len(store.fails)
	store.mu.Unlock()
	if n != 0 {
		t.Fatalf("an interrupted run left %d failure records", n)
	}
	// A helper that hit its own time bound did fail: that is shared.
	src = &fakeSource{code: func(prompt.Request) (string, error) {
		return "", fmt.Errorf("mfa_process of profile \"alice\" timed out after 2m0s: %w", context.DeadlineExceeded)
	}}
	_, err = creds.Retrieve(context.Background(), e.aliceChain(config.RoleHop{Profile: "work", RoleARN: roleAdmin}), e.deps(newKeyring(t, "alice", aliceKey, aliceSecret), store, src))
	if err == nil {
		t.Fatal("a helper that timed out gave a code")
	}
	store.mu.Lock()
	n = len(store.fails)
	store.mu.Unlock()
	if n == 0 {
		t.Fatal("a helper's time-out was not recorded for the processes waiting")
	}
}

// A code from a source that cannot be asked again (mfa_process,
// KAGI_MFA_TOKEN, --mfa-token, ykman) that STS rejected is not asked for
// again within its TOTP step: the next process fails at once and says when
// the next code is due. A person at a terminal may still try.
func TestRejectedCodeNotAskedAgainInItsStep(t *testing.T) {
	e := startEmu(t)
	store := newCache()
	kr := newKeyring(t, "alice", aliceKey, aliceSecret)
	wrong := e.wrongCode(t, aliceSerial)
	process := &fakeSource{code: func(prompt.Request) (string, error) { return wrong, nil }}
	// A fixed instant 10 s into a TOTP step.
	now := time.Unix(time.Now().Unix()/30*30+10, 0)
	retrieve := func(src prompt.Source, at time.Time) error {
		d := e.deps(kr, store, src)
		d.Now = func() time.Time { return at }
		_, err := creds.Retrieve(context.Background(), e.aliceChain(config.RoleHop{Profile: "work", RoleARN: roleAdmin}), d)
		return err
	}
	var rejected *creds.MFARejectedError
	if err := retrieve(process, now); !errors.As(err, &rejected) {
		t.Fatalf("got %v, want MFARejectedError", err)
	}
	err := retrieve(process, now.Add(15*time.Second))
	var due *creds.MFACodeDueError
	if !errors.As(err, &due) {
		t.Fatalf("the same step: got %v, want MFACodeDueError", err)
	}
	if want := now.Add(20 * time.Second); !due.Due.Equal(want) || !strings.Contains(err.Error(), "the next code is due at "+want.UTC().Format("15:04:05")+" UTC, in 5s") || due.Hint() == "" || strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q (due %v, want %v), hint %q", err, due.Due, want, due.Hint())
	}
	if got := len(process.asked()); got != 1 {
		t.Errorf("mfa_process asked %d times in one step, want 1", got)
	}
	if got := e.stats()["GetSessionToken"]; got != 1 {
		t.Errorf("%d GetSessionToken calls, want 1", got)
	}
	// A person may try again at once.
	person := e.totpSource(aliceSerial)
	if err := retrieve(person, now.Add(16*time.Second)); err != nil {
		t.Fatalf("a person at a terminal: %v", err)
	}
	// The next step asks the process again (the cache now serves, so drop it).
	for _, in := range store.byKind(t, "session") {
		store.Delete(context.Background(), in.Key)
	}
	for _, in := range store.byKind(t, "role") {
		store.Delete(context.Background(), in.Key)
	}
	if err := retrieve(process, now.Add(20*time.Second)); !errors.As(err, &rejected) {
		t.Fatalf("the next step: got %v, want MFARejectedError", err)
	}
	if got := len(process.asked()); got != 2 {
		t.Errorf("mfa_process asked %d times over two steps, want 2", got)
	}
}

// Credentials from an STS whose clock is hours from this machine's are
// refused in one line with both times, never cached; and for a few minutes
// no code is asked for in vain.
func TestClockOffByHoursIsRefused(t *testing.T) {
	for _, offset := range []time.Duration{-2 * time.Hour, 2 * time.Hour} {
		t.Run(offset.String(), func(t *testing.T) {
			e := startEmu(t)
			if err := e.srv.SetFaults(awsemu.Faults{ClockOffsetSeconds: int64(offset / time.Second)}); err != nil {
				t.Fatal(err)
			}
			store := newCache()
			kr := newKeyring(t, "alice", aliceKey, aliceSecret)
			src := e.totpSource(aliceSerial)
			chain := e.aliceChain(config.RoleHop{Profile: "work", RoleARN: roleAdmin})
			_, err := creds.Retrieve(context.Background(), chain, e.deps(kr, store, src))
			var ce *creds.ClockError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want ClockError", err)
			}
			how := "ahead of STS"
			if offset > 0 {
				how = "behind STS"
			}
			msg := err.Error()
			if ce.Action != "sts:GetSessionToken" || !strings.Contains(msg, "this machine's clock says "+ce.Local.UTC().Format(time.RFC3339)) ||
				!strings.Contains(msg, "STS's Date "+ce.Server.UTC().Format(time.RFC3339)) || !strings.Contains(msg, how) ||
				strings.Contains(msg, "\n") || !strings.Contains(ce.Hint(), "clock") {
				t.Errorf("message %q", msg)
			}
			if d := ce.Local.Sub(ce.Server) + offset; d.Abs() > 2*time.Second {
				t.Errorf("local %v, server %v: not %v apart", ce.Local, ce.Server, offset)
			}
			noSecrets(t, err)
			if infos, _ := store.List(context.Background()); len(infos) != 0 {
				t.Errorf("cached %d entries from a wrong clock", len(infos))
			}
			// The next run fails at once, asking no code.
			_, err = creds.Retrieve(context.Background(), chain, e.deps(kr, store, src))
			if err == nil || !strings.Contains(err.Error(), ce.Error()) || !strings.HasPrefix(err.Error(), "not asking for an MFA code before ") {
				t.Errorf("second run: %v", err)
			}
			if got := len(src.asked()); got != 1 {
				t.Errorf("asked for %d codes, want 1", got)
			}
			// Clocks that agree again: asked, served, cached.
			if err := e.srv.SetFaults(awsemu.Faults{}); err != nil {
				t.Fatal(err)
			}
			other := &config.Chain{Profile: "long", Source: config.Source{Kind: config.KeyringKeys, Profile: "alice"},
				Roles: []config.RoleHop{{Profile: "long", RoleARN: roleLong}}, STSEndpoint: e.url}
			if _, err := creds.Retrieve(context.Background(), other, e.deps(kr, store, nil)); err != nil {
				t.Fatal(err)
			}
			if _, err := creds.Retrieve(context.Background(), chain, e.deps(kr, store, src)); err != nil {
				t.Fatalf("after the clocks agree again: %v", err)
			}
		})
	}
}

// given is the source of --mfa-token code.
func given(t *testing.T, code string) prompt.Source {
	t.Helper()
	src, err := prompt.Choose(prompt.Options{Token: code})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// The trial's bug: a wrong --mfa-token refused every code until the next
// TOTP step, the right one too, without sending it. Only the rejected
// code is refused again (no call); another reaches STS. The record holds
// a salt and 12 bits of a keyed hash of the code, never the code.
func TestRejectedCodeRefusesOnlyItself(t *testing.T) {
	e := startEmu(t)
	store := newCache()
	kr := newKeyring(t, "alice", aliceKey, aliceSecret)
	wrong := e.wrongCode(t, aliceSerial)
	retrieve := func(src prompt.Source) error {
		_, err := creds.Retrieve(context.Background(), e.aliceChain(config.RoleHop{Profile: "work", RoleARN: roleAdmin}), e.deps(kr, store, src))
		return err
	}
	var rejected *creds.MFARejectedError
	if err := retrieve(given(t, wrong)); !errors.As(err, &rejected) {
		t.Fatalf("got %v, want MFARejectedError", err)
	}
	store.mu.Lock()
	for k, rec := range store.fails {
		if strings.Contains(string(rec), wrong) || !strings.Contains(string(rec), `"salt":`) || !strings.Contains(string(rec), `"tag":"`) {
			t.Errorf("record %s: %s", k, rec)
		}
	}
	store.mu.Unlock()
	// The same code again: refused without a call (unless the step ended
	// in between, when it is sent and rejected again).
	err := retrieve(given(t, wrong))
	var due *creds.MFACodeDueError
	switch {
	case errors.As(err, &due):
		if !due.Given || !strings.Contains(due.Hint(), "refused already") {
			t.Errorf("error %q, hint %q", err, due.Hint())
		}
		if got := e.stats()["GetSessionToken"]; got != 1 {
			t.Errorf("%d GetSessionToken calls, want 1: the same code was sent again", got)
		}
	case errors.As(err, &rejected):
		t.Log("the TOTP step ended between the two runs")
	default:
		t.Fatalf("the same code again: %v", err)
	}
	noSecrets(t, err, wrong)
	// Another code is STS's to judge.
	good, err := e.srv.FreshTOTP(aliceSerial)
	if err != nil {
		t.Fatal(err)
	}
	before := e.stats()["GetSessionToken"]
	if err := retrieve(given(t, good)); err != nil {
		t.Fatalf("a right code after a wrong one: %v", err)
	}
	if got := e.stats()["GetSessionToken"]; got != before+1 {
		t.Errorf("%d GetSessionToken calls, want %d", got, before+1)
	}
}

// A wrong --mfa-token does not stop an mfa_process for the rest of the
// step: its code is another (asked for, and sent).
func TestRejectedGivenCodeDoesNotStopMFAProcess(t *testing.T) {
	e := startEmu(t)
	store := newCache()
	kr := newKeyring(t, "alice", aliceKey, aliceSecret)
	chain := e.aliceChain(config.RoleHop{Profile: "work", RoleARN: roleAdmin})
	if _, err := creds.Retrieve(context.Background(), chain, e.deps(kr, store, given(t, e.wrongCode(t, aliceSerial)))); err == nil {
		t.Fatal("a wrong code was taken")
	}
	process := &fakeSource{code: func(prompt.Request) (string, error) { return e.srv.FreshTOTP(aliceSerial) }}
	if _, err := creds.Retrieve(context.Background(), chain, e.deps(kr, store, process)); err != nil {
		t.Fatalf("mfa_process after a wrong --mfa-token: %v", err)
	}
	if got := len(process.asked()); got != 1 {
		t.Errorf("mfa_process asked %d times, want 1", got)
	}
}

// A process waiting on the lock while its holder's code is rejected fails
// with the holder's error only when it would send the same code: with
// another code given, it sends that.
func TestWaiterWithAnotherCodeTriesIt(t *testing.T) {
	e := startEmu(t)
	ctx := context.Background()
	if err := e.keyIDs.SetKeyID("alice", aliceKey); err != nil {
		t.Fatal(err)
	}
	store := newCache()
	kr := newKeyring(t, "alice", aliceKey, aliceSecret)
	chain := e.aliceChain()
	keys, err := creds.StepKeys(ctx, chain, e.deps(kr, store, nil))
	if err != nil {
		t.Fatal(err)
	}
	gets := func() int {
		store.mu.Lock()
		defer store.mu.Unlock()
		return store.gets[keys[0]]
	}
	wrong := e.wrongCode(t, aliceSerial)
	// The holder's mfa_process gives its code once the waiter has looked
	// in the cache (and so waits on the lock).
	holder := &fakeSource{code: func(prompt.Request) (string, error) {
		for deadline := time.Now().Add(10 * time.Second); gets() < 3 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		return wrong, nil
	}}
	holderErr := make(chan error, 1)
	go func() {
		_, err := creds.Retrieve(ctx, chain, e.deps(kr, store, holder))
		holderErr <- err
	}()
	for deadline := time.Now().Add(10 * time.Second); len(holder.asked()) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the holder never asked for a code")
		}
		time.Sleep(time.Millisecond)
	}
	good, err := e.srv.FreshTOTP(aliceSerial)
	if err != nil {
		t.Fatal(err)
	}
	// A second earlier: the holder's failure is surely after its wait began.
	d := e.deps(kr, store, given(t, good))
	d.Now = func() time.Time { return time.Now().Add(-time.Second) }
	if _, err := creds.Retrieve(ctx, chain, d); err != nil {
		t.Fatalf("the waiter with the right code: %v", err)
	}
	var rejected *creds.MFARejectedError
	if err := <-holderErr; !errors.As(err, &rejected) {
		t.Fatalf("the holder: %v, want MFARejectedError", err)
	}
	if got := e.stats()["GetSessionToken"]; got != 2 {
		t.Errorf("%d GetSessionToken calls, want 2", got)
	}
}

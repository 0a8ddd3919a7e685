package awsemu_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kagi-cli/kagi/internal/awsemu"
)

func TestThrottling(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.srv.SetFaults(awsemu.Faults{ThrottleTPS: 2}); err != nil {
		t.Fatal(err)
	}
	client := e.sts(alice())
	for i := 0; i < 2; i++ {
		if _, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatalf("request %d within the rate: %v", i+1, err)
		}
	}
	_, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "Throttling", 400, "Rate exceeded")

	e.clock.Advance(time.Second)
	if _, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("a second later: %v", err)
	}
	if got := e.srv.Stats()["GetCallerIdentity"]; got != 4 {
		t.Errorf("GetCallerIdentity count %d, want 4 (throttled requests count)", got)
	}
}

func TestInternalErrors(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.srv.SetFaults(awsemu.Faults{ErrorRate: 1, Actions: []string{"GetSessionToken"}}); err != nil {
		t.Fatal(err)
	}
	_, err := e.sts(alice()).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	wantAPIError(t, err, "InternalFailure", 500, "")
	// Actions limits the fault.
	if _, err := e.sts(alice()).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("GetCallerIdentity is not in the fault's actions: %v", err)
	}
	// The SDK's standard retryer gives up after its attempts, all refused.
	_, err = e.stsRetrying(alice()).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	wantAPIError(t, err, "InternalFailure", 500, "")
	if got := e.srv.Stats()["GetSessionToken"]; got != 4 {
		t.Errorf("GetSessionToken count %d, want 4 (1 + the standard retryer's 3 attempts)", got)
	}
	if err := e.srv.SetFaults(awsemu.Faults{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sts(alice()).GetSessionToken(ctx, &sts.GetSessionTokenInput{}); err != nil {
		t.Fatalf("faults cleared: %v", err)
	}
}

func TestLatency(t *testing.T) {
	e := newEnv(t)
	if err := e.srv.SetFaults(awsemu.Faults{LatencyMS: 200}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := e.sts(alice()).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("answered after %v, want at least 200ms", d)
	}
	// A client that gives up is not kept waiting for the latency.
	if err := e.srv.SetFaults(awsemu.Faults{LatencyMS: 60_000}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := e.sts(alice()).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
		t.Fatal("a minute of latency within a 100ms deadline: success")
	}
}

func TestSetFaultsRefusesNonsense(t *testing.T) {
	e := newEnv(t)
	for _, f := range []awsemu.Faults{{ErrorRate: 1.5}, {ErrorRate: -1}, {LatencyMS: -1}, {ThrottleTPS: -2}, {CredentialLifetimeSeconds: -1}, {Actions: []string{"AssumeRoles"}}} {
		if err := e.srv.SetFaults(f); err == nil {
			t.Errorf("SetFaults(%+v): no error", f)
		}
	}
}

func TestLifetimeOverrideAppliesToAssumeRole(t *testing.T) {
	e := newEnv(t)
	if err := e.srv.SetFaults(awsemu.Faults{CredentialLifetimeSeconds: 5}); err != nil {
		t.Fatal(err)
	}
	out, err := e.sts(bob()).AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(roleLong), RoleSessionName: aws.String("short")})
	if err != nil {
		t.Fatal(err)
	}
	if want := e.clock.Now().Add(5 * time.Second); out.Credentials.Expiration.Sub(want).Abs() > time.Second {
		t.Errorf("expiration %v, want %v", out.Credentials.Expiration, want)
	}
}

// Many clients racing with one MFA code: exactly one gets a session, as
// kagi's cross-process lock test expects of AWS.
func TestConcurrentUseOfOneMFACode(t *testing.T) {
	e := newEnv(t)
	code := e.code(t)
	var wg sync.WaitGroup
	results := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.sts(alice()).GetSessionToken(context.Background(), &sts.GetSessionTokenInput{
				SerialNumber: aws.String(aliceSerial), TokenCode: aws.String(code)})
			results <- err
		}()
	}
	wg.Wait()
	close(results)
	ok := 0
	for err := range results {
		if err == nil {
			ok++
		} else {
			wantAPIError(t, err, "AccessDenied", 403, "invalid MFA one time pass code")
		}
	}
	if ok != 1 {
		t.Errorf("%d sessions from one code, want 1", ok)
	}
	if got := e.srv.Stats()["GetSessionToken"]; got != 20 {
		t.Errorf("GetSessionToken count %d, want 20", got)
	}
}

// A clock offset moves everything that reads the emulator's time: the Date
// header, the expirations it issues and the signature window, as STS's clock
// is to a machine whose own clock is wrong. The SDK corrects its signing time
// from the refusal's Date and gets through, as it does against AWS.
func TestClockOffset(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, offset := range []time.Duration{-2 * time.Hour, 3 * time.Hour} {
		if err := e.srv.SetFaults(awsemu.Faults{ClockOffsetSeconds: int64(offset / time.Second)}); err != nil {
			t.Fatal(err)
		}
		if got := e.srv.Faults().ClockOffsetSeconds; got != int64(offset/time.Second) {
			t.Fatalf("Faults().ClockOffsetSeconds = %d", got)
		}
		// One request signed by the machine's clock: outside the window.
		_, err := e.sts(bob()).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		wantAPIError(t, err, "SignatureDoesNotMatch", 403, "Signature ")
		out, err := e.stsRetrying(bob()).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleLong), RoleSessionName: aws.String("skewed")})
		if err != nil {
			t.Fatalf("offset %v: the SDK did not correct its clock: %v", offset, err)
		}
		emuNow := e.clock.Now().Add(offset)
		date, ok := awsmiddleware.GetServerTime(out.ResultMetadata)
		if !ok || date.Sub(emuNow).Abs() > 2*time.Second {
			t.Errorf("offset %v: Date %v (%v), want %v", offset, date, ok, emuNow)
		}
		if want := emuNow.Add(time.Hour); out.Credentials.Expiration.Sub(want).Abs() > 2*time.Second {
			t.Errorf("offset %v: expiration %v, want %v", offset, out.Credentials.Expiration, want)
		}
	}
	if err := e.srv.SetFaults(awsemu.Faults{ClockOffsetSeconds: 200 * 365 * 24 * 3600}); err == nil {
		t.Error("an offset of two centuries was taken")
	}
	if err := e.srv.SetFaults(awsemu.Faults{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sts(bob()).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("offset cleared: %v", err)
	}
}

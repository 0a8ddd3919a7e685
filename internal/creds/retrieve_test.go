package creds_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kagi-cli/kagi/internal/awsemu"
	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/creds"
	"github.com/kagi-cli/kagi/internal/debug"
	"github.com/kagi-cli/kagi/internal/prompt"
)

// callerARN asks the emulator who c are.
func (e *emu) callerARN(t *testing.T, c creds.Credentials) string {
	t.Helper()
	client := sts.New(sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(e.url),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}, nil
		}),
	})
	out, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with the credentials: %v", err)
	}
	return aws.ToString(out.Arn)
}

func TestKeyringMFASessionRoleThenCacheHit(t *testing.T) {
	e := startEmu(t)
	ctx := context.Background()
	kr := newKeyring(t, "alice", aliceKey, aliceSecret)
	store := newCache()
	src := e.totpSource(aliceSerial)
	var logBuf bytes.Buffer
	deps := e.deps(kr, store, src)
	deps.Log = debug.New(&logBuf)
	chain := e.aliceChain(config.RoleHop{Profile: "work", RoleARN: roleAdmin, SessionName: "alice-admin", Duration: 2 * time.Hour})

	c, err := creds.Retrieve(ctx, chain, deps)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"GetSessionToken": 1, "AssumeRole": 1}
	if got := e.stats(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("stats %v, want %v", got, want)
	}
	if got := e.callerARN(t, c); got != "arn:aws:sts::222222222222:assumed-role/admin/alice-admin" {
		t.Fatalf("caller %s", got)
	}
	want["GetCallerIdentity"] = 1
	within(t, c.Expiration, time.Now().Add(2*time.Hour), 10*time.Second)
	if s := store.byKind(t, "session"); len(s) != 1 || s[0].Profile != "alice" || s[0].Detail != aliceSerial {
		t.Fatalf("session entries %+v", s)
	} else {
		within(t, s[0].Expiration, time.Now().Add(12*time.Hour), 10*time.Second)
	}
	if r := store.byKind(t, "role"); len(r) != 1 || r[0].Profile != "work" || r[0].Detail != roleAdmin {
		t.Fatalf("role entries %+v", r)
	}
	if n := len(src.asked()); n != 1 {
		t.Fatalf("asked for %d codes", n)
	}

	// The same chain again, in a "new process": everything from the cache.
	krGets := kr.gets.Load()
	c2, err := creds.Retrieve(ctx, chain, e.deps(kr, store, src))
	if err != nil {
		t.Fatal(err)
	}
	if c2 != c {
		t.Fatal("second run did not return the cached credentials")
	}
	if got := e.stats(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("cache hit called STS: %v", got)
	}
	if kr.gets.Load() != krGets {
		t.Fatal("cache hit opened the keyring")
	}
	if n := len(src.asked()); n != 1 {
		t.Fatalf("cache hit asked for a code")
	}
	for _, s := range []string{aliceSecret, c.SecretAccessKey, c.SessionToken} {
		if strings.Contains(logBuf.String(), s) {
			t.Fatalf("debug log leaks a secret:\n%s", logBuf.String())
		}
	}
	for _, want := range []string{"cache: miss for role " + roleAdmin, "sts: sts:GetSessionToken", "sts: sts:AssumeRole " + roleAdmin} {
		if !strings.Contains(logBuf.String(), want) {
			t.Fatalf("debug log lacks %q:\n%s", want, logBuf.String())
		}
	}
}

func TestFreshRoleEntryDoesNotTouchMFASession(t *testing.T) {
	e := startEmu(t)
	ctx := context.Background()
	kr := newKeyring(t, "alice", aliceKey, aliceSecret)
	store := newCache()
	chain := e.aliceChain(config.RoleHop{Profile: "work", RoleARN: roleAdmin})
	if _, err := creds.Retrieve(ctx, chain, e.deps(kr, store, e.totpSource(aliceSerial))); err != nil {
		t.Fatal(err)
	}
	sessionKey := store.byKind(t, "session")[0].Key
	// Even with the MFA session gone, a fresh role entry is all it takes.
	store.Delete(ctx, sessionKey)
	before := store.gets[sessionKey]
	stats := e.stats()
	src := &fakeSource{code: func(prompt.Request) (string, error) { return "", errors.New("must not ask") }}
	if _, err := creds.Retrieve(ctx, chain, e.deps(kr, store, src)); err != nil {
		t.Fatal(err)
	}
	if store.gets[sessionKey] != before {
		t.Fatal("the MFA session entry was read")
	}
	if fmt.Sprint(e.stats()) != fmt.Sprint(stats) || len(src.asked()) != 0 {
		t.Fatalf("STS called or prompt used: %v", e.stats())
	}
}

func TestChainedRoleCappedAtOneHour(t *testing.T) {
	e := startEmu(t)
	store := newCache()
	chain := e.aliceChain(
		config.RoleHop{Profile: "admin", RoleARN: roleAdmin, Duration: 4 * time.Hour},
		// A chained hop asking for more than STS allows gets STS's cap.
		config.RoleHop{Profile: "ro", RoleARN: roleReadonly, Duration: 3 * time.Hour, Chained: true},
	)
	c, err := creds.Retrieve(context.Background(), chain, e.deps(newKeyring(t, "alice", aliceKey, aliceSecret), store, e.totpSource(aliceSerial)))
	if err != nil {
		t.Fatal(err)
	}
	within(t, c.Expiration, time.Now().Add(time.Hour), 10*time.Second)
	if got := e.callerARN(t, c); !strings.HasPrefix(got, "arn:aws:sts::333333333333:assumed-role/readonly/kagi-") {
		t.Fatalf("caller %s", got)
	}
	if got := e.stats(); got["AssumeRole"] != 2 || got["GetSessionToken"] != 1 {
		t.Fatalf("stats %v", got)
	}
	if n := len(store.byKind(t, "role")); n != 2 {
		t.Fatalf("%d role entries, want one per hop", n)
	}
}

func TestNoSessionPassesMFAToAssumeRole(t *testing.T) {
	e := startEmu(t)
	chain := &config.Chain{
		Profile:     "work",
		Source:      config.Source{Kind: config.KeyringKeys, Profile: "alice"},
		Roles:       []config.RoleHop{{Profile: "work", RoleARN: roleAdmin, MFASerial: aliceSerial}},
		STSEndpoint: e.url,
	}
	src := e.totpSource(aliceSerial)
	c, err := creds.Retrieve(context.Background(), chain, e.deps(newKeyring(t, "alice", aliceKey, aliceSecret), newCache(), src))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.stats(); got["GetSessionToken"] != 0 || got["AssumeRole"] != 1 {
		t.Fatalf("stats %v", got)
	}
	if a := src.asked(); len(a) != 1 || a[0].Serial != aliceSerial || a[0].Profile != "work" || a[0].Attempt != 1 {
		t.Fatalf("prompt requests %+v", a)
	}
	if c.SessionToken == "" {
		t.Fatal("no session token")
	}
}

func TestUsernameSessionName(t *testing.T) {
	e := startEmu(t)
	chain := e.aliceChain(config.RoleHop{Profile: "deploy", RoleARN: roleUsername, SessionNameIsUsername: true})
	c, err := creds.Retrieve(context.Background(), chain, e.deps(newKeyring(t, "alice", aliceKey, aliceSecret), newCache(), e.totpSource(aliceSerial)))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.callerARN(t, c); got != "arn:aws:sts::222222222222:assumed-role/deploy/alice" {
		t.Fatalf("caller %s", got)
	}

	// Without the user name, the trust refuses.
	chain.Roles[0].SessionNameIsUsername, chain.Roles[0].SessionName = false, "someone"
	_, err = creds.Retrieve(context.Background(), chain, e.deps(newKeyring(t, "alice", aliceKey, aliceSecret), newCache(), e.totpSource(aliceSerial)))
	var ae *creds.APIError
	if !errors.As(err, &ae) || ae.Code != "AccessDenied" || ae.Profile != "deploy" {
		t.Fatalf("got %v, want AccessDenied for profile deploy", err)
	}
}

func withEnv(d creds.Deps, m map[string]string) creds.Deps {
	d.Env = config.MapEnv(m)
	return d
}

func TestExternalID(t *testing.T) {
	e := startEmu(t)
	chain := &config.Chain{
		Source:      config.Source{Kind: config.KeyringKeys, Profile: "bob"},
		Roles:       []config.RoleHop{{Profile: "partner", RoleARN: roleExternal, ExternalID: "ext-4711"}},
		STSEndpoint: e.url,
	}
	kr := newKeyring(t, "bob", bobKey, bobSecret)
	if _, err := creds.Retrieve(context.Background(), chain, e.deps(kr, newCache(), nil)); err != nil {
		t.Fatal(err)
	}
	chain.Roles[0].ExternalID = "wrong"
	_, err := creds.Retrieve(context.Background(), chain, e.deps(kr, newCache(), nil))
	var ae *creds.APIError
	if !errors.As(err, &ae) || ae.Code != "AccessDenied" {
		t.Fatalf("wrong external id: got %v", err)
	}
}

func TestWrongMFACodeThenRightOne(t *testing.T) {
	e := startEmu(t)
	wrong := e.wrongCode(t, aliceSerial)
	var n int
	src := &fakeSource{interactive: true, code: func(req prompt.Request) (string, error) {
		n++
		if req.Attempt < 3 {
			return wrong, nil
		}
		return e.srv.FreshTOTP(aliceSerial)
	}}
	chain := e.aliceChain(config.RoleHop{Profile: "work", RoleARN: roleAdmin})
	if _, err := creds.Retrieve(context.Background(), chain, e.deps(newKeyring(t, "alice", aliceKey, aliceSecret), newCache(), src)); err != nil {
		t.Fatal(err)
	}
	var attempts []int
	for _, r := range src.asked() {
		attempts = append(attempts, r.Attempt)
	}
	if fmt.Sprint(attempts) != "[1 2 3]" {
		t.Fatalf("attempts %v", attempts)
	}
}

func TestWrongMFACodeThreeTimesFails(t *testing.T) {
	e := startEmu(t)
	wrong := e.wrongCode(t, aliceSerial)
	src := &fakeSource{interactive: true, code: func(prompt.Request) (string, error) { return wrong, nil }}
	_, err := creds.Retrieve(context.Background(), e.aliceChain(), e.deps(newKeyring(t, "alice", aliceKey, aliceSecret), newCache(), src))
	var re *creds.MFARejectedError
	if !errors.As(err, &re) || re.Attempts != 3 || re.Serial != aliceSerial {
		t.Fatalf("got %v", err)
	}
	noSecrets(t, err, wrong)
}

func TestWrongMFACodeNonInteractiveFailsAtOnce(t *testing.T) {
	e := startEmu(t)
	wrong := e.wrongCode(t, aliceSerial)
	src := &fakeSource{code: func(prompt.Request) (string, error) { return wrong, nil }}
	store := newCache()
	_, err := creds.Retrieve(context.Background(), e.aliceChain(config.RoleHop{RoleARN: roleAdmin}), e.deps(newKeyring(t, "alice", aliceKey, aliceSecret), store, src))
	var re *creds.MFARejectedError
	if !errors.As(err, &re) || re.Attempts != 1 || re.Interactive {
		t.Fatalf("got %v", err)
	}
	if len(src.asked()) != 1 || e.stats()["GetSessionToken"] != 1 {
		t.Fatalf("asked %d times, %d calls", len(src.asked()), e.stats()["GetSessionToken"])
	}
	if !strings.Contains(re.Hint(), "clock") || !strings.Contains(re.Hint(), "once") {
		t.Fatalf("hint %q", re.Hint())
	}
	if strings.Contains(err.Error(), "\n") {
		t.Fatalf("error is not one line: %q", err)
	}
	noSecrets(t, err, wrong)
	if all, _ := store.List(context.Background()); len(all) != 0 {
		t.Fatalf("a failure was cached: %+v", all)
	}
}

func TestNoWayToAskForMFA(t *testing.T) {
	e := startEmu(t)
	noTTY := errors.New("no terminal to ask for the code; pass --mfa-token")
	deps := e.deps(newKeyring(t, "alice", aliceKey, aliceSecret), newCache(), nil)
	deps.Prompt = func(context.Context, string, string) (prompt.Source, error) { return nil, noTTY }
	_, err := creds.Retrieve(context.Background(), e.aliceChain(), deps)
	if !errors.Is(err, noTTY) {
		t.Fatalf("got %v, want the prompt's error", err)
	}
	if e.stats()["GetSessionToken"] != 0 {
		t.Fatal("called STS without a code")
	}
}

func TestMissingMFASerialHint(t *testing.T) {
	e := startEmu(t)
	chain := &config.Chain{
		Profile:     "admin",
		Source:      config.Source{Kind: config.KeyringKeys, Profile: "alice"},
		Roles:       []config.RoleHop{{Profile: "admin", RoleARN: roleAdmin}},
		STSEndpoint: e.url,
	}
	_, err := creds.Retrieve(context.Background(), chain, e.deps(newKeyring(t, "alice", aliceKey, aliceSecret), newCache(), nil))
	var me *creds.MFASerialMissingError
	if !errors.As(err, &me) {
		t.Fatalf("got %v", err)
	}
	if me.Line() != "mfa_serial = "+aliceSerial {
		t.Fatalf("line %q", me.Line())
	}
	if h := me.Hint(); !strings.Contains(h, `"alice"`) || !strings.HasSuffix(h, "mfa_serial = "+aliceSerial) {
		t.Fatalf("hint %q", h)
	}
	if e.stats()["ListMFADevices"] != 1 {
		t.Fatalf("stats %v", e.stats())
	}
}

func TestNoKeysStored(t *testing.T) {
	e := startEmu(t)
	_, err := creds.Retrieve(context.Background(), e.aliceChain(), e.deps(newKeyring(t, "", "", ""), newCache(), nil))
	var nk *creds.NoKeysError
	if !errors.As(err, &nk) || nk.Profile != "alice" || nk.Hint() != "store them with `kagi add alice`, or put them in the shared credentials file" {
		t.Fatalf("got %v", err)
	}
}

func TestRefreshWhenLessThanFiveMinutesLeft(t *testing.T) {
	e := startEmu(t)
	// Every credential lives 400s: 6m40s.
	if err := e.srv.SetFaults(awsemu.Faults{CredentialLifetimeSeconds: 400}); err != nil {
		t.Fatal(err)
	}
	kr := newKeyring(t, "alice", aliceKey, aliceSecret)
	store := newCache()
	chain := e.aliceChain(config.RoleHop{RoleARN: roleAdmin})
	run := func(skew time.Duration) {
		t.Helper()
		d := e.deps(kr, store, e.totpSource(aliceSerial))
		d.Now = func() time.Time { return time.Now().Add(skew) }
		if _, err := creds.Retrieve(context.Background(), chain, d); err != nil {
			t.Fatal(err)
		}
	}
	run(0)
	run(time.Minute) // 5m40s left: still good
	if got := e.stats(); got["GetSessionToken"] != 1 || got["AssumeRole"] != 1 {
		t.Fatalf("refreshed too early: %v", got)
	}
	run(2 * time.Minute) // 4m40s left: both refreshed
	if got := e.stats(); got["GetSessionToken"] != 2 || got["AssumeRole"] != 2 {
		t.Fatalf("not refreshed: %v", got)
	}
}

func TestConcurrentRetrievesShareOneRefresh(t *testing.T) {
	e := startEmu(t)
	store := newCache()
	var mu sync.Mutex
	prompts := 0
	src := &fakeSource{interactive: true, code: func(prompt.Request) (string, error) {
		mu.Lock()
		prompts++
		mu.Unlock()
		return e.srv.FreshTOTP(aliceSerial)
	}}
	chain := e.aliceChain(config.RoleHop{Profile: "work", RoleARN: roleAdmin})
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	got := make([]creds.Credentials, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each "process" has its own keyring handle, Deps and chain copy.
			deps := e.deps(newKeyring(t, "alice", aliceKey, aliceSecret), store, src)
			c := *chain
			<-start
			got[i], errs[i] = creds.Retrieve(context.Background(), &c, deps)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("goroutine %d: %v", i, err)
		}
		if got[i] != got[0] {
			t.Fatalf("goroutine %d got other credentials", i)
		}
	}
	if s := e.stats(); s["GetSessionToken"] != 1 || s["AssumeRole"] != 1 {
		t.Fatalf("stats %v, want one call per action", s)
	}
	if prompts != 1 {
		t.Fatalf("%d prompts, want 1", prompts)
	}
}

// throttleOnce advances the emulator's clock by a second after each
// throttled answer, so the retry lands in the next throttling window: the
// test needs no sleeps and does not depend on the retryer's jitter.
type throttleOnce struct {
	mu  sync.Mutex
	now time.Time
}

func (c *throttleOnce) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *throttleOnce) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusBadRequest {
		c.mu.Lock()
		c.now = c.now.Add(1100 * time.Millisecond)
		c.mu.Unlock()
	}
	return resp, err
}

func TestThrottlingIsRetried(t *testing.T) {
	clock := &throttleOnce{now: time.Now()}
	e := startEmu(t, awsemu.WithClock(clock.Now))
	if err := e.srv.SetFaults(awsemu.Faults{ThrottleTPS: 1}); err != nil {
		t.Fatal(err)
	}
	deps := withEnv(e.deps(nil, nil, nil), map[string]string{"AWS_ACCESS_KEY_ID": bobKey, "AWS_SECRET_ACCESS_KEY": bobSecret})
	deps.HTTPClient = &http.Client{Transport: clock}
	// GetCallerIdentity (for the session name) takes this second's one
	// call; AssumeRole right after is throttled, then retried.
	chain := &config.Chain{Source: config.Source{Kind: config.Environment},
		Roles: []config.RoleHop{{RoleARN: roleLong, SessionNameIsUsername: true}}, STSEndpoint: e.url}
	c, err := creds.Retrieve(context.Background(), chain, deps)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.srv.SetFaults(awsemu.Faults{}); err != nil {
		t.Fatal(err)
	}
	if got := e.callerARN(t, c); got != "arn:aws:sts::222222222222:assumed-role/long/bob" {
		t.Fatalf("caller %s", got)
	}
	throttled := 0
	for _, r := range e.srv.Requests() {
		if r.Code == "Throttling" {
			throttled++
		}
	}
	if throttled == 0 || e.stats()["AssumeRole"] < 2 {
		t.Fatalf("nothing was throttled and retried: %v", e.stats())
	}
}

func TestSTSDownFailsFast(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	chain := &config.Chain{Profile: "work", Source: config.Source{Kind: config.KeyringKeys, Profile: "bob"},
		Roles: []config.RoleHop{{Profile: "work", RoleARN: roleLong}}, STSEndpoint: url}
	deps := creds.Deps{Keyring: newKeyring(t, "bob", bobKey, bobSecret), Cache: newCache(), Env: config.MapEnv(nil), HTTPClient: &http.Client{}}
	start := time.Now()
	_, err = creds.Retrieve(context.Background(), chain, deps)
	took := time.Since(start)
	var ue *creds.UnavailableError
	if !errors.As(err, &ue) {
		t.Fatalf("got %v", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "sts:AssumeRole") || !strings.Contains(msg, url) || strings.Contains(msg, "\n") || ue.Hint() == "" {
		t.Fatalf("message %q", msg)
	}
	if ue.Attempts != 3 {
		t.Fatalf("%d attempts", ue.Attempts)
	}
	if took > 15*time.Second {
		t.Fatalf("took %s", took)
	}
}

func TestProcessSource(t *testing.T) {
	dir := t.TempDir()
	exp := time.Now().Add(30 * time.Minute).UTC().Truncate(time.Second)
	script := func(name, out string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(out), 0o600); err != nil {
			t.Fatal(err)
		}
		return "cat '" + p + "'"
	}
	chain := func(cmd string) *config.Chain {
		return &config.Chain{Profile: "p", Source: config.Source{Kind: config.Process, Profile: "p", CredentialProcess: cmd}}
	}
	deps := creds.Deps{Env: config.MapEnv(nil), Stderr: &bytes.Buffer{}}

	good := fmt.Sprintf(`{"Version":1,"AccessKeyId":"ASIAPROCESS000000001","SecretAccessKey":"process-secret-xyz123","SessionToken":"tok-abcdef","Expiration":%q}`, exp.Format(time.RFC3339))
	c, err := creds.Retrieve(context.Background(), chain(script("good", good)), deps)
	if err != nil {
		t.Fatal(err)
	}
	want := creds.Credentials{AccessKeyID: "ASIAPROCESS000000001", SecretAccessKey: "process-secret-xyz123", SessionToken: "tok-abcdef", Expiration: exp}
	if c != want {
		t.Fatalf("got %#v", c)
	}
	if s := fmt.Sprintf("%v %+v %#v %s", c, c, c, c); strings.Contains(s, "process-secret") || strings.Contains(s, "tok-abcdef") {
		t.Fatalf("Credentials print secrets: %s", s)
	}

	expired := fmt.Sprintf(`{"Version":1,"AccessKeyId":"ASIAPROCESS000000001","SecretAccessKey":"process-secret-xyz123","Expiration":%q}`, time.Now().Add(-time.Minute).UTC().Format(time.RFC3339))
	_, err = creds.Retrieve(context.Background(), chain(script("expired", expired)), deps)
	var ee *creds.ExpiredSourceError
	if !errors.As(err, &ee) || ee.Profile != "p" {
		t.Fatalf("expired: got %v", err)
	}

	_, err = creds.Retrieve(context.Background(), chain(script("broken", `{"Version":1,"SecretAccessKey":"process-secret-xyz123" oops`)), deps)
	var se *creds.SourceError
	if !errors.As(err, &se) {
		t.Fatalf("broken: got %v", err)
	}
	noSecrets(t, err, "process-secret-xyz123")

	// A failing command: its stderr reaches the user as it is written, and
	// the error names the profile and the setting, never the command line
	// or what the command printed.
	var stderr bytes.Buffer
	deps.Stderr = &stderr
	_, err = creds.Retrieve(context.Background(), chain("echo 'no such profile' >&2; exit 3"), deps)
	if err == nil || err.Error() != `credential_process of profile "p" exited with status 3; its error output, if any, is above` {
		t.Fatalf("failing command: got %v", err)
	}
	var h interface{ Hint() string }
	if !errors.As(err, &h) || !strings.Contains(h.Hint(), "by hand") {
		t.Errorf("failing command: no hint in %v", err)
	}
	if stderr.String() != "no such profile\n" {
		t.Errorf("its stderr reached the user as %q", stderr.String())
	}
}

func TestEnvironmentSource(t *testing.T) {
	e := startEmu(t)
	env := map[string]string{"AWS_ACCESS_KEY_ID": bobKey, "AWS_SECRET_ACCESS_KEY": bobSecret}
	// No role: the environment's keys themselves.
	c, err := creds.Retrieve(context.Background(), &config.Chain{Source: config.Source{Kind: config.Environment}}, withEnv(creds.Deps{}, env))
	if err != nil || c.AccessKeyID != bobKey || c.SecretAccessKey != bobSecret || c.Expires() {
		t.Fatalf("got %v, %v", c, err)
	}
	// credential_source = Environment with a role, cached.
	store := newCache()
	chain := &config.Chain{Profile: "ci", Source: config.Source{Kind: config.Environment, Profile: "ci"},
		Roles: []config.RoleHop{{Profile: "ci", RoleARN: roleLong, SessionName: "ci-job"}}, STSEndpoint: e.url}
	c, err = creds.Retrieve(context.Background(), chain, withEnv(e.deps(nil, store, nil), env))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.callerARN(t, c); got != "arn:aws:sts::222222222222:assumed-role/long/ci-job" {
		t.Fatalf("caller %s", got)
	}
	// Other keys in the environment never hit that entry.
	other := map[string]string{"AWS_ACCESS_KEY_ID": aliceKey, "AWS_SECRET_ACCESS_KEY": aliceSecret}
	if _, err := creds.Retrieve(context.Background(), chain, withEnv(e.deps(nil, store, nil), other)); err != nil {
		t.Fatal(err)
	}
	if n := e.stats()["AssumeRole"]; n != 2 {
		t.Fatalf("%d AssumeRole calls, want 2 (one per identity)", n)
	}

	_, err = creds.Retrieve(context.Background(), &config.Chain{Source: config.Source{Kind: config.Environment}}, withEnv(creds.Deps{}, map[string]string{"AWS_ACCESS_KEY_ID": bobKey}))
	var se *creds.SourceError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "AWS_SECRET_ACCESS_KEY not set") || se.Hint() == "" {
		t.Fatalf("got %v", err)
	}

	// Expired temporary keys (AWS_CREDENTIAL_EXPIRATION in the past).
	expired := map[string]string{"AWS_ACCESS_KEY_ID": "ASIAEXPIRED000000001", "AWS_SECRET_ACCESS_KEY": "x-secret-expired", "AWS_SESSION_TOKEN": "tok",
		"AWS_CREDENTIAL_EXPIRATION": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)}
	_, err = creds.Retrieve(context.Background(), &config.Chain{Source: config.Source{Kind: config.Environment}}, withEnv(creds.Deps{}, expired))
	var ee *creds.ExpiredSourceError
	if !errors.As(err, &ee) || ee.Source != "env" {
		t.Fatalf("got %v", err)
	}
}

func TestWebIdentity(t *testing.T) {
	e := startEmu(t)
	token, err := e.world.MintToken(issuer, awsemu.TokenClaims{Subject: "repo:kagi-cli/kagi:ref:refs/heads/main"})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	chain := &config.Chain{Source: config.Source{Kind: config.WebIdentity, WebIdentityTokenFile: file},
		Roles: []config.RoleHop{{RoleARN: roleCI, SessionName: "gha"}, {RoleARN: roleLong, Chained: true}}, STSEndpoint: e.url}
	// roleLong does not trust ci: check the first hop alone, then a miss on a
	// second hop must fail with the role named.
	one := *chain
	one.Roles = chain.Roles[:1]
	var logBuf bytes.Buffer
	deps := e.deps(nil, nil, nil)
	deps.Log = debug.New(&logBuf)
	c, err := creds.Retrieve(context.Background(), &one, deps)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.callerARN(t, c); got != "arn:aws:sts::222222222222:assumed-role/ci/gha" {
		t.Fatalf("caller %s", got)
	}
	if e.stats()["AssumeRoleWithWebIdentity"] != 1 {
		t.Fatalf("stats %v", e.stats())
	}
	if strings.Contains(logBuf.String(), token) {
		t.Fatal("debug log leaks the token")
	}
	_, err = creds.Retrieve(context.Background(), chain, e.deps(nil, nil, nil))
	var ae *creds.APIError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), roleLong) {
		t.Fatalf("got %v", err)
	}
	noSecrets(t, err, token)
}

func TestCachedSessionServesNewRole(t *testing.T) {
	e := startEmu(t)
	kr := newKeyring(t, "alice", aliceKey, aliceSecret)
	store := newCache()
	if _, err := creds.Retrieve(context.Background(), e.aliceChain(config.RoleHop{Profile: "work", RoleARN: roleAdmin}), e.deps(kr, store, e.totpSource(aliceSerial))); err != nil {
		t.Fatal(err)
	}
	// Another role from the same MFA session: no new code.
	src := &fakeSource{code: func(prompt.Request) (string, error) { return "", errors.New("must not ask") }}
	if _, err := creds.Retrieve(context.Background(), e.aliceChain(config.RoleHop{Profile: "long", RoleARN: roleLong}), e.deps(kr, store, src)); err != nil {
		t.Fatal(err)
	}
	if s := e.stats(); s["GetSessionToken"] != 1 || s["AssumeRole"] != 2 {
		t.Fatalf("stats %v", s)
	}
}

// settable is a clock for the emulator.
type settable struct {
	mu  sync.Mutex
	now time.Time
}

func (c *settable) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *settable) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestSessionRefusedAsExpiredIsReplacedOnce(t *testing.T) {
	// The cache says the MFA session is good for hours, STS says it has
	// expired (revoked, or a clock that lies): drop it, ask again, go on.
	clock := &settable{now: time.Now()}
	e := startEmu(t, awsemu.WithClock(clock.Now))
	if err := e.srv.SetFaults(awsemu.Faults{CredentialLifetimeSeconds: 60}); err != nil {
		t.Fatal(err)
	}
	kr := newKeyring(t, "alice", aliceKey, aliceSecret)
	store := newCache()
	ctx := context.Background()
	if _, err := creds.Retrieve(ctx, e.aliceChain(), e.deps(kr, store, e.totpSource(aliceSerial))); err != nil {
		t.Fatal(err)
	}
	sess := store.byKind(t, "session")[0]
	entry, _ := store.Get(ctx, sess.Key)
	entry.Expiration = time.Now().Add(10 * time.Hour)
	store.Put(ctx, sess.Key, entry)
	if err := e.srv.SetFaults(awsemu.Faults{}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(90 * time.Second)

	src := e.totpSource(aliceSerial)
	c, err := creds.Retrieve(ctx, e.aliceChain(config.RoleHop{Profile: "work", RoleARN: roleAdmin}), e.deps(kr, store, src))
	if err != nil {
		t.Fatal(err)
	}
	if len(src.asked()) != 1 || e.stats()["GetSessionToken"] != 2 {
		t.Fatalf("asked %d, stats %v", len(src.asked()), e.stats())
	}
	if got, _ := store.Get(ctx, sess.Key); got.SessionToken == entry.SessionToken {
		t.Fatal("the refused session is still cached")
	}
	_ = c
}

func TestSharedKeysThroughResolve(t *testing.T) {
	// A chain as config.Resolve makes it from real files: keys of "bob" in
	// the credentials file, a role profile using them.
	e := startEmu(t)
	credsFile, err := config.Parse("/home/u/.aws/credentials", config.CredentialsFile,
		[]byte("[bob]\naws_access_key_id = "+bobKey+"\naws_secret_access_key = "+bobSecret+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfgFile, err := config.Parse("/home/u/.aws/config", config.ConfigFile,
		[]byte("[profile long]\nrole_arn = "+roleLong+"\nsource_profile = bob\nrole_session_name = ${aws:username}\nendpoint_url = "+e.url+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	files := &config.Files{Config: cfgFile, Credentials: credsFile}
	chain, err := config.Resolve(files, config.Request{Profile: "long", Env: config.MapEnv(nil)})
	if err != nil {
		t.Fatal(err)
	}
	deps := e.deps(nil, newCache(), nil)
	deps.Files = files
	c, err := creds.Retrieve(context.Background(), chain, deps)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.callerARN(t, c); got != "arn:aws:sts::222222222222:assumed-role/long/bob" {
		t.Fatalf("caller %s", got)
	}
}

// bobFiles are bob's long-term keys in the credentials file and a profile
// "bob" that assumes no role, as config.Resolve reads them.
func (e *emu) bobFiles(t *testing.T) *config.Files {
	t.Helper()
	credsFile, err := config.Parse("/home/u/.aws/credentials", config.CredentialsFile,
		[]byte("[bob]\naws_access_key_id = "+bobKey+"\naws_secret_access_key = "+bobSecret+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfgFile, err := config.Parse("/home/u/.aws/config", config.ConfigFile, []byte("[profile bob]\nendpoint_url = "+e.url+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	return &config.Files{Config: cfgFile, Credentials: credsFile}
}

func TestLongTermKeysWithoutRoleGetASessionWithoutMFA(t *testing.T) {
	// Long-term keys are never what a profile without a role hands out:
	// GetSessionToken without MFA (no device, no prompt), cached like the
	// MFA session.
	e := startEmu(t)
	ctx := context.Background()
	files := e.bobFiles(t)
	chain, err := config.Resolve(files, config.Request{Profile: "bob", Env: config.MapEnv(nil)})
	if err != nil {
		t.Fatal(err)
	}
	store := newCache()
	deps := e.deps(nil, store, nil) // asking for a code fails the test
	deps.Files = files
	c, err := creds.Retrieve(ctx, chain, deps)
	if err != nil {
		t.Fatal(err)
	}
	if c.AccessKeyID == bobKey || c.SecretAccessKey == bobSecret || c.SessionToken == "" || !c.Expires() {
		t.Fatalf("got the long-term keys (or no session): %v", c)
	}
	within(t, c.Expiration, time.Now().Add(12*time.Hour), 10*time.Second)
	if got := e.callerARN(t, c); got != "arn:aws:iam::111111111111:user/bob" {
		t.Fatalf("caller %s", got)
	}
	if s := store.byKind(t, "session"); len(s) != 1 || s[0].Profile != "bob" || s[0].Detail != "without MFA" {
		t.Fatalf("session entries %+v", s)
	}
	// A new process: from the cache, no call.
	deps = e.deps(nil, store, nil)
	deps.Files = files
	c2, err := creds.Retrieve(ctx, chain, deps)
	if err != nil {
		t.Fatal(err)
	}
	if c2 != c {
		t.Fatal("second run did not return the cached session")
	}
	if got := e.stats(); got["GetSessionToken"] != 1 {
		t.Fatalf("stats %v, want one GetSessionToken", got)
	}

	// --no-session is the explicit way to the keys themselves.
	chain, err = config.Resolve(files, config.Request{Profile: "bob", NoSession: true, Env: config.MapEnv(nil)})
	if err != nil {
		t.Fatal(err)
	}
	c3, err := creds.Retrieve(ctx, chain, deps)
	if err != nil {
		t.Fatal(err)
	}
	if c3.AccessKeyID != bobKey || c3.Expires() {
		t.Fatalf("--no-session: got %v, want bob's long-term keys", c3)
	}
}

func TestSessionWithoutMFACannotStandInForMFA(t *testing.T) {
	// The same keys, first without MFA (no role), then with a role that
	// needs MFA: the session without MFA is a different cache entry, so the
	// role gets its own MFA session and is assumed.
	e := startEmu(t)
	ctx := context.Background()
	kr := newKeyring(t, "alice", aliceKey, aliceSecret)
	store := newCache()
	src := e.totpSource(aliceSerial)
	plain := &config.Chain{Profile: "alice", Source: config.Source{Kind: config.KeyringKeys, Profile: "alice"},
		MFA: &config.MFASession{Duration: 12 * time.Hour}, STSEndpoint: e.url}
	if _, err := creds.Retrieve(ctx, plain, e.deps(kr, store, src)); err != nil {
		t.Fatal(err)
	}
	if n := len(src.asked()); n != 0 {
		t.Fatalf("a session without MFA asked for %d codes", n)
	}
	c, err := creds.Retrieve(ctx, e.aliceChain(config.RoleHop{Profile: "work", RoleARN: roleAdmin}), e.deps(kr, store, src))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.callerARN(t, c); !strings.HasPrefix(got, "arn:aws:sts::222222222222:assumed-role/admin/") {
		t.Fatalf("caller %s", got)
	}
	if got := e.stats(); got["GetSessionToken"] != 2 || len(src.asked()) != 1 {
		t.Fatalf("stats %v, %d codes asked; want two sessions and one code", got, len(src.asked()))
	}
}

// With a Pacer (exec --profiles shares one), every attempt goes through
// it: a Throttling answer starts the pacing, and the throttled call is
// retried and succeeds.
func TestThrottlingTeachesThePacer(t *testing.T) {
	clock := &throttleOnce{now: time.Now()}
	e := startEmu(t, awsemu.WithClock(clock.Now))
	if err := e.srv.SetFaults(awsemu.Faults{ThrottleTPS: 1}); err != nil {
		t.Fatal(err)
	}
	deps := withEnv(e.deps(nil, nil, nil), map[string]string{"AWS_ACCESS_KEY_ID": bobKey, "AWS_SECRET_ACCESS_KEY": bobSecret})
	deps.HTTPClient = &http.Client{Transport: clock}
	deps.Pacer = creds.NewPacer()
	chain := &config.Chain{Source: config.Source{Kind: config.Environment},
		Roles: []config.RoleHop{{RoleARN: roleLong, SessionNameIsUsername: true}}, STSEndpoint: e.url}
	if _, err := creds.Retrieve(context.Background(), chain, deps); err != nil {
		t.Fatal(err)
	}
	if deps.Pacer.Rate() == 0 {
		t.Fatalf("the Pacer did not learn of the Throttling (stats %v)", e.stats())
	}
	if e.stats()["AssumeRole"] < 2 {
		t.Fatalf("nothing was throttled and retried: %v", e.stats())
	}
}

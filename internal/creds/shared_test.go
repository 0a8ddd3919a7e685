package creds_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/creds"
	"github.com/kagi-cli/kagi/internal/prompt"
)

// TestSharedObtainsCommonStepsOnce: before the runs of a fan-out, Shared
// obtains the MFA session every chain starts from and the role hop two
// chains go through, once each, and nothing that is one chain's own; the
// runs then find them in the cache. A chain whose source cannot be
// identified without a secret, and a profile that did not resolve (nil),
// share nothing and fail nothing.
func TestSharedObtainsCommonStepsOnce(t *testing.T) {
	e := startEmu(t)
	ctx := context.Background()
	if err := e.keyIDs.SetKeyID("alice", aliceKey); err != nil { // as `kagi add` does
		t.Fatal(err)
	}
	store := newCache()
	src := e.totpSource(aliceSerial)
	deps := e.deps(newKeyring(t, "alice", aliceKey, aliceSecret), store, src)
	admin := config.RoleHop{Profile: "admin", RoleARN: roleAdmin}
	chains := []*config.Chain{
		e.aliceChain(config.RoleHop{Profile: "a", RoleARN: roleLong, SessionName: "aa"}),
		nil,
		e.aliceChain(admin, config.RoleHop{Profile: "ro1", RoleARN: roleReadonly, SessionName: "one", Chained: true}),
		e.aliceChain(admin, config.RoleHop{Profile: "ro2", RoleARN: roleReadonly, SessionName: "two", Chained: true}),
		{Profile: "ci", Source: config.Source{Kind: config.WebIdentity, Profile: "ci", WebIdentityTokenFile: "/nonexistent"},
			Roles: []config.RoleHop{{RoleARN: roleCI}}, STSEndpoint: e.url},
	}
	failed, err := creds.Shared(ctx, chains, deps)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range failed {
		if f != nil {
			t.Errorf("chain %d: %v", i, f)
		}
	}
	if got, want := fmt.Sprint(e.stats()), fmt.Sprint(map[string]int{"GetSessionToken": 1, "AssumeRole": 1}); got != want {
		t.Fatalf("after Shared: %v, want %v (the MFA session and the admin hop)", got, want)
	}
	if n := len(store.byKind(t, "session")); n != 1 {
		t.Fatalf("%d sessions cached", n)
	}
	for _, i := range []int{0, 2, 3} {
		if _, err := creds.Retrieve(ctx, chains[i], deps); err != nil {
			t.Fatalf("chain %d: %v", i, err)
		}
	}
	if got, want := fmt.Sprint(e.stats()), fmt.Sprint(map[string]int{"GetSessionToken": 1, "AssumeRole": 4}); got != want {
		t.Fatalf("after the runs: %v, want %v", got, want)
	}
	if n := len(src.asked()); n != 1 {
		t.Fatalf("asked for %d codes, want 1", n)
	}
}

// TestSharedFailureIsEachChainsOwn: a shared MFA session that cannot be
// had is the error of every chain that needs it, from one try: the code is
// asked for once, and a chain that needs no MFA session is untouched.
func TestSharedFailureIsEachChainsOwn(t *testing.T) {
	e := startEmu(t)
	ctx := context.Background()
	if err := e.keyIDs.SetKeyID("alice", aliceKey); err != nil {
		t.Fatal(err)
	}
	wrong := e.wrongCode(t, aliceSerial)
	src := &fakeSource{code: func(prompt.Request) (string, error) { return wrong, nil }}
	deps := e.deps(newKeyring(t, "alice", aliceKey, aliceSecret), newCache(), src)
	var chains []*config.Chain
	for i := range 3 {
		chains = append(chains, e.aliceChain(config.RoleHop{Profile: fmt.Sprint("p", i), RoleARN: roleAdmin, SessionName: fmt.Sprint("session-", i)}))
	}
	own := e.aliceChain(config.RoleHop{RoleARN: roleLong})
	own.MFA = nil
	chains = append(chains, own)
	failed, err := creds.Shared(ctx, chains, deps)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		var re *creds.MFARejectedError
		if !errors.As(failed[i], &re) {
			t.Errorf("chain %d: %v, want the MFA session's rejection", i, failed[i])
		}
	}
	if failed[3] != nil {
		t.Errorf("the chain without an MFA session: %v", failed[3])
	}
	if len(src.asked()) != 1 || e.stats()["GetSessionToken"] != 1 || e.stats()["AssumeRole"] != 0 {
		t.Fatalf("asked %d times, emulator %v; want one code, one GetSessionToken, no AssumeRole", len(src.asked()), e.stats())
	}
}

// TestSharedStopsWhenInterrupted: the end of the context (Ctrl-C at the
// MFA prompt) is Shared's error, not the chains'.
func TestSharedStopsWhenInterrupted(t *testing.T) {
	e := startEmu(t)
	if err := e.keyIDs.SetKeyID("alice", aliceKey); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	src := &fakeSource{interactive: true, code: func(prompt.Request) (string, error) { cancel(); return "", context.Canceled }}
	deps := e.deps(newKeyring(t, "alice", aliceKey, aliceSecret), newCache(), src)
	chains := []*config.Chain{
		e.aliceChain(config.RoleHop{RoleARN: roleAdmin, SessionName: "a"}),
		e.aliceChain(config.RoleHop{RoleARN: roleAdmin, SessionName: "b"}),
	}
	if _, err := creds.Shared(ctx, chains, deps); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want the context's end", err)
	}
}

// pruneCounter is a memCache that counts Prune calls.
type pruneCounter struct {
	*memCache
	prunes atomic.Int32
}

func (c *pruneCounter) Prune(context.Context, time.Time) (int, error) {
	c.prunes.Add(1)
	return 0, nil
}

// TestTidiedPrunesOnceForAFanOut: alone, each Retrieve that stores
// something prunes the cache; the Retrieves of a fan-out that share
// Deps.Tidied prune it once between them, instead of each reading every
// entry (fifty runs: the cache read fifty times over).
func TestTidiedPrunesOnceForAFanOut(t *testing.T) {
	e := startEmu(t)
	ctx := context.Background()
	for _, shared := range []bool{false, true} {
		store := &pruneCounter{memCache: newCache()}
		deps := e.deps(newKeyring(t, "alice", aliceKey, aliceSecret), store, e.totpSource(aliceSerial))
		if shared {
			deps.Tidied = new(sync.Once)
		}
		for i := range 3 {
			if _, err := creds.Retrieve(ctx, e.aliceChain(config.RoleHop{RoleARN: roleLong, SessionName: fmt.Sprint("run-", i)}), deps); err != nil {
				t.Fatal(err)
			}
		}
		want := int32(4) // the MFA session, then each role
		if shared {
			want = 1
		}
		if got := store.prunes.Load(); got != want {
			t.Errorf("shared=%v: %d prunes, want %d", shared, got, want)
		}
	}
}

// TestSharedReadsKeysWhoseIDIsNotRemembered: keys stored without their id
// remembered (by a kagi before key ids, or another tool) are read once to
// key the shared MFA session, and the id is remembered for the runs.
func TestSharedReadsKeysWhoseIDIsNotRemembered(t *testing.T) {
	e := startEmu(t)
	ctx := context.Background()
	kr := newKeyring(t, "alice", aliceKey, aliceSecret)
	deps := e.deps(kr, newCache(), e.totpSource(aliceSerial))
	chains := []*config.Chain{
		e.aliceChain(config.RoleHop{RoleARN: roleLong, SessionName: "one"}),
		e.aliceChain(config.RoleHop{RoleARN: roleLong, SessionName: "two"}),
	}
	if _, err := creds.Shared(ctx, chains, deps); err != nil {
		t.Fatal(err)
	}
	if st := e.stats(); st["GetSessionToken"] != 1 || st["AssumeRole"] != 0 {
		t.Fatalf("emulator %v, want the MFA session alone", st)
	}
	if id, ok := e.keyIDs.KeyID("alice"); !ok || id != aliceKey {
		t.Fatalf("remembered %q %v, want %s", id, ok, aliceKey)
	}
	if n := kr.gets.Load(); n != 2 {
		t.Fatalf("%d keyring reads, want 2: one for the id, one for the session's call", n)
	}
}

// cacheFor rewrites the cached entry of chain's last step to expire at exp.
func cacheFor(t *testing.T, store *memCache, chain *config.Chain, deps creds.Deps, exp time.Time) {
	t.Helper()
	ctx := context.Background()
	keys, err := creds.StepKeys(ctx, chain, deps)
	if err != nil {
		t.Fatal(err)
	}
	k := keys[len(keys)-1]
	e, err := store.Get(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	e.Expiration = exp
	if err := store.Put(ctx, k, e); err != nil {
		t.Fatal(err)
	}
}

// TestSharedLeavesChainsServedFromCache pins the trial's bug: roles cached
// from alice's MFA session, the session itself gone (`kagi clear alice`),
// and exec --profiles of the three asked for an MFA code (failing without
// a terminal) although each run is served from the cache. A chain whose
// last step is cached and fresh needs none of the steps before it: it is
// no user of them, and their failure is not its.
func TestSharedLeavesChainsServedFromCache(t *testing.T) {
	e := startEmu(t)
	ctx := context.Background()
	if err := e.keyIDs.SetKeyID("alice", aliceKey); err != nil {
		t.Fatal(err)
	}
	store := newCache()
	kr := newKeyring(t, "alice", aliceKey, aliceSecret)
	var chains []*config.Chain
	for _, p := range []string{"dev", "prod", "vendor"} {
		chains = append(chains, e.aliceChain(config.RoleHop{Profile: p, RoleARN: roleAdmin, SessionName: p}))
	}
	if _, err := creds.Shared(ctx, chains, e.deps(kr, store, e.totpSource(aliceSerial))); err != nil {
		t.Fatal(err)
	}
	for _, c := range chains {
		if _, err := creds.Retrieve(ctx, c, e.deps(kr, store, nil)); err != nil {
			t.Fatal(err)
		}
	}
	sessions := store.byKind(t, "session")
	if len(sessions) != 1 {
		t.Fatalf("%d sessions cached", len(sessions))
	}
	if err := store.Delete(ctx, sessions[0].Key); err != nil { // kagi clear alice
		t.Fatal(err)
	}
	before := fmt.Sprint(e.stats())

	noPrompt := e.deps(kr, store, nil)
	failed, err := creds.Shared(ctx, chains, noPrompt)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range failed {
		if f != nil {
			t.Errorf("chain %d failed although its role is cached: %v", i, f)
		}
	}
	for i, c := range chains {
		if _, err := creds.Retrieve(ctx, c, noPrompt); err != nil {
			t.Errorf("chain %d: %v", i, err)
		}
	}
	if got := fmt.Sprint(e.stats()); got != before {
		t.Fatalf("calls %s, want none more than %s", got, before)
	}

	// Within RefreshWindow of its end a role is fetched again, as Retrieve
	// would: two such chains share the MFA session, tried once, and its
	// failure (a wrong code) is theirs, not the fresh chain's.
	for _, c := range chains[1:] {
		cacheFor(t, store, c, noPrompt, time.Now().Add(creds.RefreshWindow-time.Minute))
	}
	wrong := e.wrongCode(t, aliceSerial)
	src := &fakeSource{code: func(prompt.Request) (string, error) { return wrong, nil }}
	failed, err = creds.Shared(ctx, chains, e.deps(kr, store, src))
	if err != nil {
		t.Fatal(err)
	}
	if failed[0] != nil {
		t.Errorf("the fresh chain: %v", failed[0])
	}
	for _, i := range []int{1, 2} {
		var re *creds.MFARejectedError
		if !errors.As(failed[i], &re) {
			t.Errorf("chain %d: %v, want the MFA session's rejection", i, failed[i])
		}
	}
	if n := len(src.asked()); n != 1 {
		t.Fatalf("asked for %d codes, want 1", n)
	}
}

// TestSharedSSOSourceOfTwoProfiles: two profiles of one Identity Center
// role (a region apart) share its role credentials, fetched once; a
// third goes on to a role from them.
func TestSharedSSOSourceOfTwoProfiles(t *testing.T) {
	e := startSSOEmu(t)
	ctx := context.Background()
	store := newCache()
	tk := e.tokens(t)
	deps := e.ssoDeps(store, tk)
	west := ssoChain(e)
	west.Profile, west.Region = "prod-admin-west", "us-west-2"
	chains := []*config.Chain{ssoChain(e), west, ssoChain(e, config.RoleHop{RoleARN: roleFromSSO, SessionName: "deploy"})}
	failed, err := creds.Shared(ctx, chains, deps)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range failed {
		if f != nil {
			t.Errorf("chain %d: %v", i, f)
		}
	}
	if got := e.stats(); got["GetRoleCredentials"] != 1 || got["AssumeRole"] != 0 {
		t.Fatalf("after Shared: %v, want one GetRoleCredentials and no AssumeRole", got)
	}
}

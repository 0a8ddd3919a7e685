package creds_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/kagi-cli/kagi/internal/awsemu"
	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/creds"
	"github.com/kagi-cli/kagi/internal/keyring"
)

// newAliceKey makes alice a second access key in the emulator.
func (e *emu) newAliceKey(t *testing.T) keyring.AccessKeys {
	t.Helper()
	c := iam.New(iam.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(e.url),
		HTTPClient:   &http.Client{Timeout: 20 * time.Second},
		Credentials:  aws.NewCredentialsCache(staticProvider(aliceKey, aliceSecret)),
	})
	out, err := c.CreateAccessKey(context.Background(), &iam.CreateAccessKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	return keyring.AccessKeys{AccessKeyID: *out.AccessKey.AccessKeyId, SecretAccessKey: *out.AccessKey.SecretAccessKey}
}

func staticProvider(id, secret string) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, nil
	})
}

// keyIDsOf returns the access key ids that signed action, in order.
func (e *emu) keyIDsOf(action string) []string {
	var out []string
	for _, r := range e.srv.Requests() {
		if r.Action == action {
			out = append(out, r.AccessKeyID)
		}
	}
	return out
}

// Every entry made from stored keys names them as its root, and a warm run
// finds them by the remembered key id without opening the keyring.
func TestEntriesNameTheKeysTheyCameFrom(t *testing.T) {
	e := startEmu(t)
	ctx := context.Background()
	kr := newKeyring(t, "alice", aliceKey, aliceSecret)
	store := newCache()
	chain := e.aliceChain(config.RoleHop{Profile: "work", RoleARN: roleAdmin})
	if _, err := creds.Retrieve(ctx, chain, e.deps(kr, store, e.totpSource(aliceSerial))); err != nil {
		t.Fatal(err)
	}
	if id, ok := e.keyIDs.KeyID("alice"); !ok || id != aliceKey {
		t.Fatalf("remembered key id %q, %v", id, ok)
	}
	infos, _ := store.List(ctx)
	if len(infos) != 2 {
		t.Fatalf("entries %+v", infos)
	}
	for _, in := range infos {
		if in.Root != creds.KeyringRoot(aliceKey) {
			t.Fatalf("entry %+v does not name alice's keys as its root", in)
		}
	}
	keys, err := creds.StepKeys(ctx, chain, creds.Deps{KeyIDs: e.keyIDs})
	if err != nil || len(keys) != 2 || keys[0] != store.byKind(t, "session")[0].Key || keys[1] != store.byKind(t, "role")[0].Key {
		t.Fatalf("StepKeys = %v, %v; entries %+v", keys, err, infos)
	}
	gets := kr.gets.Load()
	if _, err := creds.Retrieve(ctx, chain, e.deps(kr, store, nil)); err != nil {
		t.Fatal(err)
	}
	if kr.gets.Load() != gets {
		t.Fatal("a warm run opened the keyring")
	}
}

// Keys replaced without `kagi add` (another tool, another HOME on the same
// OS keyring) are noticed the next time the keyring is read: the new id is
// remembered, the old keys' sessions are dropped, and the run starts over
// under the new keys instead of filing their session under the old ones.
func TestKeysReplacedBehindKagisBackAreNoticedWhenRead(t *testing.T) {
	e := startEmu(t)
	ctx := context.Background()
	kr := newKeyring(t, "alice", aliceKey, aliceSecret)
	store := newCache()
	src := e.totpSource(aliceSerial)
	chain := e.aliceChain(config.RoleHop{Profile: "work", RoleARN: roleAdmin})
	if _, err := creds.Retrieve(ctx, chain, e.deps(kr, store, src)); err != nil {
		t.Fatal(err)
	}
	fresh := e.newAliceKey(t)
	if err := keyring.SetKeys(ctx, kr, "alice", fresh); err != nil {
		t.Fatal(err)
	}
	// A chain whose MFA session is not cached reads the keyring.
	other := e.aliceChain(config.RoleHop{Profile: "work", RoleARN: roleAdmin})
	other.MFA.Duration = 6 * time.Hour
	c, err := creds.Retrieve(ctx, other, e.deps(kr, store, src))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.keyIDsOf("GetSessionToken"); fmt.Sprint(got) != fmt.Sprint([]string{aliceKey, fresh.AccessKeyID}) {
		t.Fatalf("GetSessionToken signed by %v", got)
	}
	if id, _ := e.keyIDs.KeyID("alice"); id != fresh.AccessKeyID {
		t.Fatalf("remembered %q, want the new key id", id)
	}
	infos, _ := store.List(ctx)
	if len(infos) != 2 {
		t.Fatalf("want the new session and role only, got %+v", infos)
	}
	for _, in := range infos {
		if in.Root != creds.KeyringRoot(fresh.AccessKeyID) {
			t.Fatalf("entry %+v survived the old keys or is filed under them", in)
		}
	}
	keys, err := creds.StepKeys(ctx, other, creds.Deps{KeyIDs: e.keyIDs})
	if err != nil {
		t.Fatal(err)
	}
	if e, err := store.Get(ctx, keys[1]); err != nil || e.AccessKeyID != c.AccessKeyID {
		t.Fatalf("the role is not under the new keys' key: %+v, %v", e, err)
	}
	if n := len(src.asked()); n != 2 {
		t.Fatalf("asked for %d codes, want 2", n)
	}
}

// A cached session that STS refuses (revoked the way AWS revokes sessions,
// or unknown to STS) is dropped and fetched again once, at the MFA session
// and at a role in the middle of the chain, with one new code at most.
func TestRefusedCachedSessionsAreFetchedAgainOnce(t *testing.T) {
	e := startEmu(t)
	ctx := context.Background()
	kr := newKeyring(t, "alice", aliceKey, aliceSecret)
	store := newCache()
	src := e.totpSource(aliceSerial)
	chain := e.aliceChain(
		config.RoleHop{Profile: "admin", RoleARN: roleAdmin},
		config.RoleHop{Profile: "readonly", RoleARN: roleReadonly, Chained: true})
	run := func() creds.Credentials {
		t.Helper()
		c, err := creds.Retrieve(ctx, chain, e.deps(kr, store, src))
		if err != nil {
			t.Fatal(err)
		}
		if got := e.callerARN(t, c); !strings.Contains(got, "assumed-role/readonly/") {
			t.Fatalf("caller %s", got)
		}
		return c
	}
	keys, err := creds.StepKeys(ctx, chain, creds.Deps{KeyIDs: e.keyIDs})
	if err == nil {
		t.Fatal("StepKeys knew the keys before they were read")
	}
	run()
	if keys, err = creds.StepKeys(ctx, chain, creds.Deps{KeyIDs: e.keyIDs}); err != nil {
		t.Fatal(err)
	}
	sessionKey, adminKey, readonlyKey := keys[0], keys[1], keys[2]

	// The MFA session revoked (AccessDenied, explicit deny) while the roles
	// expired: one new code, one new session, both roles again.
	if n, err := e.srv.Revoke("arn:aws:iam::111111111111:user/alice", awsemu.RevokeDeny); err != nil || n != 1 {
		t.Fatalf("Revoke = %d, %v", n, err)
	}
	store.Delete(ctx, adminKey)
	store.Delete(ctx, readonlyKey)
	old, _ := store.Get(ctx, sessionKey)
	before := e.stats()
	run()
	after := e.stats()
	if d := after["GetSessionToken"] - before["GetSessionToken"]; d != 1 {
		t.Fatalf("%d new MFA sessions, want 1", d)
	}
	if d := after["AssumeRole"] - before["AssumeRole"]; d != 3 {
		t.Fatalf("%d AssumeRole calls, want 3 (refused, admin, readonly)", d)
	}
	if n := len(src.asked()); n != 2 {
		t.Fatalf("asked for %d codes in all, want 2", n)
	}
	if s, err := store.Get(ctx, sessionKey); err != nil || s.AccessKeyID == old.AccessKeyID {
		t.Fatalf("the refused session is still cached: %v", err)
	}

	// A role in the middle forgotten by STS (InvalidClientTokenId) while
	// the last one expired: the middle role again from the cached MFA
	// session, no code.
	if n, err := e.srv.Revoke(roleAdmin, awsemu.RevokeForget); err != nil || n == 0 {
		t.Fatalf("Revoke = %d, %v", n, err)
	}
	store.Delete(ctx, readonlyKey)
	before = e.stats()
	run()
	after = e.stats()
	if d := after["AssumeRole"] - before["AssumeRole"]; d != 3 {
		t.Fatalf("%d AssumeRole calls, want 3 (refused, admin, readonly)", d)
	}
	if after["GetSessionToken"] != before["GetSessionToken"] || len(src.asked()) != 2 {
		t.Fatal("a refused role cost a new MFA session")
	}
}

// Credentials fetched in this very run that STS then refuses are not
// fetched again: the refusal is not about a stale cache entry, and a second
// MFA session would cost a second code.
func TestFreshlyFetchedCallerIsNotFetchedAgain(t *testing.T) {
	e := startEmu(t)
	ctx := context.Background()
	kr := newKeyring(t, "alice", aliceKey, aliceSecret)
	store := newCache()
	// Every AssumeRole is refused as if the caller were revoked.
	src := e.totpSource(aliceSerial)
	deps := e.deps(kr, store, src)
	deps.HTTPClient = &http.Client{Transport: denyAssumeRole{}}
	_, err := creds.Retrieve(ctx, e.aliceChain(config.RoleHop{Profile: "admin", RoleARN: roleAdmin}), deps)
	var ae *creds.APIError
	if !errors.As(err, &ae) || ae.Code != "AccessDenied" {
		t.Fatalf("got %v, want AccessDenied", err)
	}
	if n := len(src.asked()); n != 1 {
		t.Fatalf("asked for %d codes, want 1", n)
	}
	if s := e.stats(); s["GetSessionToken"] != 1 {
		t.Fatalf("stats %v", s)
	}
}

// denyAssumeRole answers every AssumeRole with the explicit deny of a
// revoked session, and passes everything else on.
type denyAssumeRole struct{}

func (denyAssumeRole) RoundTrip(r *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	r.Body.Close()
	r.Body = io.NopCloser(strings.NewReader(string(b)))
	if !strings.Contains(string(b), "Action=AssumeRole&") {
		return http.DefaultTransport.RoundTrip(r)
	}
	msg := `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code>` +
		`<Message>User: x is not authorized to perform: sts:AssumeRole with an explicit deny in an identity-based policy</Message></Error><RequestId>1</RequestId></ErrorResponse>`
	return &http.Response{StatusCode: 403, Status: "403 Forbidden", Header: http.Header{"Content-Type": {"text/xml"}},
		Body: io.NopCloser(strings.NewReader(msg)), Request: r}, nil
}

package ssoprofiles

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sso"

	"github.com/kagi-cli/kagi/internal/awsemu"
)

const user = "alice@example.com"

// emuWorld is an Identity Center with accounts accounts, the first of
// which has manyRoles roles and the others one or two.
func emuWorld(accounts, manyRoles int) *awsemu.World {
	var as []awsemu.SSOAssignment
	for i := range accounts {
		id := fmt.Sprintf("%012d", 100000000000+i)
		n := 1 + i%2
		if i == 0 {
			n = manyRoles
		}
		for r := range n {
			as = append(as, awsemu.SSOAssignment{Account: id, AccountName: fmt.Sprintf("acct-%03d", i), Role: fmt.Sprintf("Role%02d", r)})
		}
	}
	return &awsemu.World{SSO: &awsemu.SSO{StartURL: "https://example.awsapps.com/start", Region: "eu-west-1",
		Users: []awsemu.SSOUser{{Name: user, Assignments: as}}}}
}

func startEmu(t *testing.T, w *awsemu.World) (*awsemu.Server, string) {
	t.Helper()
	srv := awsemu.New(w)
	url, stop, err := srv.Start(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return srv, url
}

// counting wraps the portal client and records the most ListAccountRoles
// calls in flight at once.
type counting struct {
	*sso.Client
	now, max atomic.Int32
}

func (c *counting) ListAccountRoles(ctx context.Context, in *sso.ListAccountRolesInput, opts ...func(*sso.Options)) (*sso.ListAccountRolesOutput, error) {
	n := c.now.Add(1)
	defer c.now.Add(-1)
	for {
		m := c.max.Load()
		if n <= m || c.max.CompareAndSwap(m, n) {
			break
		}
	}
	return c.Client.ListAccountRoles(ctx, in, opts...)
}

// TestListPagesThroughAccountsAndRoles: 45 accounts (three pages of the
// portal's) and 25 roles in one account (two pages), listed with at most
// four calls at a time.
func TestListPagesThroughAccountsAndRoles(t *testing.T) {
	srv, url := startEmu(t, emuWorld(45, 25))
	if err := srv.SetFaults(awsemu.Faults{LatencyMS: 5}); err != nil {
		t.Fatal(err)
	}
	token, err := srv.MintSSOToken(user, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	api := &counting{Client: NewClient("eu-west-1", url, nil)}
	got, err := List(t.Context(), api, token, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := 25
	for i := 1; i < 45; i++ {
		want += 1 + i%2
	}
	if len(got) != want {
		t.Fatalf("%d roles, want %d", len(got), want)
	}
	if got[0] != (Assignment{"100000000000", "acct-000", "Role00"}) || got[24].RoleName != "Role24" || got[len(got)-1].AccountName != "acct-044" {
		t.Errorf("order: first %v, 25th %v, last %v", got[0], got[24], got[len(got)-1])
	}
	stats := srv.Stats()
	if stats["ListAccounts"] != 3 || stats["ListAccountRoles"] != 46 {
		t.Errorf("calls: %v, want 3 ListAccounts and 46 ListAccountRoles", stats)
	}
	if m := api.max.Load(); m > 4 || m < 2 {
		t.Errorf("at most %d ListAccountRoles at once, want 2..4", m)
	}
}

// TestListWaitsOutThrottling: the portal answers TooManyRequestsException
// past 10 calls a second; every role is still listed, after backing off.
func TestListWaitsOutThrottling(t *testing.T) {
	srv, url := startEmu(t, emuWorld(40, 1))
	if err := srv.SetFaults(awsemu.Faults{ThrottleTPS: 10, Actions: []string{"ListAccountRoles"}}); err != nil {
		t.Fatal(err)
	}
	token, err := srv.MintSSOToken(user, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	got, err := List(t.Context(), NewClient("eu-west-1", url, nil), token, 8)
	if err != nil {
		t.Fatal(err)
	}
	if want := 1 + 39 + 20; len(got) != want { // account 0: one role; 1..39: one or two
		t.Fatalf("%d roles, want %d", len(got), want)
	}
	throttled := 0
	for _, r := range srv.Requests() {
		if r.Action == "ListAccountRoles" && r.Code == "TooManyRequestsException" {
			throttled++
		}
	}
	if throttled == 0 {
		t.Errorf("no call was throttled: the test proves nothing (requests %d)", len(srv.Requests()))
	}
}

func TestListUnauthorized(t *testing.T) {
	_, url := startEmu(t, emuWorld(1, 1))
	_, err := List(t.Context(), NewClient("eu-west-1", url, nil), "not-a-token", 0)
	var ue *UnauthorizedError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want an UnauthorizedError", err)
	}
}

// TestListNeverReturnsPart: one account's roles fail for good (every call
// a 500 after the listing of accounts): the listing fails as a whole.
func TestListNeverReturnsPart(t *testing.T) {
	srv, url := startEmu(t, emuWorld(5, 1))
	if err := srv.SetFaults(awsemu.Faults{ErrorRate: 1, Actions: []string{"ListAccountRoles"}}); err != nil {
		t.Fatal(err)
	}
	token, _ := srv.MintSSOToken(user, time.Hour)
	noWait := retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	got, err := List(t.Context(), newClient("eu-west-1", url, nil, noWait), token, 2)
	if err == nil || got != nil {
		t.Fatalf("got %d roles, err %v; want an error and nothing", len(got), err)
	}
}

func TestEndpoint(t *testing.T) {
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, ""},
		{map[string]string{"AWS_ENDPOINT_URL": "http://a"}, "http://a"},
		{map[string]string{"AWS_ENDPOINT_URL": "http://a", "AWS_ENDPOINT_URL_SSO": "http://b"}, "http://b"},
		{map[string]string{"AWS_ENDPOINT_URL_SSO": "http://b", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, ""},
	} {
		if got := Endpoint(env(c.env)); got != c.want {
			t.Errorf("Endpoint(%v) = %q, want %q", c.env, got, c.want)
		}
	}
}

package creds

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/kagi-cli/kagi/internal/config"
)

func baseChain() *config.Chain {
	return &config.Chain{
		Profile: "work",
		Source:  config.Source{Kind: config.KeyringKeys, Profile: "alice"},
		MFA:     &config.MFASession{Serial: "arn:aws:iam::111111111111:mfa/alice", Duration: 12 * time.Hour},
		Roles: []config.RoleHop{
			{Profile: "admin", RoleARN: "arn:aws:iam::222222222222:role/admin", SessionName: "s", ExternalID: "x",
				SourceIdentity: "si", Duration: time.Hour, Tags: map[string]string{"a": "1", "b": "2"}, TransitiveTags: []string{"a", "b"}},
			{Profile: "ro", RoleARN: "arn:aws:iam::333333333333:role/ro", Chained: true},
		},
		STSEndpoint: "http://127.0.0.1:1",
	}
}

// stamps is a KeyIDs in memory.
type stamps map[string]string

func (s stamps) KeyID(p string) (string, bool) { id, ok := s[p]; return id, ok }
func (s stamps) SetKeyID(p, id string) error   { s[p] = id; return nil }

// testStamps: alice and bob have keys of their own; alias stores alice's.
func testStamps() stamps {
	return stamps{"alice": "AKIAEXAMPLEALICE0001", "bob": "AKIAEXAMPLEBOB000001", "alias": "AKIAEXAMPLEALICE0001"}
}

func keysOf(t *testing.T, c *config.Chain) []string {
	t.Helper()
	return keysWith(t, c, testStamps())
}

func keysWith(t *testing.T, c *config.Chain, ids KeyIDs) []string {
	t.Helper()
	r := newRun(c, Deps{KeyIDs: ids})
	var out []string
	for i := -1; i < len(c.Roles); i++ {
		k, err := r.stepKey(context.Background(), i)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	return out
}

func TestCacheKeyChangesWithEveryInput(t *testing.T) {
	base := keysOf(t, baseChain())
	if again := keysOf(t, baseChain()); len(again) != len(base) || again[0] != base[0] || again[1] != base[1] || again[2] != base[2] {
		t.Fatal("the same chain gives different keys")
	}
	// Tag order in a map and transitive tag order do not matter.
	c := baseChain()
	c.Roles[0].TransitiveTags = []string{"b", "a"}
	if keysOf(t, c)[1] != base[1] {
		t.Fatal("transitive tag order changed the key")
	}
	// Each change affects the step it belongs to and every step after it.
	changes := []struct {
		name  string
		step  int // index into keys: 0 MFA session, 1 first role, 2 second
		apply func(*config.Chain)
	}{
		{"source profile", 0, func(c *config.Chain) { c.Source.Profile = "bob" }},
		{"source kind", 0, func(c *config.Chain) { c.Source.Kind = config.InstanceMetadata }},
		{"mfa serial", 0, func(c *config.Chain) { c.MFA.Serial = "arn:aws:iam::111111111111:mfa/other" }},
		{"mfa duration", 0, func(c *config.Chain) { c.MFA.Duration = time.Hour }},
		{"session without mfa", 0, func(c *config.Chain) { c.MFA.Serial = "" }},
		{"endpoint", 0, func(c *config.Chain) { c.STSEndpoint = "http://127.0.0.1:2" }},
		{"role arn", 1, func(c *config.Chain) { c.Roles[0].RoleARN = "arn:aws:iam::222222222222:role/other" }},
		{"session name", 1, func(c *config.Chain) { c.Roles[0].SessionName = "t" }},
		{"username session", 1, func(c *config.Chain) { c.Roles[0].SessionName, c.Roles[0].SessionNameIsUsername = "", true }},
		{"external id", 1, func(c *config.Chain) { c.Roles[0].ExternalID = "y" }},
		{"duration", 1, func(c *config.Chain) { c.Roles[0].Duration = 2 * time.Hour }},
		{"hop mfa serial", 1, func(c *config.Chain) { c.Roles[0].MFASerial = "arn:aws:iam::111111111111:mfa/alice" }},
		{"source identity", 1, func(c *config.Chain) { c.Roles[0].SourceIdentity = "other" }},
		{"tag value", 1, func(c *config.Chain) { c.Roles[0].Tags["a"] = "9" }},
		{"tag key", 1, func(c *config.Chain) { c.Roles[0].Tags = map[string]string{"a": "1", "c": "2"} }},
		{"transitive tags", 1, func(c *config.Chain) { c.Roles[0].TransitiveTags = []string{"a"} }},
		{"second role", 2, func(c *config.Chain) { c.Roles[1].RoleARN = "arn:aws:iam::333333333333:role/rw" }},
		{"second duration", 2, func(c *config.Chain) { c.Roles[1].Duration = 30 * time.Minute }},
	}
	for _, tc := range changes {
		t.Run(tc.name, func(t *testing.T) {
			c := baseChain()
			tc.apply(c)
			got := keysOf(t, c)
			for i := range got {
				if same := got[i] == base[i]; same != (i < tc.step) {
					t.Fatalf("step %d: key same=%v", i, same)
				}
			}
		})
	}
	// Without an MFA session the first role is keyed by the source itself.
	c = baseChain()
	c.MFA = nil
	if k := keysOf(t, c); k[1] == base[1] {
		t.Fatal("dropping the MFA session kept the role key")
	}
}

// Stored keys are keyed by their access key id, not by the profile's name:
// new keys under the same name change every step's key, and the same keys
// under another name share the entries.
func TestKeyringCacheKeyIsTheKeysIdentity(t *testing.T) {
	base := keysOf(t, baseChain())
	rotated := testStamps()
	rotated["alice"] = "AKIAEXAMPLEALICE0002"
	for i, k := range keysWith(t, baseChain(), rotated) {
		if k == base[i] {
			t.Fatalf("step %d: new keys under the same profile kept the key", i)
		}
	}
	c := baseChain()
	c.Source.Profile = "alias"
	for i, k := range keysOf(t, c) {
		if k != base[i] {
			t.Fatalf("step %d: the same keys under another profile name changed the key", i)
		}
	}
}

// StepKeys computes exactly Retrieve's keys, offline: for a source whose
// identity needs a secret, a helper or the keyring, it gives up rather
// than guess.
func TestStepKeysOffline(t *testing.T) {
	ctx := context.Background()
	helperRan := t.TempDir() + "/run-helper"
	c := baseChain()
	got, err := StepKeys(ctx, c, Deps{KeyIDs: testStamps()})
	if err != nil {
		t.Fatal(err)
	}
	if want := keysOf(t, c); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("StepKeys = %v, want Retrieve's %v", got, want)
	}
	// No MFA session: the roles only.
	c.MFA = nil
	if got, err := StepKeys(ctx, c, Deps{KeyIDs: testStamps()}); err != nil || len(got) != 2 {
		t.Fatalf("StepKeys without MFA = %v, %v", got, err)
	}
	// Nothing cached: no keys.
	c.Roles = nil
	if got, err := StepKeys(ctx, c, Deps{KeyIDs: testStamps()}); err != nil || len(got) != 0 {
		t.Fatalf("StepKeys of a bare source = %v, %v", got, err)
	}

	unknown := []struct {
		name string
		src  config.Source
		deps Deps
	}{
		// Not remembered: knowing the id would mean opening the keyring.
		{"keyring without a remembered id", config.Source{Kind: config.KeyringKeys, Profile: "carol"}, Deps{KeyIDs: testStamps()}},
		{"keyring without KeyIDs", config.Source{Kind: config.KeyringKeys, Profile: "alice"}, Deps{}},
		// A token file holds a secret; a token process is a helper that
		// must not be run (it would write a file named run-helper).
		{"web identity file", config.Source{Kind: config.WebIdentity, Profile: "w", WebIdentityTokenFile: "/nonexistent/token"}, Deps{}},
		{"web identity process", config.Source{Kind: config.WebIdentity, Profile: "w", WebIdentityTokenProcess: "touch " + helperRan}, Deps{}},
		{"environment without keys", config.Source{Kind: config.Environment}, Deps{Env: config.MapEnv(nil)}},
	}
	for _, tc := range unknown {
		t.Run(tc.name, func(t *testing.T) {
			c := baseChain()
			c.Source = tc.src
			if got, err := StepKeys(ctx, c, tc.deps); !errors.Is(err, ErrIdentityUnknown) {
				t.Fatalf("StepKeys = %v, %v; want ErrIdentityUnknown", got, err)
			}
		})
	}
	if _, err := os.Stat(helperRan); err == nil {
		t.Fatal("StepKeys ran web_identity_token_process")
	}
	// The environment's key id is public: it is known without the secret.
	c = baseChain()
	c.Source = config.Source{Kind: config.Environment}
	env := config.MapEnv(map[string]string{"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEENV000001"})
	got, err = StepKeys(ctx, c, Deps{Env: env})
	if err != nil || len(got) != 3 {
		t.Fatalf("StepKeys of environment keys = %v, %v", got, err)
	}
	env = config.MapEnv(map[string]string{"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEENV000001", "AWS_SECRET_ACCESS_KEY": "env-secret-for-tests"})
	if fmt.Sprint(got) != fmt.Sprint(keysEnv(t, c, env)) {
		t.Fatalf("StepKeys of environment keys = %v, want Retrieve's %v", got, keysEnv(t, c, env))
	}
}

func keysEnv(t *testing.T, c *config.Chain, env config.Env) []string {
	t.Helper()
	r := newRun(c, Deps{Env: env})
	var out []string
	for i := -1; i < len(c.Roles); i++ {
		k, err := r.stepKey(context.Background(), i)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	return out
}

func TestCacheKeyDoesNotDependOnRegion(t *testing.T) {
	a, b := baseChain(), baseChain()
	b.Region = "eu-west-1"
	if keysOf(t, a)[2] != keysOf(t, b)[2] {
		t.Fatal("--region would cost a new MFA code")
	}
}

func TestUsernameOf(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:iam::111111111111:user/alice":               "alice",
		"arn:aws:iam::111111111111:user/team/ops/bob":        "bob",
		"arn:aws:sts::222222222222:assumed-role/admin/carol": "carol",
		"arn:aws:sts::222222222222:federated-user/dave":      "dave",
		"arn:aws-cn:iam::111111111111:user/erin":             "erin",
		"arn:aws:iam::111111111111:root":                     "",
		"not an arn":                                         "",
	} {
		got, ok := usernameOf(arn)
		if got != want || ok != (want != "") {
			t.Errorf("usernameOf(%q) = %q, %v; want %q", arn, got, ok, want)
		}
	}
}

func TestRefusedSession(t *testing.T) {
	for _, tc := range []struct {
		code, msg string
		want      bool
	}{
		{"ExpiredToken", "The security token included in the request is expired", true},
		{"InvalidClientTokenId", "The security token included in the request is invalid", true},
		{"AccessDenied", "User: arn:aws:sts::1:assumed-role/a/s is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::2:role/b with an explicit deny in an identity-based policy", true},
		// The role's trust or an SCP refuses: a new session would not help.
		{"AccessDenied", "User: arn:aws:iam::1:user/u is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::2:role/b", false},
		{"AccessDenied", "User: u is not authorized to perform: sts:AssumeRole on resource: r with an explicit deny in a resource-based policy", false},
		{"AccessDenied", "User: u is not authorized to perform: sts:AssumeRole on resource: r with an explicit deny in a service control policy", false},
		{"ValidationError", "1 validation error", false},
	} {
		err := &smithy.GenericAPIError{Code: tc.code, Message: tc.msg}
		if got := refusedSession(err); got != tc.want {
			t.Errorf("refusedSession(%s: %s) = %v", tc.code, tc.msg, got)
		}
	}
}

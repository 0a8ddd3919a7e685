package creds

import (
	"context"
	"testing"
	"time"

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

func keysOf(t *testing.T, c *config.Chain) []string {
	t.Helper()
	r := newRun(c, Deps{})
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

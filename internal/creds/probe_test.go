package creds_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/awsemu"
	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/creds"
)

// ServerTime reads STS's Date from an unsigned request: no credentials,
// and the emulator's clock (offset as a wrong local clock would see it).
func TestServerTimeReadsSTSDate(t *testing.T) {
	e := startEmu(t)
	if err := e.srv.SetFaults(awsemu.Faults{ClockOffsetSeconds: -7200}); err != nil {
		t.Fatal(err)
	}
	chain := &config.Chain{STSEndpoint: e.url}
	ep, local, server, err := creds.ServerTime(context.Background(), chain, &http.Client{Timeout: 10 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ep, e.url) {
		t.Errorf("endpoint %q, want %q", ep, e.url)
	}
	if skew := local.Sub(server); skew < 2*time.Hour-2*time.Second || skew > 2*time.Hour+2*time.Second {
		t.Errorf("skew %s, want 2h", skew)
	}
	if got := e.stats()["GetCallerIdentity"]; got != 1 {
		t.Errorf("GetCallerIdentity calls: %d", got)
	}
	if _, _, _, err := creds.ServerTime(context.Background(), &config.Chain{STSEndpoint: "http://127.0.0.1:1"}, nil, nil); err == nil {
		t.Error("no error from a closed port")
	}
}

// SourceKeyAge asks IAM with the source's own keys (keyring or file) for
// their CreateDate, and refuses a chain that does not start from keys.
func TestSourceKeyAge(t *testing.T) {
	e := startEmu(t)
	kr := newKeyring(t, "alice", aliceKey, aliceSecret)
	deps := e.deps(kr, nil, nil)
	chain := &config.Chain{Profile: "work", Source: config.Source{Kind: config.KeyringKeys, Profile: "alice"}, STSEndpoint: e.url}
	id, created, err := creds.SourceKeyAge(context.Background(), chain, deps)
	if err != nil {
		t.Fatal(err)
	}
	if id != aliceKey || time.Since(created) > time.Hour || time.Since(created) < -time.Hour {
		t.Errorf("SourceKeyAge = %s, %s", id, created)
	}
	if e.stats()["ListAccessKeys"] != 1 {
		t.Errorf("stats: %v", e.stats())
	}
	_, _, err = creds.SourceKeyAge(context.Background(), &config.Chain{Source: config.Source{Kind: config.Environment}}, deps)
	if err == nil {
		t.Error("an environment source has no long-term key to date")
	}
	noSecrets(t, err, aliceSecret)
}

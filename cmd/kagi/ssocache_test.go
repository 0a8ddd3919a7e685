package main

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdSSOCache writes a token of the script's emulator into the AWS CLI v2's
// token cache, as `aws sso login` leaves it:
//
//	ssocache NAME USER [TTL]
//
// NAME is the sso-session name (or, for a legacy profile, the start URL)
// whose sha1 names $HOME/.aws/sso/cache/<sha1>.json; USER an Identity Center
// user of the world. The token is good for TTL (default 1h); a negative TTL
// writes one that expired that long ago.
func cmdSSOCache(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: ssocache NAME USER [TTL]")
	}
	slot, _ := ts.Value(emuKey{}).(*emuSlot)
	if slot == nil || slot.srv == nil {
		ts.Fatalf("ssocache: no emulator; run 'awsemu start WORLD' first")
	}
	ttl := time.Hour
	if len(args) == 3 {
		var err error
		ttl, err = time.ParseDuration(args[2])
		ts.Check(err)
	}
	tok, err := slot.srv.MintSSOToken(args[1], max(ttl, time.Minute))
	ts.Check(err)
	sum := sha1.Sum([]byte(args[0]))
	dir := filepath.Join(ts.Getenv("HOME"), ".aws", "sso", "cache")
	ts.Check(os.MkdirAll(dir, 0o700))
	data, err := json.Marshal(map[string]string{
		"startUrl":    "https://example.awsapps.com/start",
		"region":      "us-east-1",
		"accessToken": tok,
		"expiresAt":   time.Now().Add(ttl).UTC().Format(time.RFC3339),
	})
	ts.Check(err)
	ts.Check(os.WriteFile(filepath.Join(dir, hex.EncodeToString(sum[:])+".json"), data, 0o600))
}

package main

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdSSOCache puts an Identity Center access token where the AWS CLI v2
// caches it, as `aws sso login` leaves it, for scripts that need a signed-in
// user without a browser:
//
//	ssocache SESSION|START_URL USER [TTL]
//
// SESSION is an [sso-session] name (cache file sha1(SESSION).json), or a
// legacy profile's start URL (sha1(START_URL).json). The token is minted by
// the script's emulator for USER, valid for TTL (default 1h); a negative
// TTL writes a token that expired that long ago (never accepted).
func cmdSSOCache(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: ssocache SESSION|START_URL USER [TTL]")
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
	token := "expired-" + strings.Repeat("x", 32)
	if ttl > 0 {
		var err error
		token, err = slot.srv.MintSSOToken(args[1], ttl)
		ts.Check(err)
	}
	entry := map[string]string{
		"accessToken": token,
		"expiresAt":   time.Now().Add(ttl).UTC().Format(time.RFC3339),
		"region":      "us-east-1",
	}
	if strings.Contains(args[0], "://") {
		entry["startUrl"] = args[0]
	}
	sum := sha1.Sum([]byte(args[0]))
	dir := filepath.Join(ts.Getenv("HOME"), ".aws", "sso", "cache")
	ts.Check(os.MkdirAll(dir, 0o700))
	data, err := json.Marshal(entry)
	ts.Check(err)
	ts.Check(os.WriteFile(filepath.Join(dir, hex.EncodeToString(sum[:])+".json"), data, 0o600))
}

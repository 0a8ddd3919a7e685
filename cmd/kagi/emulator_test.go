package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/kagi-cli/kagi/internal/awsemu"
)

// defaultWorld is the world most scripts share: a jump user with MFA in
// 111111111111, roles in three more accounts with the trust rules users
// meet (MFA, chaining, ${aws:username}, external id), and a CI user.
const defaultWorld = "testdata/world.json"

// emuKey is where a script keeps its emulator (testscript Values are per script).
type emuKey struct{}

// emuSlot holds the emulator a script started, if any.
type emuSlot struct{ srv *awsemu.Server }

// cmdAWSEmu drives the script's own in-process emulator:
//
//	awsemu start [world.json]     start it (default: testdata/world.json);
//	                              sets AWS_ENDPOINT_URL and AWSEMU_URL
//	awsemu totp SERIAL VAR        set $VAR to a TOTP code of the device not used yet
//	awsemu stats                  print the per-action counters as JSON
//	awsemu faults '{"error_rate":1}'  replace the fault settings
//	awsemu requests ACTION        print the log entries of ACTION, one JSON line each
//	awsemu token ISSUER SUBJECT FILE [TTL]
//	                              write a web identity token signed by ISSUER
//	                              to FILE, valid for TTL (default 1h; negative:
//	                              expired that long ago)
//	awsemu revoke ARN deny|forget end the temporary credentials issued so far
//	                              to a user (its MFA sessions) or a role: an
//	                              explicit deny as AWS revokes sessions, or
//	                              forgotten (InvalidClientTokenId)
func cmdAWSEmu(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: awsemu start|totp|stats|faults|requests|token|revoke ...")
	}
	slot, _ := ts.Value(emuKey{}).(*emuSlot)
	if slot == nil {
		ts.Fatalf("awsemu: harness not set up")
	}
	if args[0] != "start" && slot.srv == nil {
		ts.Fatalf("awsemu %s: no emulator; run 'awsemu start WORLD' first", args[0])
	}
	switch args[0] {
	case "start":
		if len(args) > 2 || slot.srv != nil {
			ts.Fatalf("usage: awsemu start [WORLD] (once per script)")
		}
		path := defaultWorld // relative to the package: tests run there
		if len(args) == 2 {
			path = ts.MkAbs(args[1])
		}
		world, err := awsemu.LoadWorld(path)
		ts.Check(err)
		srv := awsemu.New(world)
		url, stop, err := srv.Start(context.Background(), "127.0.0.1:0")
		ts.Check(err)
		ts.Defer(stop)
		slot.srv = srv
		ts.Setenv("AWS_ENDPOINT_URL", url)
		ts.Setenv("AWSEMU_URL", url)
	case "totp":
		if len(args) != 3 {
			ts.Fatalf("usage: awsemu totp SERIAL VAR")
		}
		code, err := slot.srv.FreshTOTP(args[1])
		ts.Check(err)
		ts.Setenv(args[2], code)
	case "stats":
		out, err := json.Marshal(slot.srv.Stats()) // map keys come out sorted
		ts.Check(err)
		fmt.Fprintf(ts.Stdout(), "%s\n", out)
	case "faults":
		if len(args) != 2 {
			ts.Fatalf("usage: awsemu faults JSON")
		}
		var f awsemu.Faults
		ts.Check(json.Unmarshal([]byte(args[1]), &f))
		ts.Check(slot.srv.SetFaults(f))
	case "requests":
		if len(args) != 2 {
			ts.Fatalf("usage: awsemu requests ACTION")
		}
		for _, r := range slot.srv.Requests() {
			if r.Action != args[1] {
				continue
			}
			r.Time = time.Time{} // stable lines for matching
			out, err := json.Marshal(r)
			ts.Check(err)
			fmt.Fprintf(ts.Stdout(), "%s\n", out)
		}
	case "token":
		if len(args) != 4 && len(args) != 5 {
			ts.Fatalf("usage: awsemu token ISSUER SUBJECT FILE [TTL]")
		}
		ttl := time.Hour
		if len(args) == 5 {
			var err error
			ttl, err = time.ParseDuration(args[4])
			ts.Check(err)
		}
		c := awsemu.TokenClaims{Subject: args[2]}
		if ttl < 0 {
			c.IssuedAt = time.Now().Add(2 * ttl)
		}
		c.Expires = time.Now().Add(ttl)
		token, err := slot.srv.MintToken(args[1], c)
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(args[3]), []byte(token+"\n"), 0o600))
	case "revoke":
		if len(args) != 3 {
			ts.Fatalf("usage: awsemu revoke ARN deny|forget")
		}
		n, err := slot.srv.Revoke(args[1], args[2])
		ts.Check(err)
		if n == 0 {
			ts.Fatalf("awsemu revoke: %s has no temporary credentials", args[1])
		}
	default:
		ts.Fatalf("awsemu: unknown subcommand %q", args[0])
	}
}

package main

import (
	"fmt"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdIAMKeys prints the access key ids the script's emulator holds for a
// user, oldest first, on one line: what iam:ListAccessKeys lists, looked
// at from outside kagi. With VAR, $VAR is set to that line too.
//
//	iamkeys arn:aws:iam::111111111111:user/jumpuser [VAR]
func cmdIAMKeys(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: iamkeys USER_ARN [VAR]")
	}
	slot, _ := ts.Value(emuKey{}).(*emuSlot)
	if slot == nil || slot.srv == nil {
		ts.Fatalf("iamkeys: no emulator; run 'awsemu start WORLD' first")
	}
	ids, err := slot.srv.AccessKeyIDs(args[0])
	ts.Check(err)
	fmt.Fprintf(ts.Stdout(), "%s\n", strings.Join(ids, " "))
	if len(args) == 2 {
		ts.Setenv(args[1], strings.Join(ids, " "))
	}
}

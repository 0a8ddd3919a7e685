package main

import (
	"encoding/json"
	"fmt"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdJSONLines parses a file (typically a copy of stdout) as a JSON array
// and prints each element on a line of its own, compact, with object keys
// sorted, so a script can assert on parsed JSON with stdout patterns:
//
//	exec kagi doctor --json
//	cp stdout doctor.json
//	jsonlines doctor.json
//	stdout '^\{"check":"profile","fix":"kagi add ci",'
//
// Anything but a JSON array fails the script.
func cmdJSONLines(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: jsonlines FILE")
	}
	var items []any
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &items); err != nil {
		ts.Fatalf("jsonlines: %s is not a JSON array: %v", args[0], err)
	}
	for _, it := range items {
		out, err := json.Marshal(it) // maps marshal with sorted keys
		ts.Check(err)
		fmt.Fprintf(ts.Stdout(), "%s\n", out)
	}
}

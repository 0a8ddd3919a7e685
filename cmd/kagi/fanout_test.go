package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdFanout starts N copies of a program at once, as make -j, Ansible forks
// or a Terraform run with many providers do, and waits for all of them
// within a deadline (killing what is left when it passes, and failing):
//
//	fanout 50 30s kagi credential-process work
//
// It prints one group per distinct outcome, largest first: "COUNT exit CODE"
// and then the group's stderr, each line indented by two spaces; and it logs
// the wall time.
func cmdFanout(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: fanout N DEADLINE PROGRAM [ARGS...]")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 1 {
		ts.Fatalf("fanout: %q is not a count", args[0])
	}
	deadline, err := time.ParseDuration(args[1])
	if err != nil {
		ts.Fatalf("fanout: %v", err)
	}
	// As testscript's exec does: the program from the script's PATH, in its
	// environment (which testscript does not export: ask env(1) for it)
	// and directory.
	ts.Check(ts.Exec("env"))
	var env []string
	for _, kv := range strings.Split(ts.ReadFile("stdout"), "\n") {
		if name, _, ok := strings.Cut(kv, "="); ok && name != "" && !strings.ContainsAny(name, " \t") {
			env = append(env, kv)
		}
	}
	prog := args[2]
	if !strings.Contains(prog, "/") {
		for _, dir := range strings.Split(ts.Getenv("PATH"), ":") {
			if fi, err := os.Stat(dir + "/" + prog); dir != "" && err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
				prog = dir + "/" + prog
				break
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	type result struct {
		code   int
		stderr string
	}
	results := make([]result, n)
	cmds := make([]*exec.Cmd, n)
	for i := range cmds {
		cmd := exec.CommandContext(ctx, prog, args[3:]...)
		cmd.Env = env
		cmd.Dir = ts.MkAbs(".")
		cmd.Stdout = &bytes.Buffer{}
		cmd.Stderr = &bytes.Buffer{}
		cmd.WaitDelay = time.Second
		cmds[i] = cmd
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i, cmd := range cmds {
		if err := cmd.Start(); err != nil {
			ts.Fatalf("fanout: %v", err)
		}
		wg.Go(func() {
			err := cmd.Wait()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				code = -1
			}
			results[i] = result{code, cmd.Stderr.(*bytes.Buffer).String()}
		})
	}
	wg.Wait()
	took := time.Since(start)
	ts.Logf("fanout: %d processes of %s ended in %s", n, args[2], took.Round(time.Millisecond))
	if ctx.Err() != nil {
		ts.Fatalf("fanout: %d processes did not all end within %s", n, deadline)
	}
	groups := map[result]int{}
	for _, r := range results {
		groups[r]++
	}
	keys := make([]result, 0, len(groups))
	for r := range groups {
		keys = append(keys, r)
	}
	sort.Slice(keys, func(i, j int) bool { return groups[keys[i]] > groups[keys[j]] })
	var out strings.Builder
	for _, r := range keys {
		fmt.Fprintf(&out, "%d exit %d\n", groups[r], r.code)
		for _, line := range strings.Split(strings.TrimRight(r.stderr, "\n"), "\n") {
			fmt.Fprintf(&out, "  %s\n", line)
		}
	}
	fmt.Fprint(ts.Stdout(), out.String())
}

//go:build !windows

package sso

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMacOpenerKeepsTheURLOutOfArgv: on macOS the URL goes to osascript
// on stdin (`open location "..."`), never in a command line other local
// users can read; when osascript fails, `open URL` is the fallback. Run
// here with stand-ins for both on PATH that record what they were given.
func TestMacOpenerKeepsTheURLOutOfArgv(t *testing.T) {
	const u = `http://127.0.0.1:4242/abc?x="q"\z`
	for _, c := range []struct {
		name, osascriptExit string
		wantOpen            bool
	}{
		{"osascript", "0", false},
		{"osascript fails, then open", "1", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			log := filepath.Join(dir, "log")
			write := func(name, body string) {
				if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body), 0o700); err != nil {
					t.Fatal(err)
				}
			}
			write("osascript", `echo "osascript argv: $*" >> '`+log+`'; printf 'osascript stdin: %s\n' "$(/bin/cat)" >> '`+log+`'; exit `+c.osascriptExit+"\n")
			write("open", `echo "open argv: $*" >> '`+log+`'`+"\n")
			t.Setenv("PATH", dir)
			b := Browser{Env: func(string) (string, bool) { return "", false }, GOOS: "darwin"}
			if err := b.Open(context.Background(), u); err != nil {
				t.Fatal(err)
			}
			got := ""
			for i := 0; i < 200; i++ { // open, if started, is not waited for
				data, _ := os.ReadFile(log)
				if got = string(data); !c.wantOpen || strings.Contains(got, "open argv") {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			want := "osascript argv: -\nosascript stdin: open location \"http://127.0.0.1:4242/abc?x=\\\"q\\\"\\\\z\"\n"
			if c.wantOpen {
				want += "open argv: " + u + "\n"
			}
			if got != want {
				t.Errorf("the openers got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

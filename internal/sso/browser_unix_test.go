//go:build !windows

package sso

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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
			if _, err := b.Open(context.Background(), u); err != nil {
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

// An opener that starts and then fails is reported on Open's channel with
// its name and status only (its output could echo the URL and is never
// read); one that exits 0 reports nothing.
func TestBrowserOpenReportsAFailedOpener(t *testing.T) {
	if _, err := lookPathSh(); err != nil {
		t.Skip("no /bin/sh")
	}
	dir := t.TempDir()
	fails, ok := dir+"/fails.sh", dir+"/ok.sh"
	writeExec(t, fails, "#!/bin/sh\necho \"cannot open $1\"; echo \"cannot open $1\" >&2; exit 3\n")
	writeExec(t, ok, "#!/bin/sh\necho $$ > "+dir+"/pid\nexit 0\n")
	b := Browser{Env: func(k string) (string, bool) { return fails, k == "BROWSER" }}
	start := time.Now()
	failed, err := b.Open(context.Background(), "http://127.0.0.1:1/secret-path")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-failed:
		var oe *OpenerError
		if !errors.As(err, &oe) || err.Error() != `the browser opener "`+fails+`" failed (exit status 3)` {
			t.Fatalf("failed: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no failure reported")
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("took %s", took)
	}

	b = Browser{Env: func(k string) (string, bool) { return ok, k == "BROWSER" }}
	failed, err = b.Open(context.Background(), "http://127.0.0.1:1/secret-path")
	if err != nil || failed == nil {
		t.Fatal(failed, err)
	}
	// Once it is gone and reaped, nothing has been reported.
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, _ := readFile(dir + "/pid")
		pid, _ := strconv.Atoi(strings.TrimSpace(data))
		if pid > 0 && syscall.Kill(pid, 0) == syscall.ESRCH {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the opener did not end")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-failed:
		t.Fatalf("an opener that exited 0 was reported: %v", err)
	default:
	}
}

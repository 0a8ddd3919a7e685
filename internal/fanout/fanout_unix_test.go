//go:build unix

package fanout

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/prompt"
)

func shell(script string) func(context.Context, string) (*exec.Cmd, error) {
	return func(_ context.Context, name string) (*exec.Cmd, error) {
		cmd := exec.Command("/bin/sh", "-c", script)
		cmd.Env = []string{"NAME=" + name}
		return cmd, nil
	}
}

func TestRunPrefixesAndSumsUp(t *testing.T) {
	var out, errw bytes.Buffer
	results, interrupted := Run(t.Context(), Options{
		Names:    []string{"a", "b", "c"},
		Parallel: 2,
		Console:  NewConsole(&out, &errw, false, false),
		Command: func(ctx context.Context, name string) (*exec.Cmd, error) {
			if name == "c" {
				return nil, errors.New("no credentials for c")
			}
			return shell(`echo "hi $NAME"; echo "oops $NAME" >&2; printf tail; [ "$NAME" = a ] || exit 3`)(ctx, name)
		},
		GOOS:    runtime.GOOS,
		Signals: make(chan os.Signal),
	})
	if interrupted {
		t.Error("interrupted")
	}
	got := strings.Split(strings.TrimSpace(out.String()), "\n")
	sort.Strings(got)
	want := []string{"a | hi a", "a | oops a", "a | tail", "b | hi b", "b | oops b", "b | tail"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("stdout lines %q, want %q", got, want)
	}
	if errw.Len() != 0 {
		t.Errorf("stderr %q, want nothing in a pipe", errw.String())
	}
	if results[0].ExitCode != 0 || results[1].ExitCode != 3 || results[2].ExitCode != -1 || results[2].Error != "no credentials for c" || results[2].Skipped {
		t.Errorf("results %+v", results)
	}
	var sum bytes.Buffer
	WriteSummary(&sum, results)
	if !strings.Contains(sum.String(), "no credentials for c") || !strings.Contains(sum.String(), "PROFILE") {
		t.Errorf("summary:\n%s", sum.String())
	}
}

func TestRunToErrAndOutputDir(t *testing.T) {
	var out, errw bytes.Buffer
	Run(t.Context(), Options{Names: []string{"a"}, Parallel: 1, ToErr: true, Console: NewConsole(&out, &errw, false, false),
		Command: shell(`echo hi`), GOOS: runtime.GOOS, Signals: make(chan os.Signal)})
	if out.Len() != 0 || errw.String() != "a | hi\n" {
		t.Errorf("ToErr: stdout %q, stderr %q", out.String(), errw.String())
	}
	dir := t.TempDir()
	out.Reset()
	Run(t.Context(), Options{Names: []string{"team/a"}, Parallel: 1, OutputDir: dir, Console: NewConsole(&out, &errw, false, false),
		Command: shell(`echo hi`), GOOS: runtime.GOOS, Signals: make(chan os.Signal)})
	data, err := os.ReadFile(filepath.Join(dir, "team_a.log"))
	if err != nil || string(data) != "hi\n" || out.Len() != 0 {
		t.Errorf("log %q, %v; stdout %q", data, err, out.String())
	}
	if fi, err := os.Stat(filepath.Join(dir, "team_a.log")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("log mode: %v %v", fi, err)
	}
}

func TestRunFailFastSkipsTheRest(t *testing.T) {
	results, _ := Run(t.Context(), Options{Names: []string{"a", "b", "c"}, Parallel: 1, FailFast: true,
		Console: NewConsole(&bytes.Buffer{}, &bytes.Buffer{}, false, false),
		Command: shell(`exit 1`), GOOS: runtime.GOOS, Signals: make(chan os.Signal)})
	if results[0].ExitCode != 1 || !results[1].Skipped || !results[2].Skipped {
		t.Errorf("results %+v", results)
	}
}

// A signal stops the launching and reaches each running child's process
// group (not at a terminal), so what the child started gets it too.
func TestRunPassesSignalsToChildGroups(t *testing.T) {
	sigs := make(chan os.Signal, 1)
	dir := t.TempDir()
	var started atomic.Int32
	done := make(chan []Result, 1)
	go func() {
		r, interrupted := Run(t.Context(), Options{Names: []string{"a", "b", "c"}, Parallel: 2,
			Console: NewConsole(&bytes.Buffer{}, &bytes.Buffer{}, false, false),
			Command: func(ctx context.Context, name string) (*exec.Cmd, error) {
				started.Add(1)
				// The grandchild (sleep) must be stopped too: a trap-less sh
				// waits for it.
				return exec.Command("/bin/sh", "-c", `touch "$0"; sleep 60; exit 0`, filepath.Join(dir, name)), nil
			},
			GOOS: runtime.GOOS, TTY: false, Signals: sigs})
		if !interrupted {
			t.Error("not interrupted")
		}
		done <- r
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, errA := os.Stat(filepath.Join(dir, "a"))
		b, errB := os.Stat(filepath.Join(dir, "b"))
		if a != nil && b != nil && errA == nil && errB == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("children never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	sigs <- syscall.SIGTERM
	select {
	case r := <-done:
		if r[0].ExitCode != 128+int(syscall.SIGTERM) || r[1].ExitCode != 128+int(syscall.SIGTERM) || !r[2].Skipped {
			t.Errorf("results %+v", r)
		}
		if started.Load() != 2 {
			t.Errorf("%d runs started, want 2", started.Load())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("children still running after SIGTERM")
	}
}

// A prompt asked by one run (prompt.PauseOutput, as the MFA and passphrase
// prompts call it) holds the other runs' lines until it is answered.
func TestRunPromptPausesOtherRunsOutput(t *testing.T) {
	var scr screen
	c := NewConsole(&scr, &scr, true, true)
	asking := make(chan struct{})
	answer := make(chan struct{})
	ctx := prompt.WithPause(t.Context(), c.Pause)
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(ctx, Options{Names: []string{"asks", "talks"}, Parallel: 2, Console: c,
			Command: func(ctx context.Context, name string) (*exec.Cmd, error) {
				if name == "asks" {
					resume := prompt.PauseOutput(ctx)
					scr.Write([]byte("Passphrase: "))
					close(asking)
					<-answer
					scr.Write([]byte("\n"))
					resume()
					return exec.Command("/bin/sh", "-c", "echo asked"), nil
				}
				<-asking
				return exec.Command("/bin/sh", "-c", "echo talking"), nil
			},
			GOOS: runtime.GOOS, Signals: make(chan os.Signal)})
	}()
	<-asking
	// "talks" runs and finishes while the question waits for its answer;
	// poll until its result is in (the progress line would say so).
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(c.statusText(), "1/2") {
		if time.Now().After(deadline) {
			t.Fatal("the other run never finished")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if lines, cur := scr.lines(); len(lines) != 0 || cur != "Passphrase: " {
		t.Fatalf("during the prompt the screen shows %q + %q, want the question alone (raw %q)", lines, cur, scr.String())
	}
	close(answer)
	<-done
	lines, cur := scr.lines()
	if len(lines) != 3 || lines[0] != "Passphrase: " || cur != "" {
		t.Errorf("screen %q + %q (raw %q)", lines, cur, scr.String())
	}
	if !strings.Contains(scr.String(), "talks | talking\n") || !strings.Contains(scr.String(), "asks | asked\n") {
		t.Errorf("screen %q", scr.String())
	}
}

// Package fanout runs one command in many named contexts (kagi exec
// --profiles: one per AWS profile) a few at a time: it schedules the runs,
// prefixes each output line with the run's name, passes signals on to the
// running children the way each system expects, keeps a progress line on a
// terminal, and sums the runs up. What a run's command is (its
// credentials and environment) is the caller's business.
package fanout

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/kagi-cli/kagi/internal/termtext"
)

// Options say what to run and how.
type Options struct {
	// Names are the runs, in the order they start and are summed up.
	Names []string
	// Parallel is how many run at once (at least 1).
	Parallel int
	// FailFast stops launching after the first run that fails.
	FailFast bool
	// OutputDir, when set, receives each run's output in NAME.log (0600)
	// instead of the console.
	OutputDir string
	// Console receives the runs' prefixed lines and the progress line.
	Console *Console
	// ToErr sends the runs' lines to stderr (stdout is kept for a summary
	// in JSON); else they go to stdout.
	ToErr bool
	// Command returns the command of one run, not started; its Stdout and
	// Stderr are set by Run. An error means the run does not start and is
	// reported in its result. It is called with a context that ends on the
	// first signal.
	Command func(ctx context.Context, name string) (*exec.Cmd, error)
	// GOOS is the system (runtime.GOOS), TTY whether kagi's stdin is a
	// terminal; together they choose what a signal does (Step).
	GOOS string
	TTY  bool
	// Signals delivers the signals to act on; nil: the process's own
	// (signal.Notify for Signals(GOOS)). Tests send their own.
	Signals <-chan os.Signal
}

// Result is one run, in the summary.
type Result struct {
	Profile  string  `json:"profile"`
	ExitCode int     `json:"exit_code"` // -1: the command did not run
	Seconds  float64 `json:"seconds"`
	Error    string  `json:"error,omitempty"`
	Skipped  bool    `json:"skipped,omitempty"` // not started: --fail-fast or interrupted
}

// Run runs every name's command, opts.Parallel at a time, and returns the
// results in the order of opts.Names, and whether a signal stopped it.
func Run(ctx context.Context, opts Options) (results []Result, interrupted bool) {
	parallel := max(opts.Parallel, 1)
	// Stop launching on the first signal; running children get it as Step
	// says (at a terminal they already got Ctrl-C from it).
	runCtx, stopLaunching := context.WithCancel(ctx)
	defer stopLaunching()
	children := &childSet{procs: map[*os.Process]bool{}, tty: opts.TTY, goos: opts.GOOS}
	sigs := opts.Signals
	if sigs == nil {
		ch := make(chan os.Signal, 4)
		signal.Notify(ch, Signals(opts.GOOS)...)
		defer signal.Stop(ch)
		sigs = ch
	}
	var stopped atomic.Bool
	sigDone := make(chan struct{})
	defer close(sigDone)
	go func() {
		n := 0
		for {
			select {
			case sig := <-sigs:
				n++
				stopped.Store(true)
				stopLaunching()
				children.signal(sig, n)
			case <-sigDone:
				return
			}
		}
	}()

	total := len(opts.Names)
	var mu sync.Mutex
	done, failed := 0, 0
	opts.Console.Status(progressText(0, total, 0))

	results = make([]Result, total)
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	var failedOnce sync.Once
	for i, name := range opts.Names {
		// Until it starts; those never started (--fail-fast, a signal)
		// stay so in the summary.
		results[i] = Result{Profile: name, ExitCode: -1, Skipped: true}
	}
	for i, name := range opts.Names {
		select {
		case sem <- struct{}{}:
		case <-runCtx.Done():
		}
		if runCtx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r := runOne(runCtx, name, opts, children)
			results[i] = r
			mu.Lock()
			done++
			if r.ExitCode != 0 {
				failed++
			}
			opts.Console.Status(progressText(done, total, failed))
			mu.Unlock()
			if r.ExitCode != 0 && opts.FailFast {
				failedOnce.Do(stopLaunching)
			}
		}()
	}
	wg.Wait()
	opts.Console.Close()
	return results, stopped.Load() || ctx.Err() != nil
}

func progressText(done, total, failed int) string {
	return fmt.Sprintf("kagi: %d/%d done, %d failed", done, total, failed)
}

// runOne runs name's command.
func runOne(ctx context.Context, name string, opts Options, children *childSet) Result {
	start := time.Now()
	r := Result{Profile: name, ExitCode: -1}
	finish := func(err error) Result {
		r.Seconds = time.Since(start).Seconds()
		if err != nil {
			r.Error = err.Error()
		}
		return r
	}
	cmd, err := opts.Command(ctx, name)
	if err != nil {
		return finish(err)
	}
	if OwnGroup(children.goos, children.tty) {
		ownGroup(cmd)
	}
	var closers []io.Closer
	if opts.OutputDir != "" {
		f, err := os.OpenFile(filepath.Join(opts.OutputDir, SafeFileName(name)+".log"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return finish(err)
		}
		closers = append(closers, f)
		cmd.Stdout, cmd.Stderr = f, f
	} else {
		// A run's stdout and stderr lines both go to one stream, as at a
		// terminal, each line whole.
		po := &lineWriter{c: opts.Console, toErr: opts.ToErr, prefix: termtext.Visible(name) + " | "}
		pe := &lineWriter{c: opts.Console, toErr: opts.ToErr, prefix: termtext.Visible(name) + " | "}
		cmd.Stdout, cmd.Stderr = po, pe
		closers = append(closers, po, pe)
	}
	if err := cmd.Start(); err != nil {
		for _, c := range closers {
			c.Close()
		}
		return finish(fmt.Errorf("cannot run %q: %w", cmd.Path, err))
	}
	children.add(cmd.Process)
	err = cmd.Wait()
	children.remove(cmd.Process)
	for _, c := range closers {
		c.Close()
	}
	if code, ok := ExitCode(err); ok {
		r.ExitCode = code
		return finish(nil)
	}
	return finish(err)
}

// ExitCode is the exit code of a command that ran and ended with err
// (cmd.Wait's): 128+N when it died of signal N, as shells report it; ok is
// false when the command did not run to an end.
func ExitCode(err error) (code int, ok bool) {
	if err == nil {
		return 0, true
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return 0, false
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), true
	}
	return ee.ExitCode(), true
}

// WriteSummary writes a table of results.
func WriteSummary(w io.Writer, results []Result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROFILE\tEXIT\tTIME\tERROR")
	for _, r := range results {
		code := fmt.Sprint(r.ExitCode)
		switch {
		case r.Skipped:
			code = "skipped"
		case r.ExitCode < 0:
			code = "-"
		}
		errText := r.Error
		if errText == "" {
			errText = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1fs\t%s\n", termtext.Visible(r.Profile), code, r.Seconds, termtext.Visible(errText))
	}
	tw.Flush()
}

// childSet tracks running children to pass signals on to.
type childSet struct {
	mu    sync.Mutex
	procs map[*os.Process]bool
	tty   bool
	goos  string
}

func (s *childSet) add(p *os.Process)    { s.mu.Lock(); s.procs[p] = true; s.mu.Unlock() }
func (s *childSet) remove(p *os.Process) { s.mu.Lock(); delete(s.procs, p); s.mu.Unlock() }

// signal passes sig, the n-th signal kagi got, on to every running child.
func (s *childSet) signal(sig os.Signal, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	act := Step(s.goos, sig, n, s.tty)
	for p := range s.procs {
		apply(act, p, sig)
	}
}

// SafeFileName keeps a name usable as a file name.
func SafeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 {
			return '_'
		}
		return r
	}, s)
}

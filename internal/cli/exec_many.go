package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/kagi-cli/kagi/internal/config"
)

// manyOptions are exec's flags for running one command in many profiles.
type manyOptions struct {
	Patterns  []string // --profiles: globs over profile names
	AllRoles  bool     // --all-roles: every profile that assumes a role
	Parallel  int
	OutputDir string
	FailFast  bool
	JSON      bool
	Command   []string
	Creds     credFlags
}

// manyResult is one profile's run, in the summary.
type manyResult struct {
	Profile  string  `json:"profile"`
	ExitCode int     `json:"exit_code"` // -1: the command did not run
	Seconds  float64 `json:"seconds"`
	Error    string  `json:"error,omitempty"`
	Skipped  bool    `json:"skipped,omitempty"` // not started: --fail-fast or interrupted
}

// selectProfiles returns the profiles the patterns (or --all-roles) name,
// sorted; a pattern that matches nothing is an error, so a typo never
// silently runs in fewer accounts than meant.
func selectProfiles(files *config.Files, env config.Env, opts manyOptions) ([]string, error) {
	names := files.ProfileNames()
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, p := range opts.Patterns {
		if _, err := path.Match(p, ""); err != nil {
			return nil, usageErrorf("--profiles: bad pattern %q: %v", p, err)
		}
		matched := false
		for _, n := range names {
			if ok, _ := path.Match(p, n); ok {
				add(n)
				matched = true
			}
		}
		if !matched {
			return nil, &hintError{err: fmt.Errorf("--profiles: %q matches no profile", p), hint: "'kagi list' shows the profiles"}
		}
	}
	if opts.AllRoles {
		for _, n := range names {
			if c, err := config.Resolve(files, config.Request{Profile: n, Env: env}); err == nil && len(c.Roles) > 0 {
				add(n)
			}
		}
		if len(out) == 0 {
			return nil, errors.New("--all-roles: no profile assumes a role")
		}
	}
	sort.Strings(out)
	return out, nil
}

// runExecMany runs the command once per selected profile, opts.Parallel at
// a time. Credentials come through the same cache and locks as every kagi
// call, so the first profile that needs the MFA session asks for the code
// once and the others wait for it, then reuse it.
func (a *app) runExecMany(ctx context.Context, opts manyOptions) error {
	if len(opts.Command) == 0 {
		return usageErrorf("with --profiles or --all-roles, give the command after --")
	}
	if opts.Parallel < 1 {
		return usageErrorf("--parallel must be at least 1")
	}
	files, err := config.Load(a.io.LookupEnv)
	if err != nil {
		return err
	}
	profiles, err := selectProfiles(files, a.io.LookupEnv, opts)
	if err != nil {
		return err
	}
	if opts.OutputDir != "" {
		if err := os.MkdirAll(opts.OutputDir, 0o700); err != nil {
			return err
		}
	}
	path, err := exec.LookPath(opts.Command[0])
	if err != nil {
		return fmt.Errorf("cannot run %q: %w", opts.Command[0], err)
	}
	argv := append([]string{path}, opts.Command[1:]...)

	// Stop launching on the first signal; running children get it as
	// manyStep says (at a terminal they already got Ctrl-C from it).
	runCtx, stopLaunching := context.WithCancel(ctx)
	defer stopLaunching()
	children := &childSet{procs: map[*os.Process]bool{}, tty: term.IsTerminal(int(os.Stdin.Fd())), goos: runtime.GOOS}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, manySignals(runtime.GOOS)...)
	defer signal.Stop(sigs)
	var interrupted atomic.Bool
	go func() {
		n := 0
		for sig := range sigs {
			n++
			interrupted.Store(true)
			stopLaunching()
			children.signal(sig, n)
		}
	}()

	progress := newProgress(a.io.Err, len(profiles), isTerminal(a.io.Err))
	// With --json, stdout is the summary alone: the runs' lines go to stderr.
	out := &lockedWriter{w: a.io.Out}
	if opts.JSON {
		out.w = a.io.Err
	}
	results := make([]manyResult, len(profiles))
	sem := make(chan struct{}, opts.Parallel)
	var wg sync.WaitGroup
	var failedOnce sync.Once
	for i, profile := range profiles {
		results[i] = manyResult{Profile: profile, ExitCode: -1, Skipped: true}
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
			r := a.runOne(runCtx, profile, argv, opts, out, children)
			results[i] = r
			progress.markDone(r.ExitCode != 0)
			if r.ExitCode != 0 && opts.FailFast {
				failedOnce.Do(stopLaunching)
			}
		}()
	}
	wg.Wait()
	progress.finish()

	if opts.JSON {
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			return err
		}
	} else {
		writeManySummary(a.io.Err, results)
	}
	failed := 0
	for _, r := range results {
		if r.ExitCode != 0 {
			failed++
		}
	}
	switch {
	case interrupted.Load():
		return &exitError{code: ExitInterrupted}
	case failed > 0:
		fmt.Fprintf(a.io.Err, "kagi: %d of %d profiles failed\n", failed, len(results))
		return &exitError{code: ExitError}
	}
	return nil
}

// runOne gets profile's credentials and runs the command with them.
func (a *app) runOne(ctx context.Context, profile string, argv []string, opts manyOptions, out io.Writer, children *childSet) manyResult {
	start := time.Now()
	r := manyResult{Profile: profile, ExitCode: -1}
	finish := func(err error) manyResult {
		r.Seconds = time.Since(start).Seconds()
		if err != nil {
			r.Error = err.Error()
		}
		return r
	}
	got, err := a.retrieve(ctx, profile, opts.Creds)
	if err != nil {
		return finish(err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = childEnv(a.environ(), got.Credentials, got.Chain.Region, profile)
	if manyOwnGroup(children.goos, children.tty) {
		ownGroup(cmd)
	}
	var stdout, stderr io.Writer
	var closers []io.Closer
	if opts.OutputDir != "" {
		f, err := os.OpenFile(filepath.Join(opts.OutputDir, safeFileName(profile)+".log"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return finish(err)
		}
		closers = append(closers, f)
		stdout, stderr = f, f
	} else {
		po := &prefixWriter{prefix: profile + " | ", w: out}
		pe := &prefixWriter{prefix: profile + " | ", w: out}
		stdout, stderr = po, pe
		closers = append(closers, po, pe)
	}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return finish(fmt.Errorf("cannot run %q: %w", argv[0], err))
	}
	children.add(cmd.Process)
	err = cmd.Wait()
	children.remove(cmd.Process)
	for _, c := range closers {
		c.Close()
	}
	var ee *exitError
	if err := childExit(err); errors.As(err, &ee) {
		r.ExitCode = ee.code
		return finish(nil)
	} else if err != nil {
		return finish(err)
	}
	r.ExitCode = 0
	return finish(nil)
}

func writeManySummary(w io.Writer, results []manyResult) {
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
		fmt.Fprintf(tw, "%s\t%s\t%.1fs\t%s\n", r.Profile, code, r.Seconds, orDash(r.Error))
	}
	tw.Flush()
}

// childSet tracks running children to pass signals on to.
type childSet struct {
	mu    sync.Mutex
	procs map[*os.Process]bool
	// tty: kagi runs at a terminal, whose Ctrl-C reaches the children
	// directly on Unix; goos: the system, for manyStep.
	tty  bool
	goos string
}

func (s *childSet) add(p *os.Process)    { s.mu.Lock(); s.procs[p] = true; s.mu.Unlock() }
func (s *childSet) remove(p *os.Process) { s.mu.Lock(); delete(s.procs, p); s.mu.Unlock() }

// signal passes sig, the n-th signal kagi got, on to every running child.
func (s *childSet) signal(sig os.Signal, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	act := manyStep(s.goos, sig, n, s.tty)
	for p := range s.procs {
		applyManyAction(act, p, sig)
	}
}

// lockedWriter serialises whole lines from many children.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// prefixWriter writes each complete line to w with prefix in front; Close
// flushes a last line without a newline.
type prefixWriter struct {
	prefix string
	w      io.Writer
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		if _, err := p.w.Write(append([]byte(p.prefix), p.buf[:i+1]...)); err != nil {
			return 0, err
		}
		p.buf = p.buf[i+1:]
	}
	return len(b), nil
}

func (p *prefixWriter) Close() error {
	if len(p.buf) == 0 {
		return nil
	}
	_, err := p.w.Write(append(append([]byte(p.prefix), p.buf...), '\n'))
	p.buf = nil
	return err
}

// safeFileName keeps a profile name usable as a file name.
func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 {
			return '_'
		}
		return r
	}, s)
}

// progress is a live "done/total, failures" line on a terminal; nothing in
// a pipe (the summary says it all).
type progress struct {
	mu                  sync.Mutex
	w                   io.Writer
	tty                 bool
	total, done, failed int
}

func newProgress(w io.Writer, total int, tty bool) *progress {
	return &progress{w: w, total: total, tty: tty}
}

func (p *progress) markDone(failed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if failed {
		p.failed++
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[Kkagi: %d/%d done, %d failed", p.done, p.total, p.failed)
	}
}

func (p *progress) finish() {
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

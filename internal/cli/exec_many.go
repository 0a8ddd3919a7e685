package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"runtime"
	"sort"
	"sync"

	"golang.org/x/term"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/creds"
	"github.com/kagi-cli/kagi/internal/fanout"
	"github.com/kagi-cli/kagi/internal/prompt"
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
			// An IAM Identity Center profile is a role too (its
			// permission set's, in its account).
			if c, err := config.Resolve(files, config.Request{Profile: n, Env: env}); err == nil && (len(c.Roles) > 0 || c.Source.Kind == config.SSO) {
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
// a time (internal/fanout). The config is read once and every profile
// resolved once, up front; a profile that does not resolve is a failed
// row. The steps two or more profiles share (the MFA session, a role in
// the middle) are obtained once before the runs start, so one MFA code
// serves them all and every run starts its own role hop at once; a shared
// step that fails is the failure of each profile that needs it, without
// asking again. Credentials come through the same cache and locks as every
// kagi call; while a prompt asks, the other runs' output waits.
func (a *app) runExecMany(ctx context.Context, opts manyOptions) error {
	if len(opts.Command) == 0 {
		return usageErrorf("--profiles and --all-roles need the command to run: kagi exec --profiles PATTERN CMD [ARGS...]")
	}
	if opts.Parallel < 1 {
		return usageErrorf("--parallel must be at least 1")
	}
	// The flags once: a mistake in them is the command's, not each run's.
	base, err := opts.Creds.request("")
	if err != nil {
		return err
	}
	files, err := a.loadConfig()
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
	// Looked up once, before any credentials, and refused as exec refuses
	// it: 127 for no such command, 126 for one that cannot run.
	_, path, err := a.execArgv(opts.Command)
	if err != nil {
		return err
	}
	argv := append([]string{path}, opts.Command[1:]...)

	// One pace for every run's STS calls, learnt from Throttling: fifty
	// accounts meet STS's request rate as a matter of course.
	opts.Creds.pacer = creds.NewPacer()
	opts.Creds.keyIDs = newKeyIDMemo(a.keyIDs())
	opts.Creds.httpClient = creds.NewHTTPClient(opts.Parallel)
	opts.Creds.tidied = new(sync.Once)
	plan, err := a.planMany(ctx, files, profiles, base, opts.Creds)
	if err != nil {
		if ctx.Err() == nil {
			return err
		}
		// Interrupted while the shared steps were had (at the MFA prompt):
		// no run started, and the summary says so, as after any Ctrl-C.
		results := make([]fanout.Result, len(profiles))
		for i, p := range profiles {
			results[i] = fanout.Result{Profile: p, ExitCode: -1, Skipped: true}
		}
		return a.endMany(results, true, opts.JSON)
	}
	environ := a.environ()
	console := fanout.NewConsole(a.io.Out, a.io.Err, a.io.OutIsTTY, isTerminal(a.io.Err))
	ctx = prompt.WithPause(ctx, console.Pause)
	// kagi's own lines during the runs (warnings, --debug, a helper's
	// error output) go through the console too.
	stderr := a.io.Err
	own := console.Stderr()
	a.io.Err = own
	restore := func() { own.Flush(); a.io.Err = stderr }
	defer restore()
	results, interrupted := fanout.Run(ctx, fanout.Options{
		Names:     profiles,
		Parallel:  opts.Parallel,
		FailFast:  opts.FailFast,
		OutputDir: opts.OutputDir,
		Console:   console,
		// With --json, stdout is the summary alone: the runs' lines go to
		// stderr.
		ToErr: opts.JSON,
		GOOS:  runtime.GOOS,
		TTY:   term.IsTerminal(int(os.Stdin.Fd())),
		Command: func(ctx context.Context, profile string) (*exec.Cmd, error) {
			chain, err := plan.chain(profile)
			if err != nil {
				return nil, err
			}
			got, err := a.retrieveChain(ctx, files, chain, opts.Creds)
			if err != nil {
				return nil, err
			}
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Env = childEnv(environ, got.Credentials, got.Chain.Region, profile)
			return cmd, nil
		},
	})
	restore()
	return a.endMany(results, interrupted, opts.JSON)
}

// endMany writes the summary of the runs and returns exec's end: 130 when
// interrupted, 1 when a run failed.
func (a *app) endMany(results []fanout.Result, interrupted, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			return err
		}
	} else {
		fanout.WriteSummary(a.io.Err, results)
	}
	failed := 0
	for _, r := range results {
		if r.ExitCode != 0 {
			failed++
		}
	}
	switch {
	case interrupted:
		return &exitError{code: ExitInterrupted}
	case failed > 0:
		fmt.Fprintf(a.io.Err, "kagi: %d of %d profiles failed\n", failed, len(results))
		return &exitError{code: ExitError}
	}
	return nil
}

// manyPlan is each profile's chain, or why it has none.
type manyPlan struct {
	chains map[string]*config.Chain
	errs   map[string]error
}

func (p *manyPlan) chain(profile string) (*config.Chain, error) {
	if err := p.errs[profile]; err != nil {
		return nil, err
	}
	return p.chains[profile], nil
}

// planMany resolves each profile with the flags' request base, and obtains
// the steps their chains share (creds.Shared). Only the end of ctx (an
// interrupt while asking for an MFA code) stops it; every other failure
// belongs to the profiles it concerns.
func (a *app) planMany(ctx context.Context, files *config.Files, profiles []string, base config.Request, f credFlags) (*manyPlan, error) {
	plan := &manyPlan{chains: map[string]*config.Chain{}, errs: map[string]error{}}
	chains := make([]*config.Chain, len(profiles))
	for i, p := range profiles {
		req := base
		req.Profile = p
		req.Env = a.io.LookupEnv
		c, err := config.Resolve(files, req)
		if err != nil {
			plan.errs[p] = err
			continue
		}
		chains[i], plan.chains[p] = c, c
	}
	deps, err := a.credDeps(files, f, true)
	if err != nil {
		// The cache cannot be opened: each run says so.
		a.log().Printf("cache: %v", err)
		return plan, nil
	}
	failed, err := creds.Shared(ctx, chains, deps)
	if err != nil {
		return nil, err
	}
	for i, p := range profiles {
		if failed[i] != nil {
			plan.errs[p] = failed[i]
		}
	}
	return plan, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/creds"
	"github.com/kagi-cli/kagi/internal/filelock"
	"github.com/kagi-cli/kagi/internal/keyring"
	"github.com/kagi-cli/kagi/internal/prompt"
	"github.com/kagi-cli/kagi/internal/rotate"
)

type rotateOptions struct {
	Profile   string
	All       bool
	OlderThan ageFlag
	MFAToken  string
	Prompt    promptKind
}

// ageFlag is --older-than: a Go duration (12h, 90m) or a number of days
// (90d).
type ageFlag time.Duration

func (f *ageFlag) String() string {
	if *f == 0 {
		return ""
	}
	d := time.Duration(*f)
	if d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return d.String()
}
func (f *ageFlag) Type() string { return "AGE" }
func (f *ageFlag) Set(s string) error {
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days > 100000 {
			return fmt.Errorf("%q is not a number of days", s)
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return fmt.Errorf("%q is not an age: write 90d or 12h", s)
		}
	}
	if d <= 0 {
		return fmt.Errorf("%q: the age must be positive", s)
	}
	*f = ageFlag(d)
	return nil
}

func (a *app) rotateCommand() *cobra.Command {
	var opts rotateOptions
	cmd := &cobra.Command{
		Use:   "rotate [PROFILE | --all] [--older-than AGE]",
		Short: "Replace a profile's stored access key with a new one",
		Long: `Replace the long-term access key stored for PROFILE (else AWS_PROFILE) with a
new one: IAM makes it, kagi proves it works (STS GetCallerIdentity, waiting
out IAM's eventual consistency), stores it, and only then deletes the old
key in IAM and drops every cached session made from it.

IAM is called with the profile's MFA session when it has mfa_serial (one
code, or none while the session is cached): IAM refuses sessions made
without MFA, and many policies refuse keys without MFA. The MFA session was
made with the old key, so it is dropped too: the next call that needs it
asks for a code.

A rotation that is interrupted (a crash, a kill, a network failure) leaves
the old key or the new one stored, whichever works; run kagi rotate again to
finish it. An IAM user may have two access keys: when the user has another,
kagi names it and changes nothing.

  --older-than AGE  rotate only a key created longer ago (90d, 12h)
  --all             every profile with stored keys; one failure does not
                    stop the others; exit 1 when any failed`,
		Args:              profileArg(""),
		ValidArgsFunction: a.completeProfiles,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Profile = args[0]
			}
			if opts.All && opts.Profile != "" {
				return usageErrorf("name a profile or pass --all, not both")
			}
			if !opts.All && opts.Profile == "" {
				if p, ok := a.io.LookupEnv("AWS_PROFILE"); ok && p != "" {
					opts.Profile = p
				} else {
					return usageErrorf("name the profile whose keys to rotate (or set AWS_PROFILE, or pass --all)")
				}
			}
			return dispatch(a, opts, func(o rotateOptions) error { return a.runRotate(cmd.Context(), o) })
		}),
	}
	cmd.Flags().BoolVar(&opts.All, "all", false, "rotate the keys of every profile that has keys stored")
	cmd.Flags().Var(&opts.OlderThan, "older-than", "rotate only keys created longer ago than AGE (90d, 12h)")
	cmd.Flags().StringVar(&opts.MFAToken, "mfa-token", "", "the current MFA code (else KAGI_MFA_TOKEN, mfa_process, KAGI_PROMPT, the terminal)")
	cmd.Flags().Var(&opts.Prompt, "prompt", "how to ask for an MFA code: "+strings.Join(prompt.Kinds(), ", ")+" (else KAGI_PROMPT, else the terminal)")
	return cmd
}

func (a *app) runRotate(ctx context.Context, opts rotateOptions) error {
	a.log().Secret(opts.MFAToken)
	kr := a.keyring()
	stored, err := keyring.ListKeyProfiles(ctx, kr)
	if err != nil {
		return err
	}
	files, err := config.Load(a.io.LookupEnv)
	if err != nil {
		return err
	}
	if !opts.All {
		if !slices.Contains(stored, opts.Profile) {
			return a.noKeysToRotate(files, opts.Profile)
		}
		res, err := a.rotateOne(ctx, files, opts, opts.Profile)
		if err != nil {
			return err
		}
		a.sayRotated(files, res, opts)
		return nil
	}
	if len(stored) == 0 {
		return &hintError{err: errors.New("no profile has keys stored in the keyring"), hint: "store keys with 'kagi add PROFILE'"}
	}
	var rotated, skipped, failed []string
	for _, p := range stored {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		res, err := a.rotateOne(ctx, files, opts, p)
		if err != nil {
			failed = append(failed, p)
			printError(a.io.Err, err)
			continue
		}
		a.sayRotated(files, res, opts)
		if res.Skipped {
			skipped = append(skipped, p)
		} else {
			rotated = append(rotated, p)
		}
	}
	fmt.Fprintf(a.io.Err, "kagi: rotate --all: %d rotated%s, %d not old enough%s, %d failed%s\n",
		len(rotated), listed(rotated), len(skipped), listed(skipped), len(failed), listed(failed))
	if len(failed) > 0 {
		return &exitError{code: ExitError}
	}
	return nil
}

func listed(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return " (" + strings.Join(names, ", ") + ")"
}

// noKeysToRotate explains a profile without stored keys: its keys are
// another profile's, or in the credentials file, or nowhere.
func (a *app) noKeysToRotate(files *config.Files, profile string) error {
	err := fmt.Errorf("no keys stored for profile %q", profile)
	chain, rerr := config.Resolve(files, config.Request{Profile: profile, Env: a.io.LookupEnv})
	switch {
	case rerr != nil:
		// Not a profile, or one that does not resolve: the plain answer.
	case chain.Source.Kind == config.KeyringKeys && chain.Source.Profile != profile:
		return &hintError{err: fmt.Errorf("profile %q has no keys of its own: it uses the keys of profile %q", profile, chain.Source.Profile),
			hint: fmt.Sprintf("run 'kagi rotate %s'", chain.Source.Profile)}
	case chain.Source.Kind == config.SharedKeys:
		return &hintError{err: fmt.Errorf("the keys of profile %q are in the shared credentials file, not kagi's keyring", profile),
			hint: fmt.Sprintf("move them into the keyring with 'kagi add %s --import', then run 'kagi rotate %s'", chain.Source.Profile, chain.Source.Profile)}
	}
	return &hintError{err: err, hint: "'kagi list' shows which profiles have stored keys"}
}

// rotateOne rotates profile's keys under a lock that keeps a second kagi
// rotate of the same keys out.
func (a *app) rotateOne(ctx context.Context, files *config.Files, opts rotateOptions, profile string) (rotate.Result, error) {
	ids := a.keyIDs()
	if path, err := ids.LockPath("rotate", profile); err == nil {
		lock, ok, err := filelock.TryLock(path)
		if err != nil {
			return rotate.Result{}, err
		}
		if !ok {
			return rotate.Result{}, fmt.Errorf("profile %q: another kagi rotate of its keys is running", profile)
		}
		defer lock.Unlock()
	} else {
		// A directory another user can write or a link: a lock there
		// keeps nobody out, so no rotation runs (two at once could
		// delete both the old and the new key).
		var unsafe *keyring.UnsafeDirError
		if errors.As(err, &unsafe) {
			return rotate.Result{}, unsafe
		}
		a.log().Printf("rotate: no lock: %v", err)
	}
	chain, err := config.Resolve(files, config.Request{Profile: profile, Env: a.io.LookupEnv})
	if err != nil {
		return rotate.Result{}, err
	}
	mfa := chain.MFA != nil && chain.MFA.Serial != "" && chain.Source.Kind == config.KeyringKeys && chain.Source.Profile == profile
	ropts := rotate.Options{
		Profile: profile,
		Keyring: a.keyring(),
		AWS:     &rotate.Client{Endpoints: creds.EndpointsOf(ctx, chain, a.io.LookupEnv), Now: a.io.Now},
		Caller: func(ctx context.Context, stored keyring.AccessKeys) (creds.Credentials, error) {
			if !mfa {
				return creds.Credentials{AccessKeyID: stored.AccessKeyID, SecretAccessKey: stored.SecretAccessKey}, nil
			}
			return a.mfaSessionFor(ctx, files, chain, opts)
		},
		KeysChanged: func(ctx context.Context, newID, oldID string) (int, error) {
			return a.keysChanged(ctx, profile, newID, oldID)
		},
		OlderThan: time.Duration(opts.OlderThan),
		Say:       func(format string, args ...any) { fmt.Fprintf(a.io.Err, "kagi: "+format+"\n", args...) },
		Log:       a.log(),
		Now:       a.io.Now,
		Stop:      a.rotateStop(),
	}
	return rotate.Rotate(ctx, ropts)
}

// mfaSessionFor is the MFA session of chain's keys (its roles left off),
// from the cache or with one code: the chain's own first steps, so a
// session cached by exec serves rotate, and the other way round.
func (a *app) mfaSessionFor(ctx context.Context, files *config.Files, chain *config.Chain, opts rotateOptions) (creds.Credentials, error) {
	c := *chain
	c.Roles = nil
	deps := creds.Deps{
		Files: files, Env: a.io.LookupEnv, Now: a.io.Now, Log: a.log(), Stderr: a.io.Err, Warn: a.warn, Environ: a.environ,
		Keyring: a.keyring(), KeyIDs: a.keyIDs(),
		Prompt: func(ctx context.Context, mfaProcess, processProfile string) (prompt.Source, error) {
			return prompt.Choose(prompt.Options{Token: opts.MFAToken, Prompt: string(opts.Prompt), Env: a.io.LookupEnv,
				Process: mfaProcess, ProcessProfile: processProfile, Environ: a.environ, Stderr: a.io.Err})
		},
	}
	var err error
	if deps.Cache, err = a.cache(); err != nil {
		return creds.Credentials{}, err
	}
	return creds.Retrieve(ctx, &c, deps)
}

// rotateStop is the crash hook of the kill -9 tests: with
// KAGI_TEST_ROTATE_KILL_AT=POINT (one of rotate.Points) kagi kills itself
// there, as a crash or kill -9 would end it.
func (a *app) rotateStop() func(string) {
	at, ok := a.io.LookupEnv("KAGI_TEST_ROTATE_KILL_AT")
	if !ok || at == "" {
		return nil
	}
	return func(point string) {
		if point != at {
			return
		}
		if p, err := os.FindProcess(os.Getpid()); err == nil {
			_ = p.Kill()
			select {} // the signal ends the process
		}
	}
}

// sayRotated prints what a rotation did, and when the next MFA code is due.
func (a *app) sayRotated(files *config.Files, res rotate.Result, opts rotateOptions) {
	days := int(res.Age / (24 * time.Hour))
	if res.Skipped {
		fmt.Fprintf(a.io.Err, "kagi: profile %q: access key %s is %d days old, not older than %s: not rotated\n", res.Profile, res.OldKeyID, days, opts.OlderThan.String())
		return
	}
	if res.NewKeyID == "" {
		return
	}
	fmt.Fprintf(a.io.Err, "kagi: rotated profile %q: access key %s is stored in the %s keyring, %s is deleted in IAM; dropped %d cached session(s) of %s\n",
		res.Profile, res.NewKeyID, a.keyring().Backend(), res.OldKeyID, res.Dropped, res.OldKeyID)
	chain, err := config.Resolve(files, config.Request{Profile: res.Profile, Env: a.io.LookupEnv})
	if err == nil && chain.MFA != nil && chain.MFA.Serial != "" {
		fmt.Fprintf(a.io.Err, "kagi: the MFA session of profile %q was made with %s and is dropped: the next call that needs it (profile %q or a role assumed from it) asks for an MFA code\n",
			res.Profile, res.OldKeyID, res.Profile)
		return
	}
	fmt.Fprintf(a.io.Err, "kagi: profile %q has no mfa_serial: the next call gets a session from %s without a code\n", res.Profile, res.NewKeyID)
}

// forgetRotation removes the record of an unfinished kagi rotate of
// profile with its keys (kagi remove): it holds a secret. A new key it
// named stays in IAM, unused by anyone: say so.
func (a *app) forgetRotation(ctx context.Context, profile string) error {
	id, err := rotate.Forget(ctx, a.keyring(), profile)
	if err != nil {
		return err
	}
	if id != "" {
		fmt.Fprintf(a.io.Err, "kagi: deleted the record of an unfinished rotation of profile %q; its new access key %s is still in IAM, where you may delete it\n", profile, id)
	}
	return nil
}

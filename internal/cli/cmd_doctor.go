package cli

import (
	"context"
	"os"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/creds"
	"github.com/kagi-cli/kagi/internal/doctor"
	"github.com/kagi-cli/kagi/internal/keyring"
	"github.com/kagi-cli/kagi/internal/rotate"
)

type doctorOptions struct {
	Online bool
	JSON   bool
}

func (a *app) doctorCommand() *cobra.Command {
	var opts doctorOptions
	cmd := &cobra.Command{
		Use:   "doctor [--online] [--json]",
		Short: "Check this setup and say what to fix, one line each",
		Long: `Check what goes wrong in real setups and say what to do about it, one line
per finding (the check, ok/warn/fail, what was found and the fix):

  keyring             the backend that holds long-term keys and where its data lives
  cache               whether cached sessions stay in a private directory in memory
  config              lines of the shared files other tools read differently
  profile             whether every profile resolves, and has the keys it starts from
  credential_process  lines that run a kagi that is not on PATH or is another version
  mfa                 roles assumed without MFA where the config shows a device
  permissions         files and helper programs other users can change
  profile_file        the .aws-profile that chooses the profile of 'kagi use' here

With --online it also asks AWS (or AWS_ENDPOINT_URL): it obtains the
credentials of each profile that assumes roles without MFA, as 'kagi exec'
would and never asking for a code, to learn whether the role admits them
(mfa); reads the age of each stored access key with iam:ListAccessKeys
(key_age, older than 90 days is a warning); and compares this machine's
clock with the Date of STS's answer to an unsigned request (clock).

On a terminal the findings are aligned with a count at the end; in a pipe
they are tab-separated lines (status, check, subject, message, fix); with
--json they are a JSON array of {check, status, subject, message, fix}.
Exit code 0 when every check is ok, 1 when any warns or fails.`,
		Args: cobra.NoArgs,
		RunE: run(func(cmd *cobra.Command, _ []string) error {
			return dispatch(a, opts, func(o doctorOptions) error { return a.runDoctor(cmd.Context(), o) })
		}),
	}
	cmd.Flags().BoolVar(&opts.Online, "online", false, "also check against AWS: roles without MFA, key age, the clock")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON array")
	return cmd
}

func (a *app) runDoctor(ctx context.Context, opts doctorOptions) error {
	in := doctor.Inputs{
		Env:     a.io.LookupEnv,
		Environ: a.environ(),
		Now:     a.io.Now,
	}
	bi, _ := debug.ReadBuildInfo()
	in.Version = versionString(bi)
	if self, err := os.Executable(); err == nil {
		in.Self = self
	}
	in.Files, in.FilesErr = config.Load(a.io.LookupEnv)
	in.DirProfile.Found, in.DirProfile.Err = a.findDirProfile()

	backend := a.backend
	if backend == "" {
		backend, _ = a.io.LookupEnv("KAGI_BACKEND")
	}
	dir, _ := a.io.LookupEnv("KAGI_FILE_DIR")
	in.Keyring.Options = keyring.Options{Backend: backend, Env: a.io.LookupEnv, FileDir: dir}
	kr, err := a.openKeyring(ctx)
	if err != nil {
		in.Keyring.Err = err
		in.StoredKeysErr = err
	} else {
		in.Keyring.Backend = kr.Backend()
		// Names only: the file backend lists without its passphrase.
		in.StoredKeys, in.StoredKeysErr = keyring.ListKeyProfiles(ctx, kr)
		in.Rotating, _ = rotate.PendingProfiles(ctx, kr)
		a.mu.Lock()
		a.kr = kr
		a.mu.Unlock()
	}
	in.Cache = a.doctorCache()
	in.SSOCacheDir, _ = ssoCacheDir(a.io.LookupEnv)

	if opts.Online {
		in.Online = &doctor.Online{
			ProbeRole: func(ctx context.Context, profile string) error {
				_, err := a.retrieve(ctx, profile, credFlags{noPrompt: true})
				return err
			},
			KeyAge: func(ctx context.Context, chain *config.Chain) (string, time.Time, error) {
				return creds.SourceKeyAge(ctx, chain, creds.Deps{Keyring: a.keyring(), Files: in.Files, Env: a.io.LookupEnv, Now: a.io.Now, Log: a.log()})
			},
			ServerTime: func(ctx context.Context, chain *config.Chain) (doctor.ClockReading, error) {
				ep, local, server, err := creds.ServerTime(ctx, chain, nil, a.io.Now)
				return doctor.ClockReading{Endpoint: ep, Local: local, Server: server}, err
			},
			STSEndpoint: creds.STSEndpointURL,
		}
	}
	findings := doctor.Run(ctx, in)
	if err := ctx.Err(); err != nil {
		return err
	}
	if opts.JSON {
		err = doctor.WriteJSON(a.io.Out, findings)
	} else {
		err = doctor.WriteText(a.io.Out, findings, a.io.OutIsTTY)
	}
	if err != nil {
		return err
	}
	if !doctor.Healthy(findings) {
		return &exitError{code: ExitError}
	}
	return nil
}

// doctorCache opens the cache exactly as every other command does
// (openCache, with chooseCache's fallbacks on Unix and the sealed
// directory on Windows), keeping the warnings it would print as findings.
// The store it opens is the one later online checks use.
func (a *app) doctorCache() doctor.CacheState {
	var st doctor.CacheState
	_, st.Chosen = a.io.LookupEnv("KAGI_CACHE_DIR")
	a.mu.Lock()
	if a.kr == nil {
		a.kr = &lazyKeyring{open: a.openKeyring}
	}
	kr := a.kr
	a.mu.Unlock()
	s, err := openCache(a.io.LookupEnv, kr, func(msg string) { st.Warnings = append(st.Warnings, msg) }, a.log())
	if err != nil {
		st.Err = err
		return st
	}
	if ds, ok := s.(*cache.DirStore); ok {
		st.Dir, st.InMemory, st.Sealed = ds.Dir(), ds.InMemory(), ds.Sealed()
	}
	a.mu.Lock()
	a.store = s
	a.mu.Unlock()
	return st
}

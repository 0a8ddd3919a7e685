package doctor

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/creds"
	"github.com/kagi-cli/kagi/internal/fsguard"
	"github.com/kagi-cli/kagi/internal/keyring"
)

// Inputs is everything the checks look at. internal/cli fills it from the
// real system; tests build it by hand.
type Inputs struct {
	// Env reads the environment; Environ is the whole of it (NAME=value),
	// whose PATH finds the programs helpers name.
	Env     config.Env
	Environ []string

	// Files are the shared config files, or FilesErr why they could not
	// be read.
	Files    *config.Files
	FilesErr error

	Keyring KeyringState
	Cache   CacheState
	// StoredKeys are the profiles with long-term keys in the keyring;
	// StoredKeysErr says why they are unknown (then no profile is blamed
	// for missing keys).
	StoredKeys    []string
	StoredKeysErr error
	// Rotating are the profiles whose `kagi rotate` was interrupted (its
	// record is still in the keyring), from the same listing.
	Rotating []string

	// Version is this kagi's `kagi version` line; Self its executable
	// ("" when unknown). HelperVersion runs another kagi's `version`
	// (nil: RunVersion).
	Version       string
	Self          string
	HelperVersion func(ctx context.Context, path string) (string, error)

	// SSOCacheDir is the AWS CLI v2's IAM Identity Center token cache
	// (~/.aws/sso/cache); "" skips the sign-in check.
	SSOCacheDir string

	// DirProfile is the .aws-profile found from the working directory
	// (internal/dirprofile), for the profile_file finding.
	DirProfile DirProfileState

	// Online holds the checks that call AWS; nil without --online.
	Online *Online
	Now    func() time.Time
}

// KeyringState is the keyring kagi opens for long-term keys.
type KeyringState struct {
	Backend string // as Keyring.Backend names it; "" when it could not be opened
	Err     error  // why it could not be opened
	// Options are those it was opened with, to say where its data lives.
	Options keyring.Options
}

// CacheState is the store of temporary credentials as kagi itself chooses
// it (internal/cli's openCache): a private directory, or the keyring.
type CacheState struct {
	Dir      string // "" when entries are kept in the encrypted keyring
	InMemory bool   // Dir is on tmpfs
	Sealed   bool   // entries are sealed (Windows: DPAPI)
	Chosen   bool   // KAGI_CACHE_DIR named Dir
	// Warnings are the lines kagi prints when it departs from a private
	// directory in memory (a squatted /dev/shm/kagi-UID, a disk directory,
	// an unusable lock directory).
	Warnings []string
	Err      error // the cache cannot be opened at all
}

// Online are the checks that ask AWS (or the emulator), for --online.
type Online struct {
	// ProbeRole obtains profile's credentials as `kagi exec` would, never
	// asking for an MFA code: whether a role assumed without MFA is
	// admitted is known only to STS.
	ProbeRole func(ctx context.Context, profile string) error
	// KeyAge returns the id and IAM CreateDate of the access key of
	// chain's long-term source (iam:ListAccessKeys).
	KeyAge func(ctx context.Context, chain *config.Chain) (keyID string, created time.Time, err error)
	// ServerTime returns STS's Date for chain's STS endpoint, and this
	// machine's time when the answer came.
	ServerTime func(ctx context.Context, chain *config.Chain) (ClockReading, error)
	// STSEndpoint is the URL chain's STS calls go to: the clock is read
	// once per distinct URL (nil: once per custom endpoint, region and
	// sts_regional_endpoints).
	STSEndpoint func(ctx context.Context, chain *config.Chain) string
}

// ClockReading is one answer's Date against this machine's clock.
type ClockReading struct {
	Endpoint string
	Local    time.Time
	Server   time.Time
}

// MaxKeyAge is how old an access key may be before doctor says to rotate
// it: 90 days, the CIS AWS Foundations Benchmark's rule (1.14) and AWS
// Security Hub's IAM.3.
const MaxKeyAge = 90 * 24 * time.Hour

// Clock tolerances: beyond MaxClockSkew SigV4 requests are refused and kagi
// refuses the credentials STS returns (internal/creds, the same bound);
// beyond clockWarnSkew the clock is drifting towards it.
const (
	MaxClockSkew  = creds.MaxClockSkew
	clockWarnSkew = time.Minute
)

// Run makes every check and returns the findings in a stable order.
func Run(ctx context.Context, in Inputs) []Finding {
	if in.Now == nil {
		in.Now = time.Now
	}
	var out []Finding
	out = append(out, checkKeyring(in)...)
	out = append(out, checkCache(in.Cache)...)
	files, loaded := in.Files, in.FilesErr == nil && in.Files != nil
	if !loaded {
		out = append(out, checkLoad(in.FilesErr))
		files = &config.Files{}
	} else {
		out = append(out, configWarnings(files)...)
	}
	chains, pf := checkProfiles(files, in)
	if loaded {
		out = append(out, pf...)
	}
	out = append(out, checkDirProfile(in.DirProfile, files, loaded, in.Env)...)
	out = append(out, checkCredentialProcess(ctx, files, in)...)
	out = append(out, checkMFA(chains)...)
	if loaded {
		out = append(out, checkSSO(files, in)...)
	}
	out = append(out, checkPermissions(files, in, loaded)...)
	out = append(out, checkRotations(in.Rotating)...)
	if in.Online != nil {
		out = append(out, checkOnlineMFA(ctx, chains, in.Online)...)
		out = append(out, checkKeyAges(ctx, chains, in)...)
		out = append(out, checkClock(ctx, chains, in)...)
	}
	return out
}

// configWarnings turns the config lines that other tools (the AWS CLI,
// botocore, the Go SDK) read differently from kagi into findings, one per
// line: a warning where kagi reads the line leniently, a failure where it
// will not use the section (the profile check names that profile too).
// docs/config.md lists each difference and what to write instead.
func configWarnings(files *config.Files) []Finding {
	var out []Finding
	for _, w := range files.Warnings() {
		f := Finding{Check: CheckConfig, Status: Warn, Subject: fmt.Sprintf("%s:%d", w.File, w.Line), Message: w.String(),
			Fix: "write the line so that every tool reads it alike (docs/config.md lists each case)"}
		if w.Unusable {
			f.Status = Fail
			f.Fix = "correct the section at the line named; until then kagi will not use that profile"
		}
		out = append(out, f)
	}
	return out
}

// checkLoad is the finding for shared files that could not be read: a
// file another user can write is a permissions problem, anything else a
// config problem.
func checkLoad(err error) Finding {
	if err == nil {
		err = errors.New("no shared config files")
	}
	var we *fsguard.WritableError
	if errors.As(err, &we) {
		return Finding{Check: CheckPermissions, Status: Fail, Subject: we.Path, Message: err.Error(), Fix: we.Fix}
	}
	return Finding{Check: CheckConfig, Status: Fail, Message: err.Error(), Fix: orDefault(fixOf(err), "correct the file at the place named, then run kagi doctor again")}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// checkKeyring says which backend holds long-term keys and where its data
// lives.
func checkKeyring(in Inputs) []Finding {
	k := in.Keyring
	if k.Err != nil {
		return []Finding{{Check: CheckKeyring, Status: Fail, Subject: k.Options.Backend, Message: k.Err.Error(),
			Fix: orDefault(fixOf(k.Err), "choose a backend that works here with --backend or KAGI_BACKEND (file works everywhere)")}}
	}
	where := KeyringWhere(k.Backend, k.Options)
	f := Finding{Check: CheckKeyring, Status: OK, Subject: k.Backend, Message: where}
	if k.Backend == keyring.BackendKeyctl {
		// Kernel memory: gone at reboot or when the last session ends.
		f.Status = Warn
		f.Message += "; stored keys are lost at reboot"
		f.Fix = "store long-term keys in a persistent backend (KAGI_BACKEND=file or secret-service) and `kagi add` them there"
	}
	return []Finding{f}
}

// KeyringWhere says where backend keeps its items, in words.
func KeyringWhere(backend string, opts keyring.Options) string {
	env := func(k string) string {
		if opts.Env == nil {
			return ""
		}
		v, _ := opts.Env(k)
		return v
	}
	switch backend {
	case keyring.BackendFile:
		if dir, err := keyring.FileDir(opts); err == nil {
			return fmt.Sprintf("items encrypted with a passphrase in %s", dir)
		}
		return "items encrypted with a passphrase"
	case keyring.BackendPass:
		dir := env("PASSWORD_STORE_DIR")
		if dir == "" {
			dir = filepath.Join(env("HOME"), ".password-store")
		}
		return fmt.Sprintf("gpg-encrypted items in %s", filepath.Join(dir, "kagi"))
	case keyring.BackendSecretService:
		return "the Secret Service on the session bus (GNOME Keyring, KeePassXC), unlocked with the login session"
	case keyring.BackendKWallet:
		return "KWallet on the session bus"
	case keyring.BackendKeychain:
		return "the macOS login keychain"
	case keyring.BackendWinCred:
		return "the Windows Credential Manager of this user"
	case keyring.BackendKeyctl:
		return "the Linux kernel's user keyring (memory)"
	}
	return "the " + backend + " store"
}

// checkCache says where temporary credentials wait between runs, and each
// departure from a private directory in memory.
func checkCache(c CacheState) []Finding {
	switch {
	case c.Err != nil:
		return []Finding{{Check: CheckCache, Status: Fail, Subject: c.Dir, Message: c.Err.Error(),
			Fix: orDefault(fixOf(c.Err), "point KAGI_CACHE_DIR at a private directory on tmpfs, or unset it")}}
	}
	var out []Finding
	for _, w := range c.Warnings {
		out = append(out, Finding{Check: CheckCache, Status: Warn, Subject: c.Dir, Message: w, Fix: cacheFix(c, w)})
	}
	if len(out) > 0 {
		return out
	}
	switch {
	case c.Dir == "":
		return []Finding{{Check: CheckCache, Status: OK, Message: "no tmpfs here: cached sessions are kept in the encrypted keyring"}}
	case c.Sealed:
		return []Finding{{Check: CheckCache, Status: OK, Subject: c.Dir, Message: "private directory, entries sealed for this user (DPAPI)"}}
	default:
		return []Finding{{Check: CheckCache, Status: OK, Subject: c.Dir, Message: "private directory in memory (tmpfs)"}}
	}
}

func cacheFix(c CacheState, warning string) string {
	switch {
	case strings.Contains(warning, "cross-process locks"):
		return "make the lock directory yours and private (chmod 700), or set XDG_CACHE_HOME to a directory of your own"
	case c.Chosen:
		return "point KAGI_CACHE_DIR at a directory on tmpfs (such as $XDG_RUNTIME_DIR/kagi), or unset it"
	case strings.Contains(warning, "/dev/shm/"):
		return "ask an administrator to remove the directory named, or set KAGI_CACHE_DIR to a private directory on tmpfs"
	}
	return "set KAGI_CACHE_DIR to a private directory on tmpfs"
}

// checkProfiles resolves every profile as `kagi exec` would and returns the
// chains of those that resolve and have credentials to check (by name),
// and a finding for each that does not resolve, or that lacks the stored
// keys its chain starts from.
//
// A settings profile (config.Chain.SettingsOnly: only region, output,
// endpoints...) with no keys stored and no profile starting from it is
// not missing keys: it is what a [default] with a region is, and what
// aws-vault users write for profiles whose keys are in aws-vault. It gets
// an ok line that says so, and the online checks skip it. Used as another
// profile's source, it does need keys, and both are blamed.
func checkProfiles(files *config.Files, in Inputs) (map[string]*config.Chain, []Finding) {
	names := files.ProfileNames()
	chains := map[string]*config.Chain{}
	stored := map[string]bool{}
	for _, p := range in.StoredKeys {
		stored[p] = true
	}
	var (
		out      []Finding
		problems int
		settings []string
	)
	resolved := make([]*config.Chain, len(names))
	errs := make([]error, len(names))
	for i, name := range names {
		resolved[i], errs[i] = config.Resolve(files, config.Request{Profile: name, Env: in.Env})
	}
	var settingsOnly map[string]bool
	if in.StoredKeysErr == nil {
		settingsOnly = config.SettingsProfiles(resolved, func(p string) bool { return stored[p] })
	}
	for i, name := range names {
		if settingsOnly[name] {
			settings = append(settings, name)
			out = append(out, Finding{Check: CheckProfile, Status: OK, Subject: name,
				Message: fmt.Sprintf("settings only: it sets no credentials and no keys are stored for it, so it is not offered to run commands with (give it keys with `kagi add %s`)", name)})
			continue
		}
		chain, err := resolved[i], errs[i]
		if err != nil {
			fix := orDefault(fixOf(err), fmt.Sprintf("correct profile %q as the message says", name))
			var unk *config.UnknownProfileError
			if errors.As(err, &unk) && unk.Suggestion != "" {
				fix = fmt.Sprintf("did you mean %q? write that instead of %q", unk.Suggestion, unk.Name)
			}
			out = append(out, Finding{Check: CheckProfile, Status: Fail, Subject: name, Message: err.Error(), Fix: fix})
			problems++
			continue
		}
		chains[name] = chain
		if chain.Source.Kind == config.KeyringKeys && in.StoredKeysErr == nil && !stored[chain.Source.Profile] {
			what := "needs"
			if chain.Source.Profile != name {
				what = fmt.Sprintf("starts from profile %q, which needs", chain.Source.Profile)
			}
			out = append(out, Finding{Check: CheckProfile, Status: Fail, Subject: name,
				Message: fmt.Sprintf("%s long-term keys in the keyring, and none are stored", what),
				Fix:     fmt.Sprintf("kagi add %s", chain.Source.Profile)})
			problems++
		}
	}
	switch {
	case len(names) == 0:
		cp, _ := config.Paths(in.Env)
		// Not a problem: CI jobs work from the environment alone.
		_, crp := config.Paths(in.Env)
		out = append(out, Finding{Check: CheckProfile, Status: OK, Subject: cp,
			Message: fmt.Sprintf("no profiles in %s or %s: only environment mode (keys or a web identity in the environment) works", cp, crp)})
	case problems == 0 && len(settings) < len(names):
		n := len(names) - len(settings)
		msg := fmt.Sprintf("all %d profiles resolve", n)
		switch {
		case len(names) == 1:
			msg = "the one profile resolves"
		case n == 1 && len(settings) > 0:
			msg = "the one profile with credentials resolves"
		case len(settings) > 0:
			msg = fmt.Sprintf("all %d profiles with credentials resolve", n)
		}
		out = append(out, Finding{Check: CheckProfile, Status: OK, Message: msg})
	}
	return chains, out
}

// sortedNames is the keys of chains, sorted.
func sortedNames(chains map[string]*config.Chain) []string {
	names := make([]string, 0, len(chains))
	for n := range chains {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// plural is "1 profile", "2 profiles".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// checkRotations names each profile whose key rotation did not finish: the
// user may have two keys in IAM, and kagi stores the one it proved works;
// the next `kagi rotate` finishes the job (deletes the other key, drops the
// old key's sessions).
func checkRotations(profiles []string) []Finding {
	var out []Finding
	for _, p := range profiles {
		out = append(out, Finding{Check: CheckRotation, Status: Warn, Subject: p,
			Message: "a key rotation did not finish: the old access key may still be active in IAM",
			Fix:     fmt.Sprintf("run `kagi rotate %s` to finish it", p)})
	}
	return out
}

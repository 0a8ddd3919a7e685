package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/credfile"
	"github.com/kagi-cli/kagi/internal/credsection"
	"github.com/kagi-cli/kagi/internal/termtext"
)

type writeCredentialsOptions struct {
	Profiles []string
	// As is the section to write: a name, or a template in which
	// {profile} stands for each profile. "" means the profile's own name.
	As            string
	All           bool
	Force         bool
	RefreshBefore time.Duration
	Creds         credFlags
}

// profilePlaceholder in --as stands for each profile written.
const profilePlaceholder = "{profile}"

func (a *app) writeCredentialsCommand() *cobra.Command {
	var opts writeCredentialsOptions
	cmd := &cobra.Command{
		Use:   "write-credentials PROFILE... [--as NAME] | --all --as TEMPLATE",
		Short: "Write temporary credentials into the shared credentials file",
		Long: `Write each PROFILE's temporary credentials into the shared credentials file
(AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials), for tools that only
read profiles: a Terraform repo with several "profile = ..." providers, old
boto. The section gets aws_access_key_id, aws_secret_access_key,
aws_session_token, aws_security_token, region (when the profile has one: the
AWS CLI v1 ignores AWS_REGION) and a "# kagi:" comment with the expiry;
every other byte of the file stays as it was. The file is replaced atomically
under a lock, mode 0600.

The section is named after the profile, or --as NAME. In NAME, {profile}
stands for each profile: --as '{profile}-tf' writes prod as [prod-tf].

A role profile cannot be written under its own name: its role_arn in
~/.aws/config makes the AWS CLI and SDKs assume the role themselves and ignore
keys under [prod]. The same holds for an IAM Identity Center profile (its
sso_* settings). kagi refuses such a name, and any name another profile
uses as source_profile (those keys would become that profile's source).
Write [prod-tf] with --as and point the tool at profile prod-tf.

  --force               a section holding long-term keys is refused; with
                        --force the keys are moved into the keyring first
                        (as 'kagi add NAME --import') and then replaced
  --refresh-before D    leave a section kagi wrote alone while it has more
                        than D left; fresher credentials are fetched when
                        the cached ones have less
  --all                 every role or IAM Identity Center profile that needs
                        no MFA code now (its MFA session is cached); the
                        others are skipped, each with a line saying why

One line per profile on stderr, nothing secret. Exit 1 if any profile that
was not skipped failed.`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: a.completeProfiles,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			opts.Profiles = args
			if err := checkWriteCredentialsOptions(opts); err != nil {
				return err
			}
			return dispatch(a, opts, func(o writeCredentialsOptions) error { return a.runWriteCredentials(cmd.Context(), o) })
		}),
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.As, "as", "", "section to write, instead of the profile's name; {profile} stands for each profile")
	fs.BoolVar(&opts.All, "all", false, "every role profile that can be written without an MFA code")
	fs.BoolVar(&opts.Force, "force", false, "move long-term keys found in the section into the keyring, then replace them")
	fs.DurationVar(&opts.RefreshBefore, "refresh-before", 0, "leave sections alone that kagi wrote and that have more than this left")
	opts.Creds.register(cmd)
	return cmd
}

func checkWriteCredentialsOptions(o writeCredentialsOptions) error {
	switch {
	case len(o.Profiles) == 0 && !o.All:
		return usageErrorf("name the profiles to write, or pass --all")
	case len(o.Profiles) > 0 && o.All:
		return usageErrorf("--all writes every role profile: name no profiles with it")
	case o.All && o.As == "":
		// A role profile's own section is refused (Rules.Check): without
		// --as, --all could only skip every profile it finds.
		return usageErrorf("--all writes role profiles, which the AWS CLI would not read from sections of their own names: give --as with %s in it, e.g. --as '%s-tf'", profilePlaceholder, profilePlaceholder)
	case o.RefreshBefore < 0:
		return usageErrorf("--refresh-before %v: want a duration of zero or more", o.RefreshBefore)
	case o.All && o.Creds.MFAToken != "":
		return usageErrorf("--all asks for no MFA code: write a profile alone with --mfa-token first, then the rest come from its MFA session")
	case (o.All || len(o.Profiles) > 1) && o.Creds.RoleARN != "":
		return usageErrorf("--role-arn replaces one profile's role: name one profile with it")
	case (o.All || len(o.Profiles) > 1) && o.As != "" && !strings.Contains(o.As, profilePlaceholder):
		return usageErrorf("--as %q would put every profile in one section: put %s in it, e.g. --as '%s-tf'", o.As, profilePlaceholder, profilePlaceholder)
	}
	seen := map[string]string{}
	for _, p := range o.Profiles {
		t := sectionFor(o.As, p)
		if other, dup := seen[t]; dup {
			return usageErrorf("profiles %q and %q would both be written to [%s]", other, p, t)
		}
		seen[t] = p
	}
	return nil
}

func sectionFor(as, profile string) string {
	if as == "" {
		return profile
	}
	return strings.ReplaceAll(as, profilePlaceholder, profile)
}

// writeRun is what one run of write-credentials knows about the files.
type writeRun struct {
	opts    writeCredentialsOptions
	files   *config.Files
	path    string // the credentials file, ~ expanded
	shown   string // the same as the user names it, for messages
	rules   *credsection.Rules
	writing map[string]bool // the profiles this run writes
}

// writeSkip is a profile left alone on purpose: not a failure.
type writeSkip struct{ why string }

func (s *writeSkip) Error() string { return s.why }

// needsCodeError is the MFA prompt of a retrieve that must not ask
// (credFlags.noPrompt).
type needsCodeError struct{}

func (*needsCodeError) Error() string { return "an MFA code is needed, and --all asks for none" }

func (a *app) runWriteCredentials(ctx context.Context, opts writeCredentialsOptions) error {
	env := a.io.LookupEnv
	files, err := config.Load(env)
	if err != nil {
		return err
	}
	path, err := config.ExpandPath(env, files.Credentials.Path)
	if err != nil {
		return err
	}
	// Before any credentials are fetched (and an MFA code asked for): a
	// file switched off by a link to /dev/null is not written.
	if err := credfile.CheckTarget(path); err != nil {
		return err
	}
	// A broken profile starts no chain; it is reported when written.
	chains := credsection.Resolve(files, env)
	w := &writeRun{opts: opts, files: files, path: path, shown: files.Credentials.Path, rules: credsection.New(files, chains), writing: map[string]bool{}}
	profiles := opts.Profiles
	if opts.All {
		for _, name := range files.ProfileNames() {
			if c := chains[name]; c != nil && (len(c.Roles) > 0 || c.Source.Kind == config.SSO) {
				profiles = append(profiles, name)
			}
		}
	}
	if opts.All && len(profiles) == 0 {
		fmt.Fprintf(a.io.Err, "kagi: no role profiles in %s to write\n", termtext.Visible(files.Config.Path))
		return nil
	}
	for _, p := range profiles {
		w.writing[p] = true
	}
	failed := 0
	for _, p := range profiles {
		err := a.writeProfile(ctx, w, p, chains[p])
		var skip *writeSkip
		switch {
		case err == nil:
		case errors.As(err, &skip):
			fmt.Fprintf(a.io.Err, "kagi: skipped profile %q: %s\n", p, termtext.Visible(skip.why))
		default:
			failed++
			report(a.io.Err, &runError{err})
		}
	}
	if failed > 0 {
		return &exitError{ExitError}
	}
	return nil
}

// writeProfile writes one profile's credentials, or says why not.
func (a *app) writeProfile(ctx context.Context, w *writeRun, profile string, chain *config.Chain) error {
	opts := w.opts
	section := sectionFor(opts.As, profile)
	if chain == nil {
		// Not a profile, or one that does not resolve: say why.
		if _, err := config.Resolve(w.files, config.Request{Profile: profile, Env: a.io.LookupEnv}); err != nil {
			return err
		}
		return fmt.Errorf("profile %q cannot be resolved", profile)
	}
	if err := w.rules.Check(section, w.writing); err != nil {
		err = sectionRefused(err, profile)
		if opts.All {
			return &writeSkip{err.Error()}
		}
		return err
	}
	longTerm := w.holdsLongTermKeys(section)
	if longTerm && !opts.Force {
		err := &hintError{
			err:  fmt.Errorf("section [%s] of %s holds long-term keys; not replacing them", section, w.shown),
			hint: fmt.Sprintf("pass --force to move them into the keyring first (as 'kagi add %s --import' does), or write another section with --as", section),
		}
		if opts.All {
			return &writeSkip{err.Error() + " (--force moves them into the keyring)"}
		}
		return err
	}
	if d := opts.RefreshBefore; d > 0 && !longTerm {
		if exp, ok := w.writtenExpiry(profile, section); ok {
			if left := exp.Sub(a.io.Now()); left > d {
				return &writeSkip{fmt.Sprintf("[%s] in %s expires %s, in %s, more than --refresh-before %v", section, w.shown, expiryText(exp), leftText(left), d)}
			}
		}
	}

	flags := opts.Creds
	flags.noPrompt = opts.All
	got, err := a.retrieve(ctx, profile, flags)
	var code *needsCodeError
	if errors.As(err, &code) {
		return &writeSkip{fmt.Sprintf("it needs an MFA code, and --all asks for none; write it alone ('kagi write-credentials %s') to start its MFA session", profile)}
	}
	if err != nil {
		return err
	}
	c := got.Credentials
	if d := opts.RefreshBefore; d > 0 && c.Expires() && c.Expiration.Sub(a.io.Now()) <= d && (len(got.Chain.Roles) > 0 || got.Chain.Source.Kind == config.SSO) {
		// kagi's cache hands out a role until 5 minutes before its end;
		// a section meant to last D needs a fresh one.
		if a.dropRoleSession(ctx, got.Chain) {
			if got, err = a.retrieve(ctx, profile, flags); err != nil {
				return err
			}
			c = got.Credentials
		}
		if left := c.Expiration.Sub(a.io.Now()); left <= d {
			fmt.Fprintf(a.io.Err, "kagi: warning: profile %q got credentials for %s, not more than --refresh-before %v: every run will fetch new ones\n", profile, leftText(left), d)
		}
	}
	if c.SessionToken == "" || !c.Expires() {
		hint := "write a profile that assumes a role, or give this one an mfa_serial"
		if flags.NoSession && got.Chain.Source.LongTerm() {
			hint = "drop --no-session: kagi then writes a session made from the keys"
		}
		return &hintError{
			err:  fmt.Errorf("profile %q gives long-term keys: kagi writes only temporary credentials into %s", profile, w.shown),
			hint: hint,
		}
	}
	if longTerm {
		if err := a.importKeys(ctx, section); err != nil {
			return err
		}
	}
	note := credsection.Note(profile, c.Expiration)
	kv := credsection.Keys(c.AccessKeyID, c.SecretAccessKey, c.SessionToken, got.Chain.Region)
	if err := credfile.SetTemporary(w.path, section, kv, note); err != nil {
		var lt *credfile.LongTermKeysError
		if errors.As(err, &lt) {
			return &hintError{err: err, hint: "someone added them since kagi looked; run again with --force to move them into the keyring"}
		}
		// credfile's errors name the file.
		return fmt.Errorf("write profile %q: %w", profile, err)
	}
	where := w.shown
	if section != profile {
		where = fmt.Sprintf("[%s] in %s", section, w.shown)
	}
	fmt.Fprintf(a.io.Err, "kagi: wrote profile %q to %s (expires %s, in %s)\n", profile, termtext.Visible(where), expiryText(c.Expiration), leftText(c.Expiration.Sub(a.io.Now())))
	return nil
}

// sectionRefused is a *credsection.RefusedError as write-credentials and
// export say it, with the way out: another section.
func sectionRefused(err error, profile string) error {
	return &hintError{
		err:  fmt.Errorf("not writing %w", err),
		hint: fmt.Sprintf("write another section with --as, e.g. 'kagi write-credentials %s --as %s-tf', and name that profile in the tool", profile, profile),
	}
}

// holdsLongTermKeys reports whether [section] of the credentials file has
// an access key without a session token.
func (w *writeRun) holdsLongTermKeys(section string) bool {
	s := w.files.Credentials.Profile(section)
	if id, _ := s.Get("aws_access_key_id"); id == "" {
		return false
	}
	for _, k := range []string{"aws_session_token", "aws_security_token"} {
		if v, _ := s.Get(k); v != "" {
			return false
		}
	}
	return true
}

// writtenExpiry reads the expiry from the note kagi left in [section] when
// it wrote profile there; ok is false when it did not, or the keys are
// gone since.
func (w *writeRun) writtenExpiry(profile, section string) (time.Time, bool) {
	s := w.files.Credentials.Profile(section)
	if tok, _ := s.Get("aws_session_token"); tok == "" {
		return time.Time{}, false
	}
	note, err := credfile.Note(w.path, section)
	if err != nil {
		return time.Time{}, false
	}
	p, exp, ok := credsection.ParseNote(note)
	return exp, ok && p == profile
}

// dropRoleSession deletes the cached session of chain's final role, so
// that the next retrieve assumes it again, and reports whether there was
// one.
func (a *app) dropRoleSession(ctx context.Context, chain *config.Chain) bool {
	store, err := a.cache()
	if err != nil {
		return false
	}
	infos, err := store.List(ctx)
	if err != nil {
		return false
	}
	kind, profile, detail := "role", chain.Profile, ""
	if n := len(chain.Roles); n > 0 {
		h := chain.Roles[n-1]
		detail = h.RoleARN
		if h.Profile != "" {
			profile = h.Profile
		}
	} else {
		// An IAM Identity Center profile's role credentials.
		kind, profile, detail = "sso", chain.Source.Profile, chain.Source.SSOAccountID+"/"+chain.Source.SSORoleName
	}
	dropped := false
	for _, in := range infos {
		if in.Kind == kind && in.Profile == profile && in.Detail == detail {
			if store.Delete(ctx, in.Key) == nil {
				dropped = true
			}
		}
	}
	a.log().Printf("cache: dropped the session of %s %s: it ends within --refresh-before", kind, detail)
	return dropped
}

// leftText is a duration as a person reads it: 59m, 11h59m.
func leftText(d time.Duration) string {
	d = d.Round(time.Minute)
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

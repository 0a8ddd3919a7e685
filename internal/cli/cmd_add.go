package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/credfile"
	"github.com/kagi-cli/kagi/internal/keyring"
)

type addOptions struct {
	Profile string
	FromEnv bool // --env
	Import  bool // --import
	Force   bool // --force: a name no profile has yet
}

func (a *app) addCommand() *cobra.Command {
	var opts addOptions
	cmd := &cobra.Command{
		Use:   "add PROFILE [--env | --import] [--force]",
		Short: "Store a profile's long-term access keys in the keyring",
		Long: `Store an IAM user's long-term access keys for PROFILE in the keyring, so they
no longer lie in plaintext in ~/.aws/credentials.

By default the keys are asked for on the terminal (the secret is not echoed).
  --env     read AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead
  --import  move the profile's keys out of the shared credentials file: they
            are stored in the keyring, read back, and only then deleted from
            the file, which otherwise stays byte for byte as it was

PROFILE must be a profile in ~/.aws/config or ~/.aws/credentials: keys
stored under a name no profile has are never used, and a typo would leave
them there unseen. --force stores them all the same (add the profile after).

PROFILE must also be where its chain starts: a role profile whose
source_profile is another profile (prod with source_profile = alice) uses
alice's keys, so kagi add prod is refused with the fix (kagi add alice), as
is a profile whose credentials come from IAM Identity Center,
credential_process, credential_source or a web identity token. Nothing is
asked or read before.`,
		Args:              profileArg("the profile whose keys to store"),
		ValidArgsFunction: a.completeProfiles,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			opts.Profile = args[0]
			if opts.FromEnv && opts.Import {
				return usageErrorf("--env and --import cannot be used together")
			}
			return dispatch(a, opts, func(o addOptions) error { return a.runAdd(cmd.Context(), o) })
		}),
	}
	cmd.Flags().BoolVar(&opts.FromEnv, "env", false, "read the keys from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	cmd.Flags().BoolVar(&opts.Import, "import", false, "move the keys out of the shared credentials file into the keyring")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "store the keys even when no profile has that name yet")
	return cmd
}

func (a *app) runAdd(ctx context.Context, opts addOptions) error {
	// Before the keys are asked for.
	files, err := config.Load(a.io.LookupEnv)
	if err != nil && !opts.Force {
		return err
	}
	if err == nil {
		if err := refuseSSOProfile(files, opts.Profile); err != nil {
			return err
		}
		if err := refuseBorrowedSource(files, opts.Profile, a.io.LookupEnv); err != nil {
			return err
		}
	}
	if !opts.Force {
		if err := unknownProfile(files, opts.Profile, a.io.LookupEnv); err != nil {
			var u *config.UnknownProfileError
			if errors.As(err, &u) && u.Ignored {
				return err // its own hint: rename the section
			}
			return &hintError{err: err, hint: fmt.Sprintf("add [profile %s] to %s first, or pass --force to store the keys under that name anyway", opts.Profile, files.Config.Path)}
		}
	}
	var keys keyring.AccessKeys
	switch {
	case opts.Import:
		return a.importKeys(ctx, opts.Profile)
	case opts.FromEnv:
		keys.AccessKeyID, _ = a.io.LookupEnv("AWS_ACCESS_KEY_ID")
		keys.SecretAccessKey, _ = a.io.LookupEnv("AWS_SECRET_ACCESS_KEY")
		if keys.AccessKeyID == "" || keys.SecretAccessKey == "" {
			return &hintError{err: errors.New("--env: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be set"), hint: "export them, or run 'kagi add " + opts.Profile + "' on a terminal"}
		}
		if s, ok := a.io.LookupEnv("AWS_SESSION_TOKEN"); ok && s != "" {
			return errors.New("--env: AWS_SESSION_TOKEN is set: these are temporary credentials; kagi add stores an IAM user's long-term keys")
		}
	default:
		if keys.AccessKeyID, err = readLine(ctx, "Access key ID: "); err == nil {
			keys.SecretAccessKey, err = readHidden(ctx, "Secret access key: ")
		}
		if err != nil && ctx.Err() != nil {
			return err
		}
		if err != nil {
			return &hintError{err: fmt.Errorf("cannot ask for the keys: %w", err), hint: "run on a terminal, or pass the keys with --env"}
		}
	}
	if err := checkKeys(keys); err != nil {
		return err
	}
	a.log().Secret(keys.SecretAccessKey)
	old := a.storedKeyID(ctx, opts.Profile)
	if err := keyring.SetKeys(ctx, a.keyring(), opts.Profile, keys); err != nil {
		return err // keyring.SetKeys names the profile
	}
	dropped, err := a.keysChanged(ctx, opts.Profile, keys.AccessKeyID, old)
	fmt.Fprintf(a.io.Err, "kagi: stored keys %s for profile %q in the %s keyring%s\n", keys.AccessKeyID, opts.Profile, a.keyring().Backend(), droppedText(dropped))
	return droppedErr(opts.Profile, err)
}

// storedKeyID is the access key id of the keys stored for profile before
// they are replaced, "" when there are none (or they cannot be read: the
// id kagi remembers for them is dropped in any case).
func (a *app) storedKeyID(ctx context.Context, profile string) string {
	k, err := keyring.GetKeys(ctx, a.keyring(), profile)
	if err != nil {
		if !errors.Is(err, keyring.ErrNotFound) {
			a.log().Printf("keyring: the keys being replaced: %v", err)
		}
		return ""
	}
	return k.AccessKeyID
}

func droppedText(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("; dropped %d cached session(s) of the keys it replaces", n)
}

// droppedErr reports that the sessions of replaced keys could not all be
// dropped, after the keys themselves were stored.
func droppedErr(profile string, err error) error {
	if err == nil {
		return nil
	}
	return &hintError{err: fmt.Errorf("the keys of profile %q are stored, but the cached sessions of the keys they replace could not all be dropped: %w", profile, err),
		hint: "run 'kagi clear' to drop every cached session"}
}

func checkKeys(k keyring.AccessKeys) error {
	if !keyring.ValidAccessKeyID(k.AccessKeyID) {
		return &hintError{err: fmt.Errorf("%q is not an access key id", k.AccessKeyID), hint: "an IAM user's key id is 20 characters starting with AKIA"}
	}
	if len(k.SecretAccessKey) < 16 {
		return errors.New("the secret access key is too short to be one")
	}
	return nil
}

// importKeys moves a profile's plaintext keys from the credentials file into
// the keyring. Order matters: nothing is deleted from the file until the
// keyring has the keys and gives them back.
func (a *app) importKeys(ctx context.Context, profile string) error {
	files, err := config.Load(a.io.LookupEnv)
	if err != nil {
		return err
	}
	sk, err := files.StaticKeys(profile)
	if err != nil {
		return err
	}
	keys := keyring.AccessKeys{AccessKeyID: sk.AccessKeyID, SecretAccessKey: sk.SecretAccessKey}
	a.log().Secret(keys.SecretAccessKey)
	if sk.SessionToken != "" {
		return fmt.Errorf("profile %q holds temporary credentials (aws_session_token); only long-term keys are imported", profile)
	}
	if err := checkKeys(keys); err != nil {
		return err
	}
	path, err := config.ExpandPath(a.io.LookupEnv, files.Credentials.Path)
	if err != nil {
		return err
	}
	// Before the keyring is touched: keys stored that then cannot be
	// removed from the file would be in two places.
	if err := credfile.CheckTarget(path); err != nil {
		return err
	}
	kr := a.keyring()
	old := a.storedKeyID(ctx, profile)
	if err := keyring.SetKeys(ctx, kr, profile, keys); err != nil {
		return err // keyring.SetKeys names the profile
	}
	back, err := keyring.GetKeys(ctx, kr, profile)
	if err != nil || back != keys {
		return fmt.Errorf("the %s keyring did not give the keys of profile %q back; the credentials file was left as it was", kr.Backend(), profile)
	}
	dropped, dropErr := a.keysChanged(ctx, profile, keys.AccessKeyID, old)
	if _, err := credfile.RemoveKeys(path, profile); err != nil {
		return fmt.Errorf("keys stored in the keyring, but removing them from %s failed: %w", path, err)
	}
	fmt.Fprintf(a.io.Err, "kagi: moved keys %s of profile %q from %s into the %s keyring%s\n", keys.AccessKeyID, profile, path, kr.Backend(), droppedText(dropped))
	return droppedErr(profile, dropErr)
}

// unknownProfile returns config's *UnknownProfileError, with its "did you
// mean", when name is a profile in neither file; else nil.
func unknownProfile(files *config.Files, name string, env func(string) (string, bool)) error {
	if files.HasProfile(name) {
		return nil
	}
	_, err := config.Resolve(files, config.Request{Profile: name, Env: env})
	var u *config.UnknownProfileError
	if errors.As(err, &u) && u.Name == name {
		return u
	}
	return &config.UnknownProfileError{Name: name}
}

// refuseSSOProfile: an IAM Identity Center profile has no long-term keys;
// keys stored under its name would never be used (its sso_* settings
// decide its source), so `kagi add` points at the sign-in instead.
func refuseSSOProfile(files *config.Files, profile string) error {
	for _, f := range []*config.File{files.Config, files.Credentials} {
		s := f.Profile(profile)
		for _, k := range []string{"sso_session", "sso_start_url", "sso_account_id", "sso_role_name"} {
			if key := s.Key(k); key != nil {
				return &hintError{
					err:  fmt.Errorf("%s:%d: profile %q signs in with IAM Identity Center (%s): it has no long-term keys to store", f.Path, key.Line, profile, k),
					hint: fmt.Sprintf("sign in with `kagi sso login --profile %s`; keys for another profile go under that profile's name", profile),
				}
			}
		}
	}
	return nil
}

// refuseBorrowedSource refuses keys for a profile whose chain does not
// start with its own keys: a role whose source_profile is another profile
// (that profile's keys are used, and keys stored here never would be, while
// `kagi add` said it stored them), or a source that is no keys at all
// (credential_process, credential_source, a web identity token). A name no
// profile has, a profile that does not resolve (its error is for the
// commands that use it) and a profile with no settings (aws-vault's
// [profile alice] with mfa_serial) pass.
func refuseBorrowedSource(files *config.Files, profile string, env config.Env) error {
	chain, err := config.Resolve(files, config.Request{Profile: profile, Env: env})
	if err != nil {
		return nil
	}
	src := chain.Source
	if src.Profile == profile && (src.Kind == config.KeyringKeys || src.Kind == config.SharedKeys) {
		return nil
	}
	at := func(file string, line int) string {
		if file == "" {
			return ""
		}
		return fmt.Sprintf("%s:%d: ", file, line)
	}
	if src.Profile != profile && src.Profile != "" {
		where := ""
		for _, r := range chain.Reasons {
			if r.Step == "role" && r.Profile == profile && r.File != "" {
				where = at(r.File, r.Line) // its source_profile line
				break
			}
		}
		var hint string
		switch src.Kind {
		case config.KeyringKeys:
			hint = fmt.Sprintf("store the keys for that profile: `kagi add %s`", src.Profile)
		case config.SharedKeys:
			hint = fmt.Sprintf("profile %q has its keys in %s; to move them into the keyring: `kagi add %s --import`", src.Profile, src.File, src.Profile)
		case config.SSO:
			hint = fmt.Sprintf("profile %q signs in with IAM Identity Center: `kagi sso login --profile %s`", src.Profile, src.Profile)
		default:
			hint = fmt.Sprintf("`kagi list %s` shows where its credentials come from", profile)
		}
		return &hintError{
			err:  fmt.Errorf("%sprofile %q gets its credentials from profile %q (source_profile): keys stored for %q would never be used", where, profile, src.Profile, profile),
			hint: hint,
		}
	}
	var from string
	switch src.Kind {
	case config.Process:
		from = "credential_process"
	case config.Environment:
		from = "credential_source = Environment"
	case config.InstanceMetadata:
		from = "credential_source = Ec2InstanceMetadata"
	case config.ContainerMetadata:
		from = "credential_source = EcsContainer"
	case config.WebIdentity:
		from = "web_identity_token_file"
		if src.WebIdentityTokenProcess != "" {
			from = "web_identity_token_process"
		}
	case config.SSO:
		from = "IAM Identity Center"
	default:
		return nil
	}
	return fmt.Errorf("%sprofile %q gets its credentials from %s: it has no long-term keys to store", at(src.File, src.Line), profile, from)
}

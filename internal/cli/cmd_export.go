package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/credfile"
	"github.com/kagi-cli/kagi/internal/creds"
	"github.com/kagi-cli/kagi/internal/credsection"
)

type exportOptions struct {
	Profile string
	Format  string // env, json, ini
	As      string // --format ini: the section's name; "" chooses one
	Creds   credFlags
}

func (a *app) exportCommand() *cobra.Command {
	var opts exportOptions
	cmd := &cobra.Command{
		Use:   "export [PROFILE] [flags]",
		Short: "Print temporary credentials (env, json or ini)",
		Long: `Print the profile's temporary credentials on stdout.

Long-term keys are never printed by default: a profile whose keys assume no
role prints a session made from them (GetSessionToken, with MFA when
mfa_serial applies). --no-session prints the keys themselves, and says so on
stderr.

  --format env   export lines, shell-quoted: eval "$(kagi export prod)"
  --format json  the credential_process format (Version 1)
  --format ini   a section for a shared credentials file, as write-credentials
                 writes it: the keys, aws_security_token, region and a
                 "# kagi:" note with the expiry. The section is named after
                 the profile, or PROFILE-kagi when the AWS CLI would not read
                 keys under the profile's own name (a role profile: it
                 assumes the role itself), or --as NAME.

Without PROFILE, AWS_PROFILE names it; with neither, kagi works from the
environment alone.`,
		Args:              profileArg(""),
		ValidArgsFunction: a.completeProfiles,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Profile = args[0]
			}
			switch opts.Format {
			case "env", "json", "ini":
			default:
				return usageErrorf("unknown format %q: choose env, json or ini", opts.Format)
			}
			if opts.As != "" && opts.Format != "ini" {
				return usageErrorf("--as names the section of --format ini")
			}
			if cmd.Flags().Changed("as") && (opts.As == "" || strings.TrimSpace(opts.As) != opts.As || strings.ContainsAny(opts.As, "[]\r\n#;")) {
				return usageErrorf("--as %q cannot be a section name in the credentials file", opts.As)
			}
			return dispatch(a, opts, func(o exportOptions) error { return a.runExport(cmd.Context(), o) })
		}),
	}
	cmd.Flags().StringVar(&opts.Format, "format", "env", "env, json or ini")
	cmd.Flags().StringVar(&opts.As, "as", "", "with --format ini: the section's name (default: the profile's, or PROFILE-kagi for a role profile)")
	opts.Creds.register(cmd)
	return cmd
}

func (a *app) runExport(ctx context.Context, opts exportOptions) error {
	var (
		files   *config.Files
		section string
		err     error
	)
	if opts.Format == "ini" {
		if files, err = config.Load(a.io.LookupEnv); err != nil {
			return err
		}
		// Before any credentials are fetched, when the profile resolves
		// (else retrieve says why): a refused name costs no MFA code.
		req := config.Request{Profile: opts.Profile, Env: a.io.LookupEnv, RoleARN: opts.Creds.RoleARN, OIDC: opts.Creds.OIDC}
		if chain, err := config.Resolve(files, req); err == nil {
			if section, err = a.iniSection(files, chain.Profile, opts.As); err != nil {
				return err
			}
		}
	}
	got, err := a.retrieve(ctx, opts.Profile, opts.Creds)
	if err != nil {
		return err
	}
	a.warnLongTerm(got)
	switch opts.Format {
	case "json":
		return writeProcessJSON(a.io.Out, got.Credentials)
	case "ini":
		if section == "" {
			if section, err = a.iniSection(files, got.Chain.Profile, opts.As); err != nil {
				return err
			}
		}
		return writeINI(a.io.Out, section, got.Chain.Profile, got.Credentials, got.Chain.Region)
	}
	return writeEnv(a.io.Out, got.Credentials, got.Chain.Region)
}

// iniSection names the section export --format ini prints for profile
// ("" in environment mode) by write-credentials' rules (credsection): as,
// refused as write-credentials refuses it; else the profile's name
// ("default" in environment mode) when the AWS CLI would read keys there
// as the profile's, else PROFILE-kagi, with a line on stderr saying why.
func (a *app) iniSection(files *config.Files, profile, as string) (string, error) {
	rules := credsection.New(files, credsection.Resolve(files, a.io.LookupEnv))
	writing := map[string]bool{profile: true}
	own := profile
	if own == "" {
		own = "default"
	}
	cmd := "kagi export --format ini"
	if profile != "" {
		cmd = "kagi export " + profile + " --format ini"
	}
	hint := fmt.Sprintf("name another section with --as, e.g. '%s --as %s-tf', and that profile in the tool", cmd, own)
	if as != "" {
		if err := rules.Check(as, writing); err != nil {
			return "", &hintError{err: fmt.Errorf("not naming the section %w", err), hint: hint}
		}
		return as, nil
	}
	refused := rules.Check(own, writing)
	if refused == nil {
		return own, nil
	}
	other := own + "-kagi"
	if err := rules.Check(other, writing); err != nil {
		return "", &hintError{err: fmt.Errorf("not naming the section %w; nor %w", refused, err), hint: hint}
	}
	fmt.Fprintf(a.io.Err, "kagi: section [%s], not %v\n", other, refused)
	return other, nil
}

// warnLongTerm says in one line on stderr when what is about to be printed
// are keys that never expire: whoever reads them is the IAM user until the
// keys are rotated. By default kagi prints a session instead; these come
// with --no-session, or from a credential_process that prints such keys.
func (a *app) warnLongTerm(got *retrieved) {
	if got.Credentials.Expires() {
		return
	}
	whose := got.Chain.Source.Profile
	if whose == "" {
		whose = got.Chain.Profile
	}
	fmt.Fprintf(a.io.Err, "kagi: warning: printing the long-term keys of %s, which never expire\n", profileText(whose))
}

// processJSON is the credential_process output format:
// https://docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html
type processJSON struct {
	Version         int    `json:"Version"`
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	SessionToken    string `json:"SessionToken,omitempty"`
	Expiration      string `json:"Expiration,omitempty"`
}

func writeProcessJSON(w io.Writer, c creds.Credentials) error {
	out := processJSON{Version: 1, AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
	if !c.Expiration.IsZero() {
		out.Expiration = c.Expiration.UTC().Format(time.RFC3339)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func writeEnv(w io.Writer, c creds.Credentials, region string) error {
	var b strings.Builder
	line := func(k, v string) { fmt.Fprintf(&b, "export %s=%s\n", k, shellQuote(v)) }
	line("AWS_ACCESS_KEY_ID", c.AccessKeyID)
	line("AWS_SECRET_ACCESS_KEY", c.SecretAccessKey)
	if c.SessionToken != "" {
		line("AWS_SESSION_TOKEN", c.SessionToken)
	}
	if !c.Expiration.IsZero() {
		line("AWS_CREDENTIAL_EXPIRATION", c.Expiration.UTC().Format(time.RFC3339))
	}
	if region != "" {
		line("AWS_REGION", region)
		line("AWS_DEFAULT_REGION", region)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeINI prints section as write-credentials writes it: kagi's note
// under the header (so write-credentials --refresh-before knows the
// section as its own once it is pasted into the credentials file), then
// the keys credsection.Keys lists.
func writeINI(w io.Writer, section, profile string, c creds.Credentials, region string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s]\n", section)
	switch {
	case c.Expiration.IsZero():
	case profile != "":
		fmt.Fprintf(&b, "%s%s\n", credfile.NotePrefix, credsection.Note(profile, c.Expiration))
	default:
		fmt.Fprintf(&b, "# expires %s\n", c.Expiration.UTC().Format(time.RFC3339))
	}
	for _, kv := range credsection.Keys(c.AccessKeyID, c.SecretAccessKey, c.SessionToken, region) {
		fmt.Fprintf(&b, "%s = %s\n", kv.Key, kv.Value)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// shellQuote quotes s for POSIX shells: single quotes, with embedded single
// quotes closed, escaped and reopened.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/+=@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kagi-cli/kagi/internal/creds"
)

type exportOptions struct {
	Profile string
	Format  string // env, json, ini
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
  --format ini   a section for a shared credentials file

Without PROFILE, AWS_PROFILE names it; with neither, kagi works from the
environment alone.`,
		Args:              cobra.MaximumNArgs(1),
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
			return dispatch(a, opts, func(o exportOptions) error { return a.runExport(cmd.Context(), o) })
		}),
	}
	cmd.Flags().StringVar(&opts.Format, "format", "env", "env, json or ini")
	opts.Creds.register(cmd)
	return cmd
}

func (a *app) runExport(ctx context.Context, opts exportOptions) error {
	got, err := a.retrieve(ctx, opts.Profile, opts.Creds)
	if err != nil {
		return err
	}
	a.warnLongTerm(got)
	switch opts.Format {
	case "json":
		return writeProcessJSON(a.io.Out, got.Credentials)
	case "ini":
		name := got.Chain.Profile
		if name == "" {
			name = "default"
		}
		return writeINI(a.io.Out, name, got.Credentials, got.Chain.Region)
	}
	return writeEnv(a.io.Out, got.Credentials, got.Chain.Region)
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

func writeINI(w io.Writer, name string, c creds.Credentials, region string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s]\n", name)
	if !c.Expiration.IsZero() {
		fmt.Fprintf(&b, "# expires %s\n", c.Expiration.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(&b, "aws_access_key_id = %s\naws_secret_access_key = %s\n", c.AccessKeyID, c.SecretAccessKey)
	if c.SessionToken != "" {
		fmt.Fprintf(&b, "aws_session_token = %s\n", c.SessionToken)
	}
	if region != "" {
		fmt.Fprintf(&b, "region = %s\n", region)
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

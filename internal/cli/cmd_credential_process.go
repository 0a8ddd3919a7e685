package cli

import (
	"context"

	"github.com/spf13/cobra"
)

type credentialProcessOptions struct {
	Profile string
	Creds   credFlags
}

func (a *app) credentialProcessCommand() *cobra.Command {
	var opts credentialProcessOptions
	cmd := &cobra.Command{
		Use:   "credential-process PROFILE",
		Short: "Print credentials for credential_process in ~/.aws/config",
		Long: `Print the profile's temporary credentials in the credential_process JSON
format (Version 1, Expiration in RFC 3339) and nothing else on stdout. Use it
from another profile, so every SDK and tool that reads profiles gets role
credentials without an MFA prompt of its own:

  [profile prod]
  credential_process = kagi credential-process prod-role

The MFA prompt, when one is needed, goes to the terminal (/dev/tty), never
stdout. Concurrent calls wait for one another: one code serves them all.`,
		Args:              profileArg("the profile to get credentials for"),
		ValidArgsFunction: a.completeProfiles,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			opts.Profile = args[0]
			return dispatch(a, opts, func(o credentialProcessOptions) error { return a.runCredentialProcess(cmd.Context(), o) })
		}),
	}
	opts.Creds.register(cmd)
	return cmd
}

func (a *app) runCredentialProcess(ctx context.Context, opts credentialProcessOptions) error {
	got, err := a.retrieve(ctx, opts.Profile, opts.Creds)
	if err != nil {
		return err
	}
	a.warnLongTerm(got)
	return writeProcessJSON(a.io.Out, got.Credentials)
}

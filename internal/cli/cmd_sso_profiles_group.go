package cli

import "github.com/spf13/cobra"

// newSSOCmd stands in for the `kagi sso` group of branch sso-token
// (cmd_sso.go), which holds login and logout: on merging, delete this
// file and add newSSOProfilesCmd(a) to that group's AddCommand.
func newSSOCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sso",
		Short: "IAM Identity Center (SSO)",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return usageErrorf("name a command: %s", "profiles") },
	}
	cmd.AddCommand(newSSOProfilesCmd(a))
	return cmd
}

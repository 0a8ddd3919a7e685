package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// writeCredentialsCommand is `kagi write-credentials`; see issue 5. Until
// it lands the command says so instead of pretending.
func (a *app) writeCredentialsCommand() *cobra.Command {
	return &cobra.Command{
		Use:    "write-credentials PROFILE...",
		Short:  "Write temporary credentials into the shared credentials file (not yet built)",
		Hidden: true,
		Args:   cobra.ArbitraryArgs,
		RunE: run(func(*cobra.Command, []string) error {
			return errors.New("kagi write-credentials is not built yet")
		}),
	}
}

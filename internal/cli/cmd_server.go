package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// serverCommand is `kagi server`; see issue 5. Until it lands the command
// says so instead of pretending.
func (a *app) serverCommand() *cobra.Command {
	return &cobra.Command{
		Use:    "server PROFILE",
		Short:  "Serve refreshing credentials on a loopback endpoint (not yet built)",
		Hidden: true,
		Args:   cobra.ArbitraryArgs,
		RunE: run(func(*cobra.Command, []string) error {
			return errors.New("kagi server is not built yet")
		}),
	}
}

package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/config"
)

type clearOptions struct {
	Profile string // "" = every profile
}

func (a *app) clearCommand() *cobra.Command {
	var opts clearOptions
	cmd := &cobra.Command{
		Use:   "clear [PROFILE]",
		Short: "Drop cached sessions (all, or one profile's)",
		Long: `Drop cached temporary credentials: MFA sessions, role sessions and IAM
Identity Center role credentials, of every profile or of PROFILE only.
PROFILE's own are those cached under its name: a role profile's role
sessions, or the MFA session of the profile that holds the keys (clear
that profile to drop it; the MFA session it shares with its role profiles
stays when only one of them is cleared). Stored long-term keys and Identity
Center sign-ins are kept. The next command that needs a session asks STS or
Identity Center (and, for an MFA session, you) again.`,
		Args:              profileArg(""),
		ValidArgsFunction: a.completeProfiles,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Profile = args[0]
			}
			return dispatch(a, opts, func(o clearOptions) error { return a.runClear(cmd.Context(), o) })
		}),
	}
	return cmd
}

func (a *app) runClear(ctx context.Context, opts clearOptions) error {
	n, err := a.clearSessions(ctx, opts.Profile)
	if err != nil {
		return err
	}
	if n == 0 && opts.Profile != "" {
		// Sessions of a profile since removed from the config are cleared
		// above; a name that is neither is a typo, not "0 cleared".
		files, err := config.Load(a.io.LookupEnv)
		if err != nil {
			return err
		}
		if err := unknownProfile(files, opts.Profile, a.io.LookupEnv); err != nil {
			return err
		}
	}
	who := "all profiles"
	if opts.Profile != "" {
		who = fmt.Sprintf("profile %q", opts.Profile)
	}
	fmt.Fprintf(a.io.Err, "kagi: cleared %d cached session(s) of %s\n", n, who)
	return nil
}

// clearSessions deletes the cached entries of profile ("" = all) and says
// how many there were.
func (a *app) clearSessions(ctx context.Context, profile string) (int, error) {
	store, err := a.cache()
	if err != nil {
		return 0, err
	}
	return cache.DeleteWhere(ctx, store, func(in cache.Info) bool { return profile == "" || in.Profile == profile })
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/keyring"
)

type removeOptions struct {
	Profile string
	Yes     bool
}

func (a *app) removeCommand() *cobra.Command {
	var opts removeOptions
	cmd := &cobra.Command{
		Use:     "remove PROFILE",
		Aliases: []string{"rm"},
		Short:   "Delete a profile's stored keys and cached sessions",
		Long: `Delete the long-term keys stored for PROFILE and every cached session made
from them: the MFA session and every role assumed with it, whichever profile
it served. On a terminal kagi asks first; elsewhere pass --yes.`,
		Args:              profileArg("the profile whose keys and sessions to delete"),
		ValidArgsFunction: a.completeProfiles,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			opts.Profile = args[0]
			return dispatch(a, opts, func(o removeOptions) error { return a.runRemove(cmd.Context(), o) })
		}),
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func (a *app) runRemove(ctx context.Context, opts removeOptions) error {
	kr := a.keyring()
	// Whether there are keys, from the keyring's list: the file backend
	// reads it without its passphrase, which is asked for only after the
	// confirmation, when the keys are read to find their sessions.
	profiles, err := keyring.ListKeyProfiles(ctx, kr)
	if err != nil {
		return err
	}
	if !slices.Contains(profiles, opts.Profile) {
		return &hintError{err: fmt.Errorf("no keys stored for profile %q", opts.Profile), hint: "'kagi list' shows which profiles have stored keys"}
	}
	if !opts.Yes {
		answer, err := readLine(ctx, fmt.Sprintf("Delete the keys of profile %q from the %s keyring? [y/N] ", opts.Profile, kr.Backend()))
		if err != nil && ctx.Err() != nil {
			return err
		}
		if err != nil {
			return &hintError{err: errors.New("cannot ask for confirmation: no terminal"), hint: "pass --yes to delete without asking"}
		}
		if a := strings.ToLower(answer); a != "y" && a != "yes" {
			return errors.New("nothing deleted")
		}
	}
	keys, err := keyring.GetKeys(ctx, kr, opts.Profile)
	if err != nil {
		return err
	}
	if err := keyring.RemoveKeys(ctx, kr, opts.Profile); err != nil {
		return err
	}
	// Every session made from these keys, whichever profile it serves;
	// and what an older kagi cached under the profile's name.
	n, err := a.keysChanged(ctx, opts.Profile, "", keys.AccessKeyID)
	if err != nil {
		return err
	}
	m, err := a.clearLegacySessions(ctx, opts.Profile)
	if err != nil {
		return err
	}
	n += m
	fmt.Fprintf(a.io.Err, "kagi: deleted keys of profile %q and %d cached session(s)\n", opts.Profile, n)
	return a.forgetRotation(ctx, opts.Profile)
}

// clearLegacySessions deletes the entries of profile that name no root:
// an older kagi cached sessions of stored keys under the profile's name.
func (a *app) clearLegacySessions(ctx context.Context, profile string) (int, error) {
	store, err := a.cache()
	if err != nil {
		return 0, err
	}
	return cache.DeleteWhere(ctx, store, func(in cache.Info) bool { return in.Root == "" && in.Profile == profile })
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/keyring"
	"github.com/kagi-cli/kagi/internal/picker"
)

// The profile picker: `kagi exec` (and `kagi use`) with no profile, at a
// terminal, where nothing in the environment chooses a profile or
// environment mode, offers the profiles to choose from instead of failing
// with "no role to assume". Away from a terminal (CI, a pipe into stdin,
// KAGI_NO_PICKER set) nothing changes: the same error and hint at once.

// errPickCancelled is the picker left with Esc: nothing was chosen and
// nothing runs.
var errPickCancelled = &hintError{
	err:  errors.New("no profile chosen: the picker was cancelled"),
	hint: "name the profile: the PROFILE argument or AWS_PROFILE",
}

// pickProfile offers files' profiles on the terminal, filtered as the user
// types, and returns the one chosen. It fails at once, with the error and
// hint a missing profile gives without a picker (*config.NoRoleError),
// when it cannot ask: no terminal, stdin not a terminal (a pipe, a CI
// job), KAGI_NO_PICKER set, TERM=dumb, or no profiles at all. Esc is
// errPickCancelled; Ctrl-C ends kagi with 130 as an interrupt does.
//
// The caller decides first that a profile is to be picked at all
// (profileOrPick, with profileChosenBy): pickProfile does not look at
// AWS_PROFILE and the environment mode variables.
func (a *app) pickProfile(ctx context.Context, files *config.Files) (string, error) {
	if why := a.cannotPick(); why != "" {
		a.log().Printf("picker: not shown: %s", why)
		return "", &config.NoRoleError{}
	}
	names := files.ProfileNames()
	if len(names) == 0 {
		a.log().Printf("picker: not shown: no profiles in the config and credentials files")
		return "", &config.NoRoleError{}
	}
	chains := make([]*config.Chain, len(names))
	errs := make([]error, len(names))
	settingsOnly := false
	for i, name := range names {
		chains[i], errs[i] = config.Resolve(files, config.Request{Profile: name, Env: a.io.LookupEnv})
		settingsOnly = settingsOnly || chains[i] != nil && chains[i].SettingsOnly
	}
	settings := a.settingsProfiles(ctx, chains, settingsOnly)
	var (
		items  []picker.Item
		offers []string
	)
	for i, name := range names {
		if settings[name] {
			// A [default] with only a region: nothing to run a command with.
			continue
		}
		items = append(items, picker.Item{Name: name, Detail: pickerDetail(newListEntry(name, chains[i], errs[i]))})
		offers = append(offers, name)
	}
	if len(items) == 0 {
		a.log().Printf("picker: not shown: every profile only holds settings (no credentials, no keys stored)")
		return "", &config.NoRoleError{}
	}
	names = offers
	i, err := picker.Pick(ctx, "kagi: profile> ", items)
	var nt *picker.NoTerminalError
	switch {
	case errors.As(err, &nt):
		a.log().Printf("picker: not shown: %v", nt.Err)
		return "", &config.NoRoleError{}
	case errors.Is(err, picker.ErrCancelled):
		return "", errPickCancelled
	case errors.Is(err, picker.ErrInterrupted):
		// Ctrl-C was a key (the terminal was raw), not SIGINT: end as
		// main does for an interrupt.
		fmt.Fprintln(a.io.Err, "kagi: interrupted")
		return "", &exitError{code: ExitInterrupted}
	case err != nil:
		return "", err
	}
	a.log().Printf("picker: chose profile %q", names[i])
	return names[i], nil
}

// settingsProfiles are the profiles among chains the picker leaves out
// (config.SettingsProfiles). The keyring's item names are listed only when
// some profile sets no credentials (any); when they cannot be listed,
// every profile is offered.
func (a *app) settingsProfiles(ctx context.Context, chains []*config.Chain, any bool) map[string]bool {
	if !any {
		return nil
	}
	names, err := keyring.ListKeyProfiles(ctx, a.keyring())
	if err != nil {
		a.log().Printf("picker: keyring: %v; every profile is offered", err)
		return nil
	}
	stored := map[string]bool{}
	for _, n := range names {
		stored[n] = true
	}
	return config.SettingsProfiles(chains, func(p string) bool { return stored[p] })
}

// cannotPick says why the picker cannot be shown, or "".
func (a *app) cannotPick() string {
	if v, _ := a.io.LookupEnv("KAGI_NO_PICKER"); v != "" && v != "0" && !strings.EqualFold(v, "false") {
		return "KAGI_NO_PICKER is set"
	}
	if v, _ := a.io.LookupEnv("TERM"); v == "dumb" {
		// Emacs' shell buffer, and terminals that move no cursor: the
		// picker's redraws would be garbage there.
		return "TERM is dumb"
	}
	if !a.io.InIsTTY {
		// Input comes from a pipe or a file: a script, not a person.
		return "stdin is not a terminal"
	}
	return ""
}

// profileChosenBy names what already chooses a profile or environment mode
// for a command given no PROFILE, or "" when nothing does and the picker
// may ask: --role-arn, --oidc, AWS_PROFILE, AWS_DEFAULT_PROFILE, and every
// variable environment mode works from (config.Resolve's environmentMode
// and the SDKs' default chain), and CI, which CI services set.
func (a *app) profileChosenBy(f credFlags) string {
	if f.RoleARN != "" {
		return "--role-arn"
	}
	if f.OIDC != "" {
		return "--oidc"
	}
	for _, name := range []string{
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_ROLE_ARN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_EC2_METADATA_SERVICE_ENDPOINT",
		"ACTIONS_ID_TOKEN_REQUEST_URL", "CI",
	} {
		if v, ok := a.io.LookupEnv(name); ok && v != "" {
			return name
		}
	}
	return ""
}

// pickerDetail is what the picker shows beside a profile, in kagi list's
// short forms: the role it ends in (account:name), an IAM Identity Center
// permission set (sso account/role), the MFA device; for a profile with no
// role, where its credentials come from.
func pickerDetail(e listEntry) string {
	cells, reason := listNarrowCells(e)
	if reason != "" {
		return reason
	}
	source, mfa, role := cells[1], cells[2], cells[3]
	var parts []string
	switch {
	case e.Source != nil && e.Source.SSO != nil && len(e.Roles) == 0:
		parts = append(parts, "sso "+role)
	case role != "-":
		parts = append(parts, role)
	default:
		parts = append(parts, source)
	}
	if mfa != "-" {
		parts = append(parts, mfa)
	}
	return strings.Join(parts, "  ")
}

// profileOrPick is profile, or when it is "" and nothing else chooses one
// (profileChosenBy), the profile picked on the terminal; away from a
// terminal, the error a missing profile gives. The flags are checked
// first, so a flag mistake is still a usage error.
func (a *app) profileOrPick(ctx context.Context, profile string, f credFlags) (string, error) {
	if profile != "" {
		return profile, nil
	}
	if by := a.profileChosenBy(f); by != "" {
		a.log().Printf("picker: not shown: %s is set", by)
		return "", nil
	}
	if _, err := f.request(""); err != nil {
		return "", err
	}
	files, err := a.loadConfig()
	if err != nil {
		return "", err
	}
	return a.pickProfile(ctx, files)
}

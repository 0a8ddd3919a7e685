package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/creds"
	"github.com/kagi-cli/kagi/internal/keyring"
	"github.com/kagi-cli/kagi/internal/termtext"
)

type listOptions struct {
	JSON     bool
	Wide     bool     // full ARNs and every column on a terminal
	Profiles []string // only these; an unknown one is an error
}

func (a *app) listCommand() *cobra.Command {
	var opts listOptions
	cmd := &cobra.Command{
		Use:     "list [PROFILE...]",
		Aliases: []string{"ls"},
		Short:   "List profiles and what each resolves to",
		Long: `List every profile in the AWS config and credentials files and the chain
kagi would use for it: the source of long-term credentials, the session
(GetSessionToken: with the MFA device in the MFA column, or "session without
MFA" for keys that assume no role), and the roles assumed in turn. A profile
that cannot be used is a row that says why. SESSIONS are the cached sessions
'kagi exec PROFILE' would use now, with the time they have left; none are
shown where finding them would mean reading a web identity token or running a
helper. With PROFILE arguments, only those are listed; one that does not
exist is an error, and one that cannot be used is listed with why and then
is an error (exit code 1).

On a terminal the output is a table that fits its width: ROLE the final
role as ACCOUNT:NAME ("+N " when N roles are assumed before it), MFA devices
as mfa/NAME, SOURCE the profile whose keys start the
chain ("no keys" when none are stored; "settings" for a profile that sets
no credentials and has no keys, such as a [default] with only a region),
SESSION the time left before a new
MFA code is needed. --wide shows the full ARNs, the region and every cached
session. In a pipe the output is tab-separated lines without a header and
with full ARNs; with --json it is a JSON array for scripts.`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: a.completeProfiles,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			opts.Profiles = args
			return dispatch(a, opts, func(o listOptions) error { return a.runList(cmd.Context(), o) })
		}),
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON array")
	cmd.Flags().BoolVar(&opts.Wide, "wide", false, "on a terminal: full ARNs, the region and every cached session")
	return cmd
}

// listEntry is one profile in `kagi list --json`. Field names are a contract
// with scripts: add fields, never rename them.
type listEntry struct {
	Name string `json:"name"`
	// KeysStored: long-term keys for this profile are in the keyring (nil:
	// the keyring could not be read).
	KeysStored *bool         `json:"keys_stored,omitempty"`
	Sessions   []listSession `json:"sessions"`
	Region     string        `json:"region,omitempty"`
	Source     *listSrc      `json:"source,omitempty"`
	MFA        *listMFA      `json:"mfa,omitempty"`
	// Session is the GetSessionToken step: with MFA (then MFA is set
	// too) or, for long-term keys that assume no role, without.
	Session *listSessionStep `json:"session,omitempty"`
	Roles   []listRole       `json:"roles"`
	Error   string           `json:"error,omitempty"`
	// SettingsOnly: the profile sets no credentials and no keys are
	// stored for it (config.SettingsProfiles): a [default] with a region.
	// Only when the keyring could be read.
	SettingsOnly bool `json:"settings_only,omitempty"`

	// sourceKeys: keys of the source profile (Source.Profile) are in the
	// keyring, for a keyring source (nil: unknown or another source).
	sourceKeys *bool
}

// listSession is a cached session of the profile and how long it has left.
type listSession struct {
	Kind        string `json:"kind"` // "session" (GetSessionToken, with or without MFA) or "role"
	Detail      string `json:"detail,omitempty"`
	Expiration  string `json:"expiration"`
	SecondsLeft int64  `json:"seconds_left"`
}

type listSrc struct {
	Kind    string `json:"kind"`
	Profile string `json:"profile,omitempty"`
	// SSO is set for an IAM Identity Center source ("sso").
	SSO *listSSO `json:"sso,omitempty"`
}

// listSSO is an IAM Identity Center source: where it signs in and the
// permission set (role) in the account it gets credentials for.
type listSSO struct {
	Session   string `json:"session,omitempty"` // [sso-session NAME]; absent for a legacy profile
	StartURL  string `json:"start_url"`
	Region    string `json:"region"`
	AccountID string `json:"account_id"`
	RoleName  string `json:"role_name"`
}

type listMFA struct {
	Serial          string `json:"serial"`
	DurationSeconds int64  `json:"duration_seconds"`
}

type listSessionStep struct {
	MFASerial       string `json:"mfa_serial,omitempty"`
	DurationSeconds int64  `json:"duration_seconds"`
}

type listRole struct {
	Profile     string `json:"profile"`
	RoleARN     string `json:"role_arn"`
	SessionName string `json:"session_name,omitempty"`
}

func (a *app) runList(ctx context.Context, opts listOptions) error {
	files, err := config.Load(a.io.LookupEnv)
	if err != nil {
		return err
	}
	log := a.log()
	for _, f := range []*config.File{files.Config, files.Credentials} {
		for _, n := range f.Notes() {
			log.Printf("%s", n)
		}
	}
	// list reads every profile, so it says everything other tools read
	// otherwise; an unusable section is its profile's row instead.
	for _, w := range files.Warnings() {
		if !w.Unusable || w.Profile == "" {
			a.warn(w.String())
		}
	}
	entries := []listEntry{}
	var broken error           // the first profile named by the user that cannot be used
	var chains []*config.Chain // per entry; nil when it could not be resolved
	names := opts.Profiles
	if len(names) == 0 {
		names = files.ProfileNames()
	}
	if len(names) == 0 {
		a.sayWhereNoProfiles()
	}
	for _, name := range names {
		chain, err := config.Resolve(files, config.Request{Profile: name, Env: a.io.LookupEnv})
		if err != nil && len(opts.Profiles) > 0 {
			if !files.HasProfile(name) {
				// Asked for by name and not there: a mistake, with "did
				// you mean".
				return err
			}
			// There but broken: a row that says why, beside the other
			// profiles asked for, and then the error with its hint.
			if broken == nil {
				broken = err
			}
		}
		if err != nil {
			log.Printf("profile %q: %v", name, err)
		} else {
			for _, r := range chain.Reasons {
				log.Printf("%s", r)
			}
		}
		entries = append(entries, newListEntry(name, chain, err))
		chains = append(chains, chain)
	}
	a.addStoreColumns(ctx, entries, chains, files)
	if err := ctx.Err(); err != nil {
		// Interrupted, at the keyring's passphrase prompt say: a store
		// failing leaves its column unknown, but Ctrl-C ends kagi.
		return err
	}
	if err := a.writeList(entries, opts); err != nil {
		return err
	}
	return broken
}

// writeList prints entries as JSON, the terminal's table (narrow unless
// --wide) or tab-separated lines.
func (a *app) writeList(entries []listEntry, opts listOptions) error {
	if opts.JSON {
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(entries)
	}
	if a.io.OutIsTTY && !opts.Wide {
		width := 0
		if a.io.OutWidth != nil {
			width = a.io.OutWidth()
		}
		if width <= 0 {
			width = 80
		}
		return writeListNarrow(a.io.Out, entries, width)
	}
	return writeListTable(a.io.Out, entries, a.io.OutIsTTY)
}

// sayWhereNoProfiles tells, on stderr, which files were read when there are
// no profiles at all: an empty list alone does not say that kagi looked in
// the wrong place (AWS_CONFIG_FILE unset in this shell, another HOME).
func (a *app) sayWhereNoProfiles() {
	cp, crp := config.Paths(a.io.LookupEnv)
	where := func(p string) string {
		real, err := config.ExpandPath(a.io.LookupEnv, p)
		if err != nil {
			return p + " (no home directory)"
		}
		if _, err := os.Stat(real); errors.Is(err, fs.ErrNotExist) {
			return real + " (no such file)"
		}
		return real
	}
	fmt.Fprintf(a.io.Err, "kagi: no profiles in %s or %s\n", termtext.Visible(where(cp)), termtext.Visible(where(crp)))
}

// newListEntry is one profile's entry: what its chain resolves to, or
// (err set) why it cannot be used.
func newListEntry(name string, c *config.Chain, err error) listEntry {
	if err != nil {
		return listEntry{Name: name, Roles: []listRole{}, Sessions: []listSession{}, Error: err.Error()}
	}
	e := listEntry{
		Name:     name,
		Region:   c.Region,
		Source:   &listSrc{Kind: c.Source.Kind.String(), Profile: c.Source.Profile},
		Roles:    []listRole{},
		Sessions: []listSession{},
	}
	if s := c.Source.SSO; s != nil {
		e.Source.SSO = &listSSO{Session: s.Name, StartURL: s.StartURL, Region: s.Region, AccountID: c.Source.SSOAccountID, RoleName: c.Source.SSORoleName}
	}
	if c.MFA != nil {
		e.Session = &listSessionStep{MFASerial: c.MFA.Serial, DurationSeconds: int64(c.MFA.Duration.Seconds())}
		if c.MFA.Serial != "" {
			e.MFA = &listMFA{Serial: c.MFA.Serial, DurationSeconds: int64(c.MFA.Duration.Seconds())}
		}
	}
	for _, r := range c.Roles {
		session := r.SessionName
		if r.SessionNameIsUsername {
			session = "${aws:username}"
		}
		e.Roles = append(e.Roles, listRole{Profile: r.Profile, RoleARN: r.RoleARN, SessionName: session})
	}
	return e
}

func writeListTable(w io.Writer, entries []listEntry, tty bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	sep := "\t"
	if !tty {
		// In a pipe: one tab-separated line per profile, no header, no padding.
		tw = nil
	} else {
		fmt.Fprintln(tw, "PROFILE\tSOURCE\tMFA\tROLES\tREGION\tKEYS\tSESSIONS")
	}
	out := w
	if tw != nil {
		out = tw
	}
	for _, e := range entries {
		cols := []string{e.Name, "-", "-", "-", orDash(e.Region), "?", "-"}
		if e.KeysStored != nil {
			cols[5] = map[bool]string{true: "stored", false: "-"}[*e.KeysStored]
		}
		if len(e.Sessions) > 0 {
			parts := make([]string, len(e.Sessions))
			for i, s := range e.Sessions {
				parts[i] = fmt.Sprintf("%s %s", s.Kind, (time.Duration(s.SecondsLeft) * time.Second).String())
				if s.SecondsLeft <= 0 {
					parts[i] = s.Kind + " expired"
				}
			}
			cols[6] = strings.Join(parts, ", ")
		}
		switch {
		case e.Error != "":
			cols[1] = "invalid: " + e.Error
		case e.SettingsOnly:
			cols[1] = "settings"
		default:
			cols[1] = e.Source.Kind
			if sso := e.Source.SSO; sso != nil {
				cols[1] += " " + shortSSO(sso.AccountID, sso.RoleName)
			}
			if e.Source.Profile != "" && e.Source.Profile != e.Name {
				cols[1] += " (" + e.Source.Profile + ")"
			}
			switch {
			case e.MFA != nil:
				cols[2] = e.MFA.Serial
			case e.Session != nil:
				// Long-term keys are handed out only with --no-session.
				cols[2] = "session without MFA"
			}
			if len(e.Roles) > 0 {
				arns := make([]string, len(e.Roles))
				for i, r := range e.Roles {
					arns[i] = r.RoleARN
				}
				cols[3] = strings.Join(arns, " -> ")
			}
		}
		for i := range cols {
			cols[i] = termtext.Visible(cols[i]) // from files anyone may have written
		}
		if _, err := fmt.Fprintln(out, strings.Join(cols, sep)); err != nil {
			return err
		}
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// addStoreColumns fills in which profiles have keys in the keyring and
// which have cached sessions. Either store failing leaves its column
// unknown, with the reason in --debug: listing profiles must not depend on
// a keyring being unlocked.
//
// A profile's sessions are exactly the entries `kagi exec PROFILE` would
// use, found by the cache keys exec computes (creds.StepKeys), never by the
// profile's name: another HOME's profile of the same name, or a profile
// whose keys were replaced, has other keys. Where the keys cannot be known
// without reading a secret or running a helper, no session is shown.
func (a *app) addStoreColumns(ctx context.Context, entries []listEntry, chains []*config.Chain, files *config.Files) {
	log := a.log()
	if names, err := keyring.ListKeyProfiles(ctx, a.keyring()); err != nil {
		log.Printf("keyring: %v", err)
	} else {
		stored := map[string]bool{}
		for _, n := range names {
			stored[n] = true
		}
		settings := config.SettingsProfiles(chains, func(p string) bool { return stored[p] })
		for i := range entries {
			v := stored[entries[i].Name]
			entries[i].KeysStored = &v
			entries[i].SettingsOnly = settings[entries[i].Name]
			if src := entries[i].Source; src != nil && src.Kind == config.KeyringKeys.String() {
				s := stored[src.Profile]
				entries[i].sourceKeys = &s
			}
		}
	}
	store, err := a.cache()
	if err != nil {
		log.Printf("cache: %v", err)
		return
	}
	infos, err := store.List(ctx)
	if err != nil {
		log.Printf("cache: %v", err)
		return
	}
	byKey := make(map[string]cache.Info, len(infos))
	for _, in := range infos {
		byKey[in.Key] = in
	}
	now := a.io.Now()
	deps := creds.Deps{Env: a.io.LookupEnv, Files: files, KeyIDs: a.keyIDs()}
	for i := range entries {
		if chains[i] == nil {
			continue
		}
		keys, err := creds.StepKeys(ctx, chains[i], deps)
		if err != nil {
			log.Printf("profile %q: sessions not shown: %v", entries[i].Name, err)
			continue
		}
		for _, key := range keys {
			in, ok := byKey[key]
			if !ok {
				continue
			}
			entries[i].Sessions = append(entries[i].Sessions, listSession{
				Kind:        in.Kind,
				Detail:      in.Detail,
				Expiration:  in.Expiration.UTC().Format(time.RFC3339),
				SecondsLeft: int64(in.Expiration.Sub(now).Seconds()),
			})
		}
	}
}

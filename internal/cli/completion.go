package cli

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/keyring"
	"github.com/kagi-cli/kagi/internal/prompt"
)

// completeFlagValues gives shell completion the values of kagi's flags:
// --format, --prompt, --profiles and --backend. It is done here, once for
// the whole tree, so that each command's file keeps only its flags; it
// runs only when the whole tree is built (completion itself is
// `kagi __complete ...`, never a plain command).
func (a *app) completeFlagValues(root *cobra.Command) {
	fixed := func(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			var out []string
			for _, v := range values {
				if strings.HasPrefix(v, toComplete) {
					out = append(out, v)
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		}
	}
	// --backend is persistent: registered once on root, it completes in
	// every command.
	_ = root.RegisterFlagCompletionFunc("backend", fixed(keyring.Backends()...))
	for _, cmd := range root.Commands() {
		for name, complete := range map[string]func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective){
			"format":   fixed("env", "json", "ini"),
			"prompt":   fixed(prompt.Kinds()...),
			"profiles": a.completeProfileList,
		} {
			if cmd.Flags().Lookup(name) == nil {
				continue
			}
			if name == "format" && cmd.Name() != "export" {
				continue // only export's --format takes these values
			}
			// An error means a function is already registered: the
			// command's own wins.
			_ = cmd.RegisterFlagCompletionFunc(name, complete)
		}
	}
}

// profileNames are the profiles in the AWS config and credentials files,
// for completion (nil when they cannot be read).
func (a *app) profileNames() []string {
	files, err := config.Load(a.io.LookupEnv)
	if err != nil {
		return nil
	}
	return files.ProfileNames()
}

// completeProfiles offers profile names for a command's PROFILE arguments:
// one for a command that takes one PROFILE (after it, nothing), and those
// not given yet for one that takes several (its Use says "PROFILE...").
func (a *app) completeProfiles(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	many := strings.Contains(cmd.Use, "PROFILE...")
	if len(args) > 0 && !many {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	files, err := config.Load(a.io.LookupEnv)
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	var names []string
	for _, n := range files.ProfileNames() {
		if !slices.Contains(args, n) {
			names = append(names, n)
		}
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

// completeProfileList completes --profiles PATTERN[,PATTERN...]: the last
// element after a comma is completed with profile names, the ones before
// it (names or globs) are kept as typed.
func (a *app) completeProfileList(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	done, last := "", toComplete
	if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
		done, last = toComplete[:i+1], toComplete[i+1:]
	}
	given := strings.Split(done, ",")
	var out []string
	for _, n := range a.profileNames() {
		if strings.HasPrefix(n, last) && !slices.Contains(given, n) {
			out = append(out, done+n)
		}
	}
	// NoSpace: another ",PATTERN" may follow.
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// completeExec completes exec's arguments as exec reads them: PROFILE
// first (none with --profiles or --all-roles), then kagi's flags, and from
// the command's name (or a "--") on whatever the shell offers (files).
// cobra stops parsing flags at PROFILE (exec's flag set is not
// interspersed), so it completes no flag after PROFILE: names are offered
// here. Their values are not: cobra drops a flag awaiting its value from
// args before calling this, so `kagi exec prod --prompt <TAB>` looks like
// `kagi exec prod <TAB>` (the command, files).
func (a *app) completeExec(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	fs := cmd.Flags()
	patterns, _ := fs.GetStringSlice("profiles")
	allRoles, _ := fs.GetBool("all-roles")
	if len(patterns) > 0 || allRoles {
		return nil, cobra.ShellCompDirectiveDefault // the command and its arguments
	}
	if len(args) == 0 {
		// Also after a "--" (kagi exec -- <TAB>), which cobra's parse
		// for completion does not let tell apart.
		return a.completeProfiles(cmd, args, toComplete)
	}
	if fs.ArgsLenAtDash() == 0 {
		return nil, cobra.ShellCompDirectiveDefault // kagi exec -- CMD ...
	}
	if err := fs.Parse(args[1:]); err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp // a flag kagi does not know
	}
	if fs.NArg() > 0 || fs.ArgsLenAtDash() >= 0 || !strings.HasPrefix(toComplete, "-") {
		return nil, cobra.ShellCompDirectiveDefault // the command and its arguments
	}
	var out []string
	fs.VisitAll(func(f *pflag.Flag) {
		// A flag given once already is offered again only if it adds up.
		if f.Hidden || (f.Changed && !strings.Contains(f.Value.Type(), "Slice") && !strings.Contains(f.Value.Type(), "Array")) {
			return
		}
		if name := "--" + f.Name; strings.HasPrefix(name, toComplete) {
			out = append(out, name+"\t"+f.Usage)
		}
	})
	return out, cobra.ShellCompDirectiveNoFileComp
}

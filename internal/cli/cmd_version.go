package cli

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print kagi's version and the commit it was built from",
		Args:  cobra.NoArgs,
		RunE: run(func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(a.io.Out, versionString())
			return err
		}),
	}
}

// versionString reads the version from the build info the Go toolchain
// embeds: the module version for `go install ...@vX`, the VCS revision for a
// build from a checkout (the Makefile builds with -buildvcs=true).
func versionString() string {
	version, commit, goVersion := "dev", "unknown", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			version = v
		}
		dirty := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
				if len(commit) > 12 {
					commit = commit[:12]
				}
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if dirty {
			commit += "-dirty"
		}
	}
	return fmt.Sprintf("kagi %s (commit %s, %s)", version, commit, goVersion)
}

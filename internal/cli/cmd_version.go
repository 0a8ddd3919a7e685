package cli

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print kagi's version, the commit it was built from and that commit's date",
		Args:  cobra.NoArgs,
		RunE: run(func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(a.io.Out, versionLine())
			return err
		}),
	}
}

// versionLine is what kagi version and kagi --version print.
func versionLine() string {
	bi, _ := debug.ReadBuildInfo() // nil (no build info) prints "dev" and "unknown"
	return versionString(bi)
}

// versionString reads everything from the build info the Go toolchain embeds,
// so no -ldflags are needed and a rebuild of the same commit is byte-identical
// (docs/install.md): the version is the module version for `go install ...@vX`,
// and for a build from a git clone (the Makefile and scripts/release.sh build
// with -buildvcs=true) the tag at the commit or Go's pseudo-version
// v0.0.0-DATE-COMMIT. The build date is the commit's date (vcs.time), not the
// time of the build, for the same reason.
func versionString(bi *debug.BuildInfo) string {
	version, commit, date, goVersion := "dev", "unknown", "unknown", "unknown"
	if bi != nil {
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
			case "vcs.time":
				date = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if dirty {
			commit += "-dirty"
		}
	}
	return fmt.Sprintf("kagi %s (commit %s, built %s, %s)", version, commit, date, goVersion)
}

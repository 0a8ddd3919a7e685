package cli

import (
	"runtime/debug"
	"testing"
)

func TestVersionStringNamesVersionCommitAndCommitDate(t *testing.T) {
	vcs := func(rev, time, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{
			{Key: "-trimpath", Value: "true"},
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: rev},
			{Key: "vcs.time", Value: time},
			{Key: "vcs.modified", Value: modified},
		}
	}
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{"release from a tag", &debug.BuildInfo{
			GoVersion: "go1.26.8",
			Main:      debug.Module{Path: "github.com/kagi-cli/kagi", Version: "v1.2.3"},
			Settings:  vcs("449c601f581cb29768f558253c1bc3c714e478ad", "2026-11-29T21:02:27Z", "false"),
		}, "kagi v1.2.3 (commit 449c601f581c, built 2026-11-29T21:02:27Z, go1.26.8)"},
		{"untagged clone", &debug.BuildInfo{
			GoVersion: "go1.26.8",
			Main:      debug.Module{Path: "github.com/kagi-cli/kagi", Version: "v0.0.0-20261129210227-449c601f581c"},
			Settings:  vcs("449c601f581cb29768f558253c1bc3c714e478ad", "2026-11-29T21:02:27Z", "false"),
		}, "kagi v0.0.0-20261129210227-449c601f581c (commit 449c601f581c, built 2026-11-29T21:02:27Z, go1.26.8)"},
		{"uncommitted changes", &debug.BuildInfo{
			GoVersion: "go1.26.8",
			Main:      debug.Module{Path: "github.com/kagi-cli/kagi", Version: "v0.0.0-20261129210227-449c601f581c+dirty"},
			Settings:  vcs("449c601f581cb29768f558253c1bc3c714e478ad", "2026-11-29T21:02:27Z", "true"),
		}, "kagi v0.0.0-20261129210227-449c601f581c+dirty (commit 449c601f581c-dirty, built 2026-11-29T21:02:27Z, go1.26.8)"},
		{"go install from the proxy, no vcs", &debug.BuildInfo{
			GoVersion: "go1.26.8",
			Main:      debug.Module{Path: "github.com/kagi-cli/kagi", Version: "v1.2.3"},
		}, "kagi v1.2.3 (commit unknown, built unknown, go1.26.8)"},
		{"devel build without vcs", &debug.BuildInfo{
			GoVersion: "go1.26.8",
			Main:      debug.Module{Path: "github.com/kagi-cli/kagi", Version: "(devel)"},
		}, "kagi dev (commit unknown, built unknown, go1.26.8)"},
		{"no build info", nil, "kagi dev (commit unknown, built unknown, unknown)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionString(tt.bi); got != tt.want {
				t.Errorf("versionString() = %q\n                 want %q", got, tt.want)
			}
		})
	}
}

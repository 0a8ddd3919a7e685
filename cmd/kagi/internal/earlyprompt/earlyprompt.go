// Package earlyprompt answers `kagi prompt` while the program is still
// being initialized, and exits: the shell runs it before every prompt, and
// the ~120 packages linked into kagi (the AWS SDK's clients, net/http,
// cobra) take longer to initialize than the whole answer. Go initializes
// packages in import-path order among those whose imports are ready (the
// Go spec, "Package initialization"), and this one imports only os, time
// and promptseg, so its init runs after about twenty small packages of the
// standard library and before everything else. Measured on the CI
// machine: 3.4 ms through cli.Main, 1.75 ms here, against 1.2 ms for a Go
// program that does nothing (make bench: BenchmarkPrompt).
//
// This is the one init in kagi with a side effect, and the one os.Exit
// outside main (STYLE.md, habits 1 and 2): for exactly the arguments
// "prompt", which read two environment variables and nothing else. Any
// other arguments (prompt --help, prompt extra) go on to cli.Main, whose
// prompt command prints the same through promptseg.
package earlyprompt

import (
	"os"
	"time"

	"github.com/kagi-cli/kagi/internal/promptseg"
)

func init() {
	if len(os.Args) != 2 || os.Args[1] != "prompt" {
		return
	}
	if s := promptseg.Segment(os.LookupEnv, time.Now()); s != "" {
		if _, err := os.Stdout.WriteString(s + "\n"); err != nil {
			os.Exit(1)
		}
	}
	os.Exit(0)
}

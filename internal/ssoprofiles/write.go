package ssoprofiles

import (
	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/credfile"
)

// Result is what Apply did (or, with dryRun, would do) to the file.
type Result struct {
	Plan
	Before, After []byte
}

// Apply plans against the config file at path and, when the options
// write or prune, edits it: one locked, atomic read-modify-write (see
// credfile.EditConfig), the plan made under the lock, so two concurrent
// runs each see the other's sections. With dryRun, or with neither Write
// nor Prune, nothing is written (and nothing is locked or created).
func Apply(path string, o Options, assigned []Assignment, dryRun bool) (Result, error) {
	var res Result
	if !o.Write && !o.Prune {
		f, blocks, err := credfile.ReadConfig(path)
		if err != nil {
			return res, err
		}
		res.Plan = MakePlan(o, assigned, f, blocks)
		return res, nil
	}
	before, after, err := credfile.EditConfig(path, dryRun, func(f *config.File, blocks map[string]*credfile.ConfigBlock) (credfile.ConfigEdit, error) {
		res.Plan = MakePlan(o, assigned, f, blocks)
		return res.Plan.Edit, nil
	})
	res.Before, res.After = before, after
	return res, err
}

package extcmd

import "os"

// group is what startGroup set up around one helper: started is told the
// process once it runs, close releases what the group holds once the
// helper was waited for. A timeout or cancellation ends the whole group
// through exec.Cmd.Cancel.
type group interface {
	started(*os.Process)
	close()
}

// noGroup: a timeout kills the helper itself (exec.CommandContext), and
// the bounded wait for its output keeps anything it started from holding
// kagi.
type noGroup struct{}

func (noGroup) started(*os.Process) {}
func (noGroup) close()              {}

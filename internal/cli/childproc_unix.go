//go:build unix

package cli

import (
	"os"
	"os/exec"
	"syscall"
)

// ownGroup makes cmd's child the leader of a new process group.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// applyManyAction does act (manyStep) to the running child p with sig.
func applyManyAction(act manyAction, p *os.Process, sig os.Signal) {
	switch act {
	case actSignalGroup:
		if n, ok := sig.(syscall.Signal); ok {
			_ = syscall.Kill(-p.Pid, n) // the group's id is the leader's pid
			return
		}
		_ = p.Signal(sig)
	case actSignal:
		_ = p.Signal(sig)
	case actKill:
		_ = p.Kill()
	}
}

// bindChild: nothing to do. Where kagi execs the command, the command is
// kagi; beside a credential server (exec --server) the command outlives a
// killed kagi, as any child does on Unix.
func bindChild(*os.Process) (release func()) { return func() {} }

//go:build unix

package fanout

import (
	"os"
	"os/exec"
	"syscall"
)

// ownGroup makes cmd's child the leader of a new process group.
func ownGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
}

// apply does act (Step) to the running child p with sig.
func apply(act Action, p *os.Process, sig os.Signal) {
	switch act {
	case ActSignalGroup:
		if n, ok := sig.(syscall.Signal); ok {
			_ = syscall.Kill(-p.Pid, n) // the group's id is the leader's pid
			return
		}
		_ = p.Signal(sig)
	case ActSignal:
		_ = p.Signal(sig)
	case ActKill:
		_ = p.Kill()
	}
}

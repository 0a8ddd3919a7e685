//go:build windows

package fanout

import (
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/windows"
)

// ownGroup starts cmd's child in a new process group
// (CREATE_NEW_PROCESS_GROUP): its id is the child's pid, the one
// GenerateConsoleCtrlEvent takes, and Ctrl-C is off in it, so the key
// reaches kagi alone and kagi passes it on (Step).
func ownGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.CreationFlags |= windows.CREATE_NEW_PROCESS_GROUP
}

// apply does act (Step) to the running child p. A Ctrl-Break that cannot
// be sent (the child has no console shared with kagi) leaves only a kill
// to stop it.
func apply(act Action, p *os.Process, _ os.Signal) {
	switch act {
	case ActCtrlBreak:
		if err := windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, uint32(p.Pid)); err == nil {
			return
		}
		_ = p.Kill()
	case ActKill:
		_ = p.Kill()
	}
	// ActSignal and ActSignalGroup: Windows has no signals to send (Step
	// never asks for them here).
}

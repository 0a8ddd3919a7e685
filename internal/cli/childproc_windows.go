//go:build windows

package cli

import (
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/windows"
)

// ownGroup starts cmd's child in a new process group
// (CREATE_NEW_PROCESS_GROUP): its id is the child's pid, the one
// GenerateConsoleCtrlEvent takes, and Ctrl-C is off in it, so the key
// reaches kagi alone and kagi passes it on (manyStep).
func ownGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.CreationFlags |= windows.CREATE_NEW_PROCESS_GROUP
}

// applyManyAction does act (manyStep) to the running child p. A Ctrl-Break
// that cannot be sent (the child has no console shared with kagi) leaves
// only a kill to stop it.
func applyManyAction(act manyAction, p *os.Process, _ os.Signal) {
	switch act {
	case actCtrlBreak:
		if err := windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, uint32(p.Pid)); err == nil {
			return
		}
		_ = p.Kill()
	case actKill:
		_ = p.Kill()
	}
	// actSignal and actSignalGroup: Windows has no signals to send (manyStep
	// never asks for them here).
}

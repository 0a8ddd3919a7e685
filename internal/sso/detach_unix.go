//go:build unix

package sso

import (
	"os/exec"
	"syscall"
)

// detach starts the browser in a session of its own, as Python's
// webbrowser does (start_new_session): a ^C at kagi's terminal is not its.
func detach(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} }

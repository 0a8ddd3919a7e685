//go:build unix

package extcmd

import (
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

// startGroup makes the child the leader of a process group of its own, so
// that a timeout or cancellation kills it and everything it started
// (sh -c 'helper & ...') at once.
//
// The exception is a kagi in the foreground of its terminal: a child in
// another process group is in the background there, and a helper that
// opens /dev/tty to ask for something (aws-vault, a script with read)
// would be stopped by SIGTTIN until the timeout. There the child stays in
// kagi's group, so it can prompt and Ctrl-C reaches it with kagi; a
// timeout kills the child itself, and the bounded wait for its output
// keeps anything it left behind from holding kagi.
func startGroup(cmd *exec.Cmd, always bool) group {
	if !always && foregroundOfTerminal() {
		return noGroup{}
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The group's id is the leader's pid. ESRCH: all of it is gone.
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil && err != syscall.ESRCH {
			return cmd.Process.Kill()
		}
		return nil
	}
	return noGroup{} // the group ends with its last process
}

// foregroundOfTerminal reports whether this process has a controlling
// terminal and is in its foreground process group.
func foregroundOfTerminal() bool {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return false // no controlling terminal
	}
	defer tty.Close()
	fg, err := unix.IoctlGetInt(int(tty.Fd()), unix.TIOCGPGRP)
	return err == nil && fg == syscall.Getpgrp()
}

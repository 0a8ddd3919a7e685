package fanout

import (
	"os"
	"syscall"
)

// How a fan-out treats its children when kagi gets a signal, on each
// system. The choices are pure functions of the system's name, so the
// table tests check the Windows ones on Linux too; signals_unix.go and
// signals_windows.go only carry them out.

// Signals are the signals a fan-out catches: each stops the launching and
// is passed on to the running children (Step).
func Signals(goos string) []os.Signal {
	if goos == "windows" {
		// Go reports Ctrl-C and Ctrl-Break as os.Interrupt, the console's
		// close, logoff and shutdown as SIGTERM.
		return []os.Signal{os.Interrupt, syscall.SIGTERM}
	}
	return []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}
}

// OwnGroup reports whether each child leads a process group of its own,
// which is what a signal is then sent to, so it reaches what the child
// started too (sh -c 'terraform apply').
//
// On Unix, not at a terminal: there a child in another group would be in
// the background, and stopped (SIGTTIN) as soon as it reads the terminal;
// Ctrl-C reaches it through the terminal instead. On Windows, always
// (CREATE_NEW_PROCESS_GROUP): a console event can be sent to one group
// only, so a group per child is the only way to reach one child's tree;
// the new group ignores Ctrl-C, so only kagi reacts to the key and passes
// it on, once, as a Ctrl-Break to each group.
func OwnGroup(goos string, tty bool) bool {
	return goos == "windows" || !tty
}

// Action is what a fan-out does to one running child when kagi gets a
// signal.
type Action int

const (
	ActNone        Action = iota // it got the signal already (a terminal's Ctrl-C)
	ActSignal                    // the signal, to the child alone
	ActSignalGroup               // the signal, to the child's process group
	ActCtrlBreak                 // Windows: CTRL_BREAK_EVENT to the child's group (Kill when that fails)
	ActKill                      // Windows: TerminateProcess
)

func (a Action) String() string {
	names := [...]string{"none", "signal", "signal group", "ctrl-break", "kill"}
	if a < 0 || int(a) >= len(names) {
		return "unknown"
	}
	return names[a]
}

// WindowsKillAt is the interrupt at which a fan-out on Windows stops
// asking and kills the children still running. The first Ctrl-Break asks a
// child to stop (Terraform starts a clean stop), the second is Terraform's
// "stop now", as two Ctrl-C are at a Unix terminal; Windows has no
// SIGKILL from the keyboard (no Ctrl-\), so the third one kills. There is
// no timer: a clean stop of terraform apply can outlast any fixed grace
// period, and killing it midway leaves its state locked.
const WindowsKillAt = 3

// Step is what the n-th signal kagi got (n from 1) does to a running
// child; tty: kagi's stdin is a terminal.
func Step(goos string, sig os.Signal, n int, tty bool) Action {
	if goos == "windows" {
		if n >= WindowsKillAt {
			return ActKill
		}
		return ActCtrlBreak
	}
	if sig == syscall.SIGINT && tty {
		return ActNone // the terminal sent it to the child's group too
	}
	if OwnGroup(goos, tty) {
		return ActSignalGroup
	}
	return ActSignal
}

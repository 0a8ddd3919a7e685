package cli

import (
	"os"
	"syscall"
)

// How kagi treats the commands it runs as children (exec on Windows,
// exec --server, exec --profiles) on each system. The choices are pure
// functions of the system's name, so the table tests check the Windows
// ones on Linux too; childproc_unix.go and childproc_windows.go only carry
// them out.

// execSignals returns the signals kagi catches while a single child runs
// (exec without execve, exec --server), so that they do not end kagi
// before the child, and of those the ones it passes on to the child.
//
// On Unix, Ctrl-C and Ctrl-\ at a terminal reach the whole foreground
// process group, the child included; passing them on again would make
// Terraform read a second Ctrl-C as "stop now, without cleanup". So at a
// terminal only the signals aimed at kagi alone are passed on.
//
// On Windows, the child shares kagi's console and process group: Ctrl-C,
// Ctrl-Break and the console's close reach it from the console itself,
// and there is nothing else to pass on (no kill(2); a process outside the
// console gets no console events at all). kagi only keeps itself alive,
// waits, and exits with the child's code.
func execSignals(goos string, tty bool) (catch, forward []os.Signal) {
	if goos == "windows" {
		return []os.Signal{os.Interrupt, syscall.SIGTERM}, nil
	}
	forward = []os.Signal{syscall.SIGTERM, syscall.SIGHUP}
	if !tty {
		forward = append(forward, syscall.SIGINT, syscall.SIGQUIT)
	}
	return forward, forward
}

// manySignals are the signals exec --profiles catches: each stops the
// launching and is passed on to the running children (manyStep).
func manySignals(goos string) []os.Signal {
	if goos == "windows" {
		// Go reports Ctrl-C and Ctrl-Break as os.Interrupt, the console's
		// close, logoff and shutdown as SIGTERM.
		return []os.Signal{os.Interrupt, syscall.SIGTERM}
	}
	return []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}
}

// manyOwnGroup reports whether each child of exec --profiles leads a
// process group of its own, which is what a signal is then sent to, so it
// reaches what the child started too (sh -c 'terraform apply').
//
// On Unix, not at a terminal: there a child in another group would be in
// the background, and stopped (SIGTTIN) as soon as it reads the terminal;
// Ctrl-C reaches it through the terminal instead. On Windows, always
// (CREATE_NEW_PROCESS_GROUP): a console event can be sent to one group
// only, so a group per child is the only way to reach one child's tree;
// the new group ignores Ctrl-C, so only kagi reacts to the key and passes
// it on, once, as a Ctrl-Break to each group.
func manyOwnGroup(goos string, tty bool) bool {
	return goos == "windows" || !tty
}

// manyAction is what exec --profiles does to one running child when kagi
// gets a signal.
type manyAction int

const (
	actNone        manyAction = iota // it got the signal already (a terminal's Ctrl-C)
	actSignal                        // the signal, to the child alone
	actSignalGroup                   // the signal, to the child's process group
	actCtrlBreak                     // Windows: CTRL_BREAK_EVENT to the child's group (Kill when that fails)
	actKill                          // Windows: TerminateProcess
)

// windowsKillAt is the interrupt at which exec --profiles on Windows stops
// asking and kills the children still running. The first Ctrl-Break asks a
// child to stop (Terraform starts a clean stop), the second is Terraform's
// "stop now", as two Ctrl-C are at a Unix terminal; Windows has no
// SIGKILL from the keyboard (no Ctrl-\), so the third one kills. There is
// no timer: a clean stop of terraform apply can outlast any fixed grace
// period, and killing it midway leaves its state locked.
const windowsKillAt = 3

// manyStep is what the n-th signal kagi got (n from 1) does to a running
// child of exec --profiles; tty: kagi's stdin is a terminal.
func manyStep(goos string, sig os.Signal, n int, tty bool) manyAction {
	if goos == "windows" {
		if n >= windowsKillAt {
			return actKill
		}
		return actCtrlBreak
	}
	if sig == syscall.SIGINT && tty {
		return actNone // the terminal sent it to the child's group too
	}
	if manyOwnGroup(goos, tty) {
		return actSignalGroup
	}
	return actSignal
}

// defaultShell is the command exec runs without one: $SHELL, else the
// system's shell. On Windows, $SHELL is only taken when it names a program
// found there (Git Bash and MSYS set it to "/usr/bin/bash", a path only
// their own programs understand), else %ComSpec%, else cmd.exe, as
// aws-vault does.
func defaultShell(goos string, env func(string) (string, bool), lookPath func(string) (string, error)) string {
	shell, _ := env("SHELL")
	if goos != "windows" {
		if shell == "" {
			shell = "/bin/sh"
		}
		return shell
	}
	if shell != "" {
		if _, err := lookPath(shell); err == nil {
			return shell
		}
	}
	if spec, _ := env("ComSpec"); spec != "" {
		return spec
	}
	return "cmd.exe"
}

package cli

import (
	"os"
	"syscall"
)

// How kagi treats the commands it runs as children (exec on Windows,
// exec --server) on each system; exec --profiles' children are
// internal/fanout's. The choices are pure functions of the system's name,
// so the table tests check the Windows ones on Linux too;
// childproc_unix.go and childproc_windows.go only carry them out.

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

package cli

import (
	"errors"
	"os"
	"slices"
	"syscall"
	"testing"
)

func TestExecSignals(t *testing.T) {
	for _, tc := range []struct {
		goos           string
		tty            bool
		catch, forward []os.Signal
	}{
		// At a terminal, Ctrl-C and Ctrl-\ reach the child from it.
		{"linux", true, []os.Signal{syscall.SIGTERM, syscall.SIGHUP}, []os.Signal{syscall.SIGTERM, syscall.SIGHUP}},
		{"darwin", false,
			[]os.Signal{syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT},
			[]os.Signal{syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT}},
		// Windows: the console's events reach the child (same console, same
		// group); kagi only outlives them and waits.
		{"windows", true, []os.Signal{os.Interrupt, syscall.SIGTERM}, nil},
		{"windows", false, []os.Signal{os.Interrupt, syscall.SIGTERM}, nil},
	} {
		catch, forward := execSignals(tc.goos, tc.tty)
		if !slices.Equal(catch, tc.catch) || !slices.Equal(forward, tc.forward) {
			t.Errorf("execSignals(%s, tty=%v) = %v, %v; want %v, %v", tc.goos, tc.tty, catch, forward, tc.catch, tc.forward)
		}
		for _, s := range forward {
			if !slices.Contains(catch, s) {
				t.Errorf("execSignals(%s, tty=%v): %v passed on but not caught", tc.goos, tc.tty, s)
			}
		}
	}
}

func TestDefaultShell(t *testing.T) {
	found := func(dirs ...string) func(string) (string, error) {
		return func(p string) (string, error) {
			if slices.Contains(dirs, p) {
				return p, nil
			}
			return "", errors.New("not found")
		}
	}
	for _, tc := range []struct {
		goos string
		env  map[string]string
		look func(string) (string, error)
		want string
	}{
		{"linux", map[string]string{"SHELL": "/bin/zsh"}, found(), "/bin/zsh"},
		{"linux", nil, found(), "/bin/sh"},
		{"darwin", map[string]string{"SHELL": ""}, found(), "/bin/sh"},
		{"windows", map[string]string{"ComSpec": `C:\Windows\system32\cmd.exe`}, found(), `C:\Windows\system32\cmd.exe`},
		{"windows", nil, found(), "cmd.exe"},
		// Git Bash's SHELL is a path only MSYS programs understand.
		{"windows", map[string]string{"SHELL": "/usr/bin/bash", "ComSpec": `C:\Windows\system32\cmd.exe`}, found(), `C:\Windows\system32\cmd.exe`},
		{"windows", map[string]string{"SHELL": "pwsh.exe", "ComSpec": `C:\Windows\system32\cmd.exe`}, found("pwsh.exe"), "pwsh.exe"},
	} {
		env := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
		if got := defaultShell(tc.goos, env, tc.look); got != tc.want {
			t.Errorf("defaultShell(%s, %v) = %q, want %q", tc.goos, tc.env, got, tc.want)
		}
	}
}

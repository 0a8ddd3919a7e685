package cli

import (
	"errors"
	"fmt"
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

func TestManySignalsAndGroups(t *testing.T) {
	if got := manySignals("windows"); !slices.Equal(got, []os.Signal{os.Interrupt, syscall.SIGTERM}) {
		t.Errorf("manySignals(windows) = %v", got)
	}
	if got := manySignals("linux"); !slices.Equal(got, []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}) {
		t.Errorf("manySignals(linux) = %v", got)
	}
	for _, tc := range []struct {
		goos string
		tty  bool
		want bool
	}{
		{"linux", true, false}, // a child in another group would be in the background
		{"linux", false, true},
		{"darwin", false, true},
		{"windows", true, true}, // CREATE_NEW_PROCESS_GROUP, terminal or not
		{"windows", false, true},
	} {
		if got := manyOwnGroup(tc.goos, tc.tty); got != tc.want {
			t.Errorf("manyOwnGroup(%s, tty=%v) = %v, want %v", tc.goos, tc.tty, got, tc.want)
		}
	}
}

func TestManyStep(t *testing.T) {
	for _, tc := range []struct {
		goos string
		sig  os.Signal
		n    int
		tty  bool
		want manyAction
	}{
		{"linux", syscall.SIGINT, 1, true, actNone}, // the terminal sent it
		{"linux", syscall.SIGINT, 2, true, actNone},
		{"linux", syscall.SIGTERM, 1, true, actSignal},
		{"linux", syscall.SIGHUP, 1, true, actSignal},
		{"linux", syscall.SIGINT, 1, false, actSignalGroup},
		{"darwin", syscall.SIGTERM, 5, false, actSignalGroup},
		// Windows: Ctrl-Break to the child's group, twice (Terraform's clean
		// stop, then its "stop now"), then a kill.
		{"windows", os.Interrupt, 1, true, actCtrlBreak},
		{"windows", os.Interrupt, 2, false, actCtrlBreak},
		{"windows", syscall.SIGTERM, 1, false, actCtrlBreak},
		{"windows", os.Interrupt, 3, true, actKill},
		{"windows", os.Interrupt, 7, false, actKill},
	} {
		if got := manyStep(tc.goos, tc.sig, tc.n, tc.tty); got != tc.want {
			t.Errorf("manyStep(%s, %v, %d, tty=%v) = %v, want %v", tc.goos, tc.sig, tc.n, tc.tty, got, tc.want)
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

func (a manyAction) String() string {
	return fmt.Sprint([...]string{"none", "signal", "signal group", "ctrl-break", "kill"}[a])
}

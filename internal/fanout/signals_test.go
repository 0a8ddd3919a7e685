package fanout

import (
	"os"
	"slices"
	"syscall"
	"testing"
)

func TestSignalsAndGroups(t *testing.T) {
	if got := Signals("windows"); !slices.Equal(got, []os.Signal{os.Interrupt, syscall.SIGTERM}) {
		t.Errorf("Signals(windows) = %v", got)
	}
	if got := Signals("linux"); !slices.Equal(got, []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}) {
		t.Errorf("Signals(linux) = %v", got)
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
		if got := OwnGroup(tc.goos, tc.tty); got != tc.want {
			t.Errorf("OwnGroup(%s, tty=%v) = %v, want %v", tc.goos, tc.tty, got, tc.want)
		}
	}
}

func TestStep(t *testing.T) {
	for _, tc := range []struct {
		goos string
		sig  os.Signal
		n    int
		tty  bool
		want Action
	}{
		{"linux", syscall.SIGINT, 1, true, ActNone}, // the terminal sent it
		{"linux", syscall.SIGINT, 2, true, ActNone},
		{"linux", syscall.SIGTERM, 1, true, ActSignal},
		{"linux", syscall.SIGHUP, 1, true, ActSignal},
		{"linux", syscall.SIGINT, 1, false, ActSignalGroup},
		{"darwin", syscall.SIGTERM, 5, false, ActSignalGroup},
		// Windows: Ctrl-Break to the child's group, twice (Terraform's clean
		// stop, then its "stop now"), then a kill.
		{"windows", os.Interrupt, 1, true, ActCtrlBreak},
		{"windows", os.Interrupt, 2, false, ActCtrlBreak},
		{"windows", syscall.SIGTERM, 1, false, ActCtrlBreak},
		{"windows", os.Interrupt, 3, true, ActKill},
		{"windows", os.Interrupt, 7, false, ActKill},
	} {
		if got := Step(tc.goos, tc.sig, tc.n, tc.tty); got != tc.want {
			t.Errorf("Step(%s, %v, %d, tty=%v) = %v, want %v", tc.goos, tc.sig, tc.n, tc.tty, got, tc.want)
		}
	}
}

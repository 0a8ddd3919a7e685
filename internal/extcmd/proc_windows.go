//go:build windows

package extcmd

import (
	"os"
	"os/exec"
	"sync"

	"golang.org/x/sys/windows"
)

// startGroup puts the helper in a Job Object of its own, so that a timeout
// or cancellation ends it and everything it started (a .cmd script and the
// programs it runs) at once, with TerminateJobObject: Windows has no
// process groups to kill. There is no terminal to keep it in the
// foreground of, so unlike on Unix it is always done.
//
// The job is not JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE: as on Unix, what a
// helper that exited by itself left running (an agent it started) is its
// own business. A process the helper starts in the instant between its
// creation and AssignProcessToJobObject is outside the job; a helper
// starts nothing that fast.
func startGroup(cmd *exec.Cmd, _ bool) group {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return noGroup{}
	}
	g := &jobGroup{job: job}
	cmd.Cancel = func() error {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.assigned {
			if err := windows.TerminateJobObject(g.job, 1); err == nil {
				return nil
			}
		}
		return cmd.Process.Kill()
	}
	return g
}

// jobGroup is a helper's Job Object.
type jobGroup struct {
	job      windows.Handle
	mu       sync.Mutex
	assigned bool // the helper is in the job
}

// started moves p into the job. os.Process holds a handle to it until it
// is waited for, so its pid cannot name another process yet. When that
// fails (an old Windows without nested jobs, and kagi is in a job), a
// timeout kills the helper alone.
func (g *jobGroup) started(p *os.Process) {
	h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, uint32(p.Pid))
	if err != nil {
		return
	}
	defer windows.CloseHandle(h)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.assigned = windows.AssignProcessToJobObject(g.job, h) == nil
}

func (g *jobGroup) close() { windows.CloseHandle(g.job) }

//go:build windows

package cli

import (
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

// bindChild ties the command exec runs to kagi's life: on Unix kagi execs
// it, so whoever ends kagi (Task Manager, a CI runner that kills the pid
// it started) ends the command; on Windows the command is a child, and
// would run on without its parent, with credentials and its exit code
// lost. So it goes into a Job Object that ends it when kagi's handle to the
// job closes, at kagi's exit whichever way it comes. What the command
// starts leaves the job silently (JOB_OBJECT_LIMIT_SILENT_BREAKAWAY_OK),
// so only the command is bound, as on Unix, and nothing it started
// survives or dies differently from there. When the job cannot be made
// (kagi in a job that forbids it), the command runs unbound.
func bindChild(p *os.Process) (release func()) {
	nothing := func() {}
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return nothing
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{
		BasicLimitInformation: windows.JOBOBJECT_BASIC_LIMIT_INFORMATION{
			LimitFlags: windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | windows.JOB_OBJECT_LIMIT_SILENT_BREAKAWAY_OK,
		},
	}
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return nothing
	}
	// os.Process holds a handle to the child until it is waited for, so
	// its pid names no other process yet.
	h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, uint32(p.Pid))
	if err != nil {
		windows.CloseHandle(job)
		return nothing
	}
	defer windows.CloseHandle(h)
	if err := windows.AssignProcessToJobObject(job, h); err != nil {
		windows.CloseHandle(job)
		return nothing
	}
	// Called once the command exited: the job is empty, and closing it
	// ends nothing.
	return func() { windows.CloseHandle(job) }
}

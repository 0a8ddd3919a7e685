//go:build windows

package picker

import (
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	kernel32              = windows.NewLazySystemDLL("kernel32.dll")
	procPeekConsoleInputW = kernel32.NewProc("PeekConsoleInputW")
	procReadConsoleInputW = kernel32.NewProc("ReadConsoleInputW")
)

// readChunks sends what is read from the console input f until a read
// fails or stop is closed. A console read cannot be ended by closing its
// handle, and one left waiting after the picker would take the first key
// typed to the command kagi then runs (on Windows a child in kagi's
// console): so it reads only when a typed character waits in the input
// buffer, looking every 50 ms, and stops looking once stop is closed.
func readChunks(f *os.File, out chan<- chunk, stop <-chan struct{}) {
	buf := make([]byte, 256)
	rc, err := f.SyscallConn()
	for {
		select {
		case <-stop:
			return
		default:
		}
		ready := false
		if err == nil {
			if cerr := rc.Control(func(fd uintptr) { ready, err = charWaiting(windows.Handle(fd)) }); cerr != nil {
				err = cerr
			}
		}
		var n int
		if err == nil && ready {
			n, err = f.Read(buf)
		}
		if n == 0 && err == nil {
			continue
		}
		select {
		case out <- chunk{b: append([]byte(nil), buf[:n]...), err: err}:
		case <-stop:
			return
		}
		if err != nil {
			return
		}
	}
}

// charWaiting waits up to 50 ms for console input and reports whether a
// typed character is there; events that are not (key releases, focus,
// mouse, size) are taken out of the buffer, or the handle would stay
// signalled.
func charWaiting(h windows.Handle) (bool, error) {
	ev, err := windows.WaitForSingleObject(h, 50)
	if err != nil {
		return false, err
	}
	if ev != windows.WAIT_OBJECT_0 {
		return false, nil
	}
	var recs [32]consoleInputRecord
	var n uint32
	if r, _, err := procPeekConsoleInputW.Call(uintptr(h), uintptr(unsafe.Pointer(&recs[0])), uintptr(len(recs)), uintptr(unsafe.Pointer(&n))); r == 0 {
		return false, err
	}
	if consoleHasChar(recs[:n]) {
		return true, nil
	}
	if n > 0 {
		if r, _, err := procReadConsoleInputW.Call(uintptr(h), uintptr(unsafe.Pointer(&recs[0])), uintptr(n), uintptr(unsafe.Pointer(&n))); r == 0 {
			return false, err
		}
	}
	return false, nil
}

//go:build windows

package picker

import (
	"os"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	kernel32              = windows.NewLazySystemDLL("kernel32.dll")
	procPeekConsoleInputW = kernel32.NewProc("PeekConsoleInputW")
	procReadConsoleInputW = kernel32.NewProc("ReadConsoleInputW")
)

// readChunks reads from the console input f each time want ticks and
// sends what it read, until a read fails or stop is closed. A console read
// cannot be ended by closing its handle, and one left waiting after the
// picker would take the first key typed to the command kagi then runs (on
// Windows a child in kagi's console): so it reads only when a typed
// character waits in the input buffer, looking every 50 ms, and stops
// looking once stop is closed. It reads one byte at a time, and only when
// asked, so that what is typed after the Enter that ends the picker stays
// in the console for what runs next.
func readChunks(f *os.File, out chan<- chunk, want <-chan struct{}, stop <-chan struct{}) {
	var buf [1]byte
	var partial []byte // the bytes of a character begun
	rc, err := f.SyscallConn()
	select {
	case <-want:
	case <-stop:
		return
	}
	for {
		select {
		case <-stop:
			return
		default:
		}
		// Go's console reader turns a character into its UTF-8 bytes and
		// hands them out one read at a time: the rest of a character
		// begun is read at once, with nothing left in the console to wait
		// for.
		ready := len(partial) > 0
		if err == nil && !ready {
			if cerr := rc.Control(func(fd uintptr) { ready, err = charWaiting(windows.Handle(fd)) }); cerr != nil {
				err = cerr
			}
		}
		var n int
		if err == nil && ready {
			n, err = f.Read(buf[:])
		}
		if n == 0 && err == nil {
			continue
		}
		if n == 1 && buf[0] >= 0x80 {
			if partial = append(partial, buf[0]); utf8.FullRune(partial) {
				partial = partial[:0]
			}
		} else {
			partial = partial[:0]
		}
		select {
		case out <- chunk{b: append([]byte(nil), buf[:n]...), err: err}:
		case <-stop:
			return
		}
		if err != nil {
			return
		}
		select {
		case <-want:
		case <-stop:
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

//go:build !windows

package picker

import "os"

// readChunks reads one byte from f each time want ticks and sends it,
// until a read fails (f closed: on Unix closing the terminal ends a read
// still waiting) or stop is closed. One byte, and only when asked: what is
// typed after the Enter that ends the picker stays in the terminal for
// the shell (or the command kagi runs) to read. A key's bytes (an escape
// sequence, a UTF-8 character) come one read each; decode puts them
// together.
func readChunks(f *os.File, out chan<- chunk, want <-chan struct{}, stop <-chan struct{}) {
	var buf [1]byte
	for {
		select {
		case <-want:
		case <-stop:
			return
		}
		var n int
		var err error
		for n == 0 && err == nil {
			n, err = f.Read(buf[:])
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

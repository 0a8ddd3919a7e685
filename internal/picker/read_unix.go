//go:build !windows

package picker

import "os"

// readChunks sends what is read from f until a read fails (f closed: on
// Unix closing the terminal ends a read still waiting) or stop is closed.
func readChunks(f *os.File, out chan<- chunk, stop <-chan struct{}) {
	buf := make([]byte, 256)
	for {
		n, err := f.Read(buf)
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

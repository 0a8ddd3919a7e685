package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/windows"
)

// createTemp creates Write's temporary file. Windows does not let another
// process remove a file that is open, which protects it while it is written.
func createTemp(dir, pattern string) (*os.File, error) { return os.CreateTemp(dir, pattern) }

// renameAndClose closes the file first: Windows cannot rename an open file.
// A rename over a file someone holds open without FILE_SHARE_DELETE fails
// until they close it, so it is retried for a while (see retryTransient).
func renameAndClose(f *os.File, tmp, path string) error {
	if err := f.Close(); err != nil {
		return err
	}
	return retryTransient(func() error { return os.Rename(tmp, path) }, busyFile, renameBudget, time.Sleep)
}

// renameBudget bounds the retries of a rename, as Go's robustio does.
const renameBudget = 2 * time.Second

// busyFile reports whether err says another process has the file open.
func busyFile(err error) bool {
	return errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_SHARING_VIOLATION)
}

// staleAfter is how old a temporary file must be for RemoveStale on
// Windows, where it cannot be locked across the rename: far longer than
// any write takes.
const staleAfter = 10 * time.Minute

// RemoveStale removes from dir the temporary files that Writes (with a
// pattern starting with prefix) left when their writer died. On Windows an
// open file cannot be removed, and a closed one is taken as stale once it
// is older than staleAfter. Errors are ignored.
func RemoveStale(dir, prefix string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) || !e.Type().IsRegular() {
			continue
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > staleAfter {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

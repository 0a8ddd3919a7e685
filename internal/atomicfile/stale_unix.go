//go:build unix

package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// createTemp creates Write's temporary file and takes an exclusive flock
// on it, held until the file is renamed and closed: the kernel drops it
// when the writer dies, even by SIGKILL, which is how RemoveStale tells a
// dead writer's file from a live one's. On a file system without flock the
// file is used unlocked (RemoveStale leaves such files alone).
func createTemp(dir, pattern string) (*os.File, error) {
	for range 10 {
		f, err := os.CreateTemp(dir, pattern)
		if err != nil {
			return nil, err
		}
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err != nil && !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			return f, nil // no locks here
		}
		if err == nil {
			// A RemoveStale that opened the file between its creation and
			// the lock took the lock first and removed it: a file no one
			// can see any more would be renamed in vain.
			var st unix.Stat_t
			if err := unix.Fstat(int(f.Fd()), &st); err == nil && st.Nlink > 0 {
				return f, nil
			}
		}
		f.Close()
		os.Remove(f.Name()) // RemoveStale's, which is removing it anyway
	}
	return nil, fmt.Errorf("cannot create a temporary file in %s: each was removed as stale as it was made", dir)
}

// renameAndClose renames the temporary file while its lock is still held,
// then closes it: renaming an open file is fine on Unix.
func renameAndClose(f *os.File, tmp, path string) error {
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return f.Close()
}

// RemoveStale removes from dir the temporary files that Writes (with a
// pattern starting with prefix) left when their writer died between
// creating and renaming them (kill -9, power loss). Such files may hold
// secrets, so a writer calls this before it writes. A file whose lock a
// live writer holds is left alone, so it is safe without any other lock.
// Errors are ignored: a leftover file does not harm the next write.
func RemoveStale(dir, prefix string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) && e.Type().IsRegular() {
			removeIfUnlocked(filepath.Join(dir, e.Name()))
		}
	}
}

func removeIfUnlocked(path string) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return
	}
	defer f.Close()
	if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
		return // a live writer's, or a file system without locks
	}
	os.Remove(path)
}

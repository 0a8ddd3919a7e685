//go:build unix

package cache

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Polling bounds for a busy lock. flock(2) cannot be interrupted by a
// context, so a waiter retries LOCK_NB with a growing, jittered pause; the
// ceiling keeps the extra wait after a release small next to an STS call.
const (
	lockPollMin = time.Millisecond
	lockPollMax = 25 * time.Millisecond
)

// fileLocks hands out flock(2) locks on "<key>.lock" files in dir. flock
// locks belong to an open file description, so two opens in one process
// exclude each other just as two processes do, and the kernel drops the
// lock when the holder dies, even by SIGKILL. Lock files hold no data.
type fileLocks struct{ dir string }

func (l fileLocks) path(key string) string { return filepath.Join(l.dir, key+lockSuffix) }

// lock blocks until this caller holds key's lock or ctx is done.
func (l fileLocks) lock(ctx context.Context, key string) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path := l.path(key)
	pause := lockPollMin
	for {
		fd, held, err := openAndTryLock(path)
		if err != nil {
			return nil, err
		}
		for !held {
			// Keep the descriptor while waiting: no open/close per poll.
			t := time.NewTimer(pause/2 + rand.N(pause/2+1))
			select {
			case <-ctx.Done():
				t.Stop()
				unix.Close(fd)
				return nil, fmt.Errorf("wait for the lock on cache entry %q: %w", key, ctx.Err())
			case <-t.C:
			}
			pause = min(2*pause, lockPollMax)
			if held, err = tryFlock(fd); err != nil {
				unix.Close(fd)
				return nil, fmt.Errorf("lock %q: %w", path, err)
			}
		}
		// Prune may have unlinked the file while we waited on it; a lock
		// on an unlinked inode excludes nobody, so check and start over.
		if current(fd, path) {
			return unlocker(fd), nil
		}
		unix.Close(fd)
	}
}

// tryLock takes key's lock if it is free at once; ok is false when another
// holder has it.
func (l fileLocks) tryLock(key string) (unlock func(), ok bool, err error) {
	path := l.path(key)
	fd, held, err := openAndTryLock(path)
	if err != nil || !held {
		if err == nil {
			unix.Close(fd)
		}
		return nil, false, err
	}
	if !current(fd, path) {
		unix.Close(fd)
		return nil, false, nil
	}
	return unlocker(fd), true, nil
}

func openAndTryLock(path string) (fd int, held bool, err error) {
	for {
		fd, err = unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0o600)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return -1, false, fmt.Errorf("open lock file %q: %w", path, err)
	}
	held, err = tryFlock(fd)
	if err != nil {
		unix.Close(fd)
		return -1, false, fmt.Errorf("lock %q: %w", path, err)
	}
	return fd, held, nil
}

func tryFlock(fd int) (bool, error) {
	for {
		err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, unix.EWOULDBLOCK):
			return false, nil
		case err != unix.EINTR:
			return false, err
		}
	}
}

// current reports whether fd is still the file at path.
func current(fd int, path string) bool {
	var a, b unix.Stat_t
	if unix.Fstat(fd, &a) != nil || unix.Stat(path, &b) != nil {
		return false
	}
	return a.Dev == b.Dev && a.Ino == b.Ino
}

// unlocker releases by closing: closing the only descriptor of the open
// file description drops the flock. Calling it again does nothing.
func unlocker(fd int) func() {
	var once sync.Once
	return func() { once.Do(func() { unix.Close(fd) }) }
}

// removeIdle removes the lock files of keys for which keep is false and
// whose lock no one holds. Each is unlinked while held: a waiter that
// opened it before notices (see lock) and takes a fresh one.
func (l fileLocks) removeIdle(ctx context.Context, keep func(key string) bool) error {
	des, err := os.ReadDir(l.dir)
	if err != nil {
		return fmt.Errorf("prune lock files: %w", err)
	}
	for _, de := range des {
		if err := ctx.Err(); err != nil {
			return err
		}
		key, ok := strings.CutSuffix(de.Name(), lockSuffix)
		if !ok || !ValidKey(key) || keep(key) {
			continue
		}
		unlock, held, err := l.tryLock(key)
		if err != nil {
			return err
		}
		if held {
			os.Remove(l.path(key))
			unlock()
		}
	}
	return nil
}

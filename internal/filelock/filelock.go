// Package filelock is kagi's one cross-process lock: an exclusive lock on
// a file (flock(2) on Unix, LockFileEx on Windows) that the system drops
// when its holder dies, even by SIGKILL or TerminateProcess, and that a
// waiter can give up on when its context is done. The cache locks its
// entries with it and credfile its edits of the shared credentials file.
package filelock

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// Polling bounds for a busy lock. Neither flock(2) nor LockFileEx can be
// interrupted by a context, so a waiter retries the non-blocking form with
// a growing, jittered pause; the ceiling keeps the extra wait after a
// release small next to an STS call.
const (
	pollMin = time.Millisecond
	pollMax = 25 * time.Millisecond
)

// Lock blocks until this caller holds the lock of path (created 0600 when
// missing) or ctx is done; the error then wraps ctx.Err(). Two Locks of
// one path exclude each other within a process as across processes.
//
// A lock file may be removed by its holder (File.UnlockAndRemove) while
// others wait on it: on Unix a waiter that then gets the old file's lock
// notices that the file is no longer at path and starts over; Windows
// does not let an open lock file be removed at all.
func Lock(ctx context.Context, path string) (*File, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	pause := pollMin
	for {
		f, held, err := openAndTry(path)
		if err != nil {
			return nil, err
		}
		for !held {
			// Keep the file open while waiting: no open/close per poll.
			t := time.NewTimer(pause/2 + rand.N(pause/2+1))
			select {
			case <-ctx.Done():
				t.Stop()
				f.close()
				return nil, fmt.Errorf("wait for the lock on %q: %w", path, ctx.Err())
			case <-t.C:
			}
			pause = min(2*pause, pollMax)
			if held, err = f.tryLock(); err != nil {
				f.close()
				return nil, fmt.Errorf("lock %q: %w", path, err)
			}
		}
		if f.current(path) {
			return f, nil
		}
		f.close()
	}
}

// TryLock takes the lock of path if it is free at once; ok is false when
// another holder has it.
func TryLock(path string) (f *File, ok bool, err error) {
	f, held, err := openAndTry(path)
	if err != nil {
		return nil, false, err
	}
	if !held || !f.current(path) {
		f.close()
		return nil, false, nil
	}
	return f, true, nil
}

func openAndTry(path string) (*File, bool, error) {
	f, err := open(path)
	if err != nil {
		return nil, false, fmt.Errorf("open lock file %q: %w", path, err)
	}
	held, err := f.tryLock()
	if err != nil {
		f.close()
		return nil, false, fmt.Errorf("lock %q: %w", path, err)
	}
	return f, held, nil
}

// Unlock releases the lock. Calling it again does nothing.
func (f *File) Unlock() { f.once.Do(f.close) }

// UnlockAndRemove removes the lock file and releases the lock, in the
// order the system needs so that no waiter ever holds a lock on a file
// that is no longer at path while another holds the one that is. It is
// best effort: a lock file that cannot be removed now stays.
func (f *File) UnlockAndRemove() { f.once.Do(f.closeAndRemove) }

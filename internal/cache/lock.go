package cache

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kagi-cli/kagi/internal/filelock"
)

// fileLocks hands out the locks of "<key>.lock" files in dir (see
// filelock: the system drops a lock when its holder dies, even by SIGKILL
// or TerminateProcess). Lock files hold no data.
type fileLocks struct{ dir string }

func (l fileLocks) path(key string) string { return filepath.Join(l.dir, key+lockSuffix) }

// lock blocks until this caller holds key's lock or ctx is done.
func (l fileLocks) lock(ctx context.Context, key string) (func(), error) {
	f, err := filelock.Lock(ctx, l.path(key))
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("wait for the lock on cache entry %q: %w", key, ctx.Err())
		}
		return nil, err
	}
	return f.Unlock, nil
}

// tryLock takes key's lock if it is free at once; ok is false when another
// holder has it.
func (l fileLocks) tryLock(key string) (f *filelock.File, ok bool, err error) {
	return filelock.TryLock(l.path(key))
}

// removeIdle removes the lock files of keys for which keep is false and
// whose lock no one holds (see filelock.File.UnlockAndRemove).
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
		f, held, err := l.tryLock(key)
		if err != nil {
			return err
		}
		if held {
			f.UnlockAndRemove()
		}
	}
	return nil
}

package credfile

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kagi-cli/kagi/internal/filelock"
)

// lockWait is how long an edit waits for another process's edit.
const lockWait = 10 * time.Second

// lock takes the lock of path (see filelock; created 0600 if missing, and
// never removed, since removing a lock file races with its next user).
// The system drops it if the process dies, even by SIGKILL. The package's
// functions take no context, so the wait is bounded here.
func lock(path string) (unlock func(), err error) {
	ctx, cancel := context.WithTimeout(context.Background(), lockWait)
	defer cancel()
	f, err := filelock.Lock(ctx, path)
	if errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("%s is locked by another process (another kagi editing the credentials file?) for over %v", path, lockWait)
	}
	if err != nil {
		return nil, err
	}
	return f.Unlock, nil
}

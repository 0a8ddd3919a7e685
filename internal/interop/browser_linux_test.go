package interop

import (
	"os"
	"testing"
	"time"
)

// browserProfileDir is a directory for a Chromium profile, removed when
// the test ends, after the cleanups registered later (those that end the
// browser) have run. Not t.TempDir: a helper process of Chromium's (the
// network service writes cookies there) can still be writing into the
// profile for a moment after the browser was ended, and t.TempDir's one
// attempt at removing it would fail the test.
func browserProfileDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "kagi-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeAllRetrying(t, dir, 10*time.Second) })
	return dir
}

// removeAllRetrying removes dir, trying again while a process that is
// still dying writes into it, and fails the test if it cannot within limit.
func removeAllRetrying(t *testing.T, dir string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		err := os.RemoveAll(dir)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("removing %s: %v", dir, err)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

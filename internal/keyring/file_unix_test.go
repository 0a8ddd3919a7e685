//go:build unix

package keyring_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/fsguard"
)

// TestFileSetRemovesStaleTempFiles: a writer that died at the rename left
// its temporary file, holding an item, in the directory forever; the next
// Set removes it (and leaves the file of a writer still at work alone: see
// atomicfile.RemoveStale).
func TestFileSetRemovesStaleTempFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	kr := openFile(t, dir, "p", nil)
	if err := kr.Set(ctx, "keys:a", []byte("x")); err != nil {
		t.Fatal(err)
	}
	item, err := os.ReadFile(filepath.Join(dir, "keys%3Aa.item"))
	if err != nil {
		t.Fatal(err)
	}
	// What a writer killed before its rename leaves: its whole item.
	if err := os.WriteFile(filepath.Join(dir, ".tmp-1234567"), item, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := openFile(t, dir, "p", nil).Set(ctx, "keys:b", []byte("y")); err != nil {
		t.Fatal(err)
	}
	checkNoTempFiles(t, dir)
}

// TestFileItemThatIsNotAFile: a FIFO or an oversized file planted as an
// item is refused at once, not waited on or read into memory.
func TestFileItemThatIsNotAFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "keys%3Afifo.item")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "keys%3Abig.item")
	if err := os.WriteFile(big, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, fsguard.MaxKeyring+1); err != nil {
		t.Fatal(err)
	}
	kr := openFile(t, dir, "p", nil)
	for _, tc := range []struct {
		name string
		call func() error
		want string
	}{
		{"Get FIFO", func() error { _, err := kr.Get(ctx, "keys:fifo"); return err }, "file keyring: " + fifo + " is a FIFO, not a regular file"},
		{"Get big", func() error { _, err := kr.Get(ctx, "keys:big"); return err }, "file keyring: " + big + " is larger than 1 MiB, more than such a file can hold"},
		{"List", func() error { _, err := kr.List(ctx); return err }, "file keyring: "},
	} {
		done := make(chan error, 1)
		go func() { done <- tc.call() }()
		select {
		case err := <-done:
			var nr *fsguard.NotRegularError
			var tl *fsguard.TooLargeError
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) || !(errors.As(err, &nr) || errors.As(err, &tl)) {
				t.Errorf("%s: got %v, want %s", tc.name, err, tc.want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s still running after 10s", tc.name)
		}
	}
}

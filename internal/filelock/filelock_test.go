package filelock

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLockExcludesWithinAProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.lock")
	var holders, most atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10 {
				f, err := Lock(context.Background(), path)
				if err != nil {
					t.Error(err)
					return
				}
				n := holders.Add(1)
				if n > most.Load() {
					most.Store(n)
				}
				time.Sleep(50 * time.Microsecond) // hold it for a moment
				holders.Add(-1)
				f.Unlock()
			}
		})
	}
	wg.Wait()
	if m := most.Load(); m != 1 {
		t.Fatalf("%d holders at once", m)
	}
}

func TestLockRespectsContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.lock")
	f, err := Lock(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if g, ok, err := TryLock(path); ok || err != nil {
		if ok {
			g.Unlock()
		}
		t.Fatalf("TryLock of a held lock = %v, %v", ok, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if g, err := Lock(ctx, path); !errors.Is(err, context.DeadlineExceeded) {
		if err == nil {
			g.Unlock()
		}
		t.Fatalf("Lock of a held lock with a deadline: %v", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if _, err := Lock(ctx, path); !errors.Is(err, context.Canceled) {
		t.Fatalf("Lock with a cancelled context: %v", err)
	}
	f.Unlock()
	f.Unlock() // a second call does nothing
	g, ok, err := TryLock(path)
	if !ok || err != nil {
		t.Fatalf("TryLock after Unlock = %v, %v", ok, err)
	}
	g.Unlock()
	if fi, err := os.Stat(path); err != nil || (fi.Mode().Perm()&0o077 != 0 && !onWindows) {
		t.Fatalf("lock file: %v, %v; want it kept, private", fi, err)
	}
}

// A lock file removed by its holder while another waits on it: the waiter
// ends up holding the lock of the file at path, never that of a removed
// one while someone else holds the current one.
func TestUnlockAndRemoveWithAWaiter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.lock")
	first, err := Lock(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *File, 1)
	go func() {
		f, err := Lock(context.Background(), path)
		if err != nil {
			t.Error(err)
		}
		got <- f
	}()
	first.UnlockAndRemove()
	var waiter *File
	select {
	case waiter = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the waiter never got the lock")
	}
	// Whatever order things happened in, the waiter's lock excludes a
	// newcomer on the same path.
	if g, ok, err := TryLock(path); ok || err != nil {
		if ok {
			g.Unlock()
		}
		t.Fatalf("a newcomer took the lock the waiter holds: %v, %v", ok, err)
	}
	waiter.Unlock()
}

const envHold = "KAGI_FILELOCK_HOLD"

// The lock of a process that is killed is released.
func TestLockReleasedWhenHolderIsKilled(t *testing.T) {
	if path := os.Getenv(envHold); path != "" {
		if _, err := Lock(context.Background(), path); err != nil {
			t.Fatal(err)
		}
		os.Stdout.WriteString("filelock: locked\n")
		io.Copy(io.Discard, os.Stdin) // until killed, or the parent goes
		return
	}
	path := filepath.Join(t.TempDir(), "a.lock")
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockReleasedWhenHolderIsKilled$", "-test.count=1")
	cmd.Env = append(os.Environ(), envHold+"="+path)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
	locked := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "filelock: locked" {
				locked <- true
			}
		}
	}()
	select {
	case <-locked:
	case <-time.After(30 * time.Second):
		t.Fatal("the child did not take the lock within 30s")
	}
	if g, ok, err := TryLock(path); ok || err != nil {
		if ok {
			g.Unlock()
		}
		t.Fatalf("took a lock another process holds: %v, %v", ok, err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f, err := Lock(ctx, path)
	if err != nil {
		t.Fatalf("the lock of a killed holder was not released: %v", err)
	}
	f.Unlock()
}

// Package cachetest is the conformance suite every cache.Store must pass.
package cachetest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/cache"
)

// Subject is a Store implementation under test.
type Subject struct {
	// Open returns the store kept under dir, an empty directory the suite
	// owns. Called again with the same dir, in this process or in a child
	// process, it must return a store that shares the first one's locks.
	Open func(t *testing.T, dir string) cache.Store
	// WriteRaw stores data as key's entry in s, bypassing Put, so the
	// suite can plant corrupt entries.
	WriteRaw func(t *testing.T, s cache.Store, key string, data []byte)
	// Sealed says the store keeps entries in files on persistent disk,
	// encrypted: no file under its directory may hold a secret in clear.
	Sealed bool
}

// Environment of the child process that holds a lock until it is killed.
const (
	envHoldDir = "KAGI_CACHETEST_HOLD_DIR"
	envHoldKey = "KAGI_CACHETEST_HOLD_KEY"
	lockedLine = "cachetest: locked"
)

// A secret that must never show in an error.
const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

// Keys look like the digests kagi uses.
func key(n int) string { return fmt.Sprintf("%064x", n+0xabc0) }

func entry(tag string) cache.Entry {
	return cache.Entry{
		AccessKeyID:     "ASIA" + strings.ToUpper(tag) + "EXAMPLE",
		SecretAccessKey: secret + "-" + tag,
		SessionToken:    "token-" + tag + strings.Repeat("x", 300),
		Expiration:      time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
		Profile:         "profile-" + tag,
		Kind:            "role",
		Detail:          "arn:aws:iam::123456789012:role/" + tag,
		Root:            fmt.Sprintf("%064x", tag[0]),
	}
}

func failure(msg string) cache.Failure {
	return cache.Failure{Message: msg, Hint: "check the network", When: time.Date(2030, 1, 2, 3, 4, 5, 6000, time.UTC)}
}

func sameFailure(a, b cache.Failure) bool {
	if (a.Code == nil) != (b.Code == nil) || a.Code != nil && (string(a.Code.Salt) != string(b.Code.Salt) || a.Code.Tag != b.Code.Tag || a.Code.Generated != b.Code.Generated) {
		return false
	}
	return a.Message == b.Message && a.Hint == b.Hint && a.When.Equal(b.When)
}

func same(a, b cache.Entry) bool {
	return a.AccessKeyID == b.AccessKeyID && a.SecretAccessKey == b.SecretAccessKey &&
		a.SessionToken == b.SessionToken && a.Expiration.Equal(b.Expiration) &&
		a.Profile == b.Profile && a.Kind == b.Kind && a.Detail == b.Detail && a.Root == b.Root
}

// noSecret fails t if err's text holds a secret.
func noSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range append(secrets, secret) {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error %q reveals a secret", err)
		}
	}
}

// Conformance runs the Store contract against sub.
func Conformance(t *testing.T, sub Subject) {
	open := func(t *testing.T) (cache.Store, string) {
		dir := t.TempDir()
		return sub.Open(t, dir), dir
	}
	ctx := context.Background()

	t.Run("RoundTrip", func(t *testing.T) {
		s, _ := open(t)
		want := entry("a")
		if err := s.Put(ctx, key(1), want); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, key(1))
		if err != nil {
			t.Fatal(err)
		}
		if !same(got, want) {
			t.Fatalf("Get = %+v, want %+v", got, want)
		}
	})

	t.Run("GetMissing", func(t *testing.T) {
		s, _ := open(t)
		_, err := s.Get(ctx, key(1))
		if !errors.Is(err, cache.ErrNotFound) {
			t.Fatalf("Get of a missing key: %v, want ErrNotFound", err)
		}
	})

	t.Run("Replace", func(t *testing.T) {
		s, _ := open(t)
		for _, tag := range []string{"old", "new"} {
			if err := s.Put(ctx, key(1), entry(tag)); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Get(ctx, key(1))
		if err != nil || !same(got, entry("new")) {
			t.Fatalf("Get after replace = %+v, %v; want the new entry", got, err)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		s, _ := open(t)
		if err := s.Put(ctx, key(1), entry("a")); err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, key(2), entry("b")); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, key(1)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, key(1)); !errors.Is(err, cache.ErrNotFound) {
			t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
		}
		if _, err := s.Get(ctx, key(2)); err != nil {
			t.Fatalf("Delete took another key with it: %v", err)
		}
		if err := s.Delete(ctx, key(1)); err != nil {
			t.Fatalf("Delete of a missing key: %v, want nil", err)
		}
	})

	t.Run("List", func(t *testing.T) {
		s, _ := open(t)
		if infos, err := s.List(ctx); err != nil || len(infos) != 0 {
			t.Fatalf("List of an empty store = %v, %v", infos, err)
		}
		expired := entry("c")
		expired.Expiration = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
		expired.Kind = "session"
		want := map[string]cache.Entry{key(1): entry("a"), key(2): entry("b"), key(3): expired}
		for k, e := range want {
			if err := s.Put(ctx, k, e); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Delete(ctx, key(2)); err != nil {
			t.Fatal(err)
		}
		delete(want, key(2))
		infos, err := s.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(infos) != len(want) {
			t.Fatalf("List = %+v, want %d entries (expired ones included)", infos, len(want))
		}
		for _, in := range infos {
			e, ok := want[in.Key]
			if !ok {
				t.Fatalf("List has unknown key %q", in.Key)
			}
			if in.Profile != e.Profile || in.Kind != e.Kind || in.Detail != e.Detail || in.Root != e.Root || !in.Expiration.Equal(e.Expiration) {
				t.Errorf("List info %+v does not describe %+v", in, e)
			}
			delete(want, in.Key)
		}
	})

	t.Run("DeleteRoot", func(t *testing.T) {
		s, _ := open(t)
		a, b := entry("a"), entry("b")
		for i, e := range []cache.Entry{a, a, b} {
			if err := s.Put(ctx, key(i), e); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := cache.DeleteRoot(ctx, s, a.Root); err != nil || n != 2 {
			t.Fatalf("DeleteRoot = %d, %v; want 2 deleted", n, err)
		}
		if n, err := cache.DeleteRoot(ctx, s, ""); err != nil || n != 0 {
			t.Fatalf("DeleteRoot of no root = %d, %v", n, err)
		}
		infos, err := s.List(ctx)
		if err != nil || len(infos) != 1 || infos[0].Key != key(2) {
			t.Fatalf("after DeleteRoot: %+v, %v", infos, err)
		}
	})

	t.Run("InvalidKey", func(t *testing.T) {
		s, _ := open(t)
		for _, k := range []string{"", "../../etc/passwd", "ABCDEF0123456789ABCDEF", "abc", key(1) + "/x", "cache:" + key(1), strings.Repeat("a", 129)} {
			if _, err := s.Get(ctx, k); err == nil || errors.Is(err, cache.ErrNotFound) {
				t.Errorf("Get(%q) = %v, want an invalid key error", k, err)
			}
			if err := s.Put(ctx, k, entry("a")); err == nil {
				t.Errorf("Put(%q) succeeded", k)
			}
			if err := s.Delete(ctx, k); err == nil {
				t.Errorf("Delete(%q) succeeded", k)
			}
			if unlock, err := s.Lock(ctx, k); err == nil {
				unlock()
				t.Errorf("Lock(%q) succeeded", k)
			}
		}
	})

	t.Run("PutRefusesIncomplete", func(t *testing.T) {
		s, _ := open(t)
		for _, e := range []cache.Entry{
			{SecretAccessKey: secret, Expiration: time.Now()},
			{AccessKeyID: "ASIAEXAMPLE", Expiration: time.Now()},
			{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: secret},
		} {
			err := s.Put(ctx, key(1), e)
			if err == nil {
				t.Errorf("Put of an incomplete entry succeeded")
			}
			noSecret(t, err)
		}
	})

	t.Run("CorruptEntry", func(t *testing.T) {
		good := `{"access_key_id":"ASIAEXAMPLE","secret_access_key":"` + secret + `","session_token":"t","expiration":"2030-01-02T03:04:05Z","profile":"p","kind":"role"}`
		for name, data := range map[string]string{
			"empty":         "",
			"truncated":     good[:len(good)/2],
			"not json":      "ASIAEXAMPLE " + secret,
			"wrong types":   `{"access_key_id":1,"secret_access_key":["` + secret + `"],"expiration":true}`,
			"missing key":   `{"secret_access_key":"` + secret + `","expiration":"2030-01-02T03:04:05Z"}`,
			"bad time":      strings.Replace(good, "2030-01-02T03:04:05Z", "tomorrow", 1),
			"json null":     "null",
			"json array":    "[" + good + "]",
			"trailing junk": good + "}",
		} {
			t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
				s, _ := open(t)
				sub.WriteRaw(t, s, key(1), []byte(data))
				_, err := s.Get(ctx, key(1))
				if !errors.Is(err, cache.ErrNotFound) {
					t.Fatalf("Get of a corrupt entry: %v, want ErrNotFound", err)
				}
				noSecret(t, err)
				if infos, err := s.List(ctx); err != nil || len(infos) != 0 {
					t.Fatalf("List after Get of a corrupt entry = %+v, %v; want it deleted", infos, err)
				}
				// List also drops one it meets first.
				sub.WriteRaw(t, s, key(1), []byte(data))
				if infos, err := s.List(ctx); err != nil || len(infos) != 0 {
					t.Fatalf("List with a corrupt entry = %+v, %v; want it left out", infos, err)
				}
				if _, err := s.Get(ctx, key(1)); !errors.Is(err, cache.ErrNotFound) {
					t.Fatalf("Get after List met a corrupt entry: %v, want ErrNotFound", err)
				}
				if err := s.Put(ctx, key(1), entry("a")); err != nil {
					t.Fatal(err)
				}
				if got, err := s.Get(ctx, key(1)); err != nil || !same(got, entry("a")) {
					t.Fatalf("Get after Put over a corrupt entry = %+v, %v", got, err)
				}
			})
		}
	})

	t.Run("ConcurrentPutGetNeverMixes", func(t *testing.T) {
		s, _ := open(t)
		a, b := entry("a"), entry("b")
		b.Expiration = b.Expiration.Add(time.Hour)
		b.SessionToken = strings.Repeat("y", 3000) // spans more than one write
		if err := s.Put(ctx, key(1), a); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var stop atomic.Bool
		for w := range 4 {
			wg.Go(func() {
				for i := 0; i < 200 && !stop.Load(); i++ {
					e := a
					if (i+w)%2 == 1 {
						e = b
					}
					if err := s.Put(ctx, key(1), e); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		for range 4 {
			wg.Go(func() {
				for i := 0; i < 400 && !stop.Load(); i++ {
					got, err := s.Get(ctx, key(1))
					if err != nil {
						t.Errorf("Get during Puts: %v", err)
						stop.Store(true)
						return
					}
					if !same(got, a) && !same(got, b) {
						t.Errorf("Get saw a mix: %+v", got)
						stop.Store(true)
						return
					}
				}
			})
		}
		wg.Wait()
	})

	t.Run("LockExcludesGoroutines", func(t *testing.T) {
		s, _ := open(t)
		var holders, most atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 10 {
					unlock, err := s.Lock(ctx, key(1))
					if err != nil {
						t.Error(err)
						return
					}
					n := holders.Add(1)
					if n > most.Load() {
						most.Store(n)
					}
					time.Sleep(100 * time.Microsecond) // hold it for a moment
					holders.Add(-1)
					unlock()
				}
			})
		}
		wg.Wait()
		if m := most.Load(); m != 1 {
			t.Fatalf("%d goroutines held the lock at once", m)
		}
	})

	t.Run("LockPerKey", func(t *testing.T) {
		s, _ := open(t)
		unlock, err := s.Lock(ctx, key(1))
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		unlock2, err := s.Lock(c, key(2))
		if err != nil {
			t.Fatalf("lock of another key waited: %v", err)
		}
		unlock2()
	})

	t.Run("LockRespectsContext", func(t *testing.T) {
		s, _ := open(t)
		unlock, err := s.Lock(ctx, key(1))
		if err != nil {
			t.Fatal(err)
		}
		c, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		if u, err := s.Lock(c, key(1)); !errors.Is(err, context.DeadlineExceeded) {
			if err == nil {
				u()
			}
			t.Fatalf("Lock of a held key with a deadline: %v, want DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Lock returned %v after its deadline", d)
		}
		c, cancel = context.WithCancel(ctx)
		cancel()
		if u, err := s.Lock(c, key(1)); !errors.Is(err, context.Canceled) {
			if err == nil {
				u()
			}
			t.Fatalf("Lock with a cancelled context: %v, want Canceled", err)
		}
		unlock()
		unlock() // a second call does nothing
		c, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		u, err := s.Lock(c, key(1))
		if err != nil {
			t.Fatalf("Lock after unlock: %v", err)
		}
		u()
	})

	t.Run("LockReleasedOnSIGKILL", func(t *testing.T) {
		if dir := os.Getenv(envHoldDir); dir != "" {
			holdLock(t, sub, dir, os.Getenv(envHoldKey))
			return
		}
		s, dir := open(t)
		child, lines := startHolder(t, dir, key(1))
		select {
		case line := <-lines:
			if line != lockedLine {
				t.Fatalf("child said %q, want %q", line, lockedLine)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("child did not take the lock within 30s")
		}
		// The child's lock excludes this process.
		c, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		if u, err := s.Lock(c, key(1)); err == nil {
			u()
			t.Fatal("took a lock another process holds")
		}
		if err := child.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		child.Wait()
		c, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		unlock, err := s.Lock(c, key(1))
		if err != nil {
			t.Fatalf("lock of a SIGKILLed holder not released: %v", err)
		}
		unlock()
	})

	t.Run("FailureRecords", func(t *testing.T) {
		dir := t.TempDir()
		s := sub.Open(t, dir)
		if _, err := s.GetFailure(ctx, key(1)); !errors.Is(err, cache.ErrNotFound) {
			t.Fatalf("GetFailure of a key with no record: %v, want ErrNotFound", err)
		}
		want := failure("sts:GetSessionToken at http://127.0.0.1:9 failed after 3 attempts: connection refused")
		if err := s.PutFailure(ctx, key(1), want); err != nil {
			t.Fatal(err)
		}
		// Another process sharing the locks sees it.
		other := sub.Open(t, dir)
		got, err := other.GetFailure(ctx, key(1))
		if err != nil || !sameFailure(got, want) {
			t.Fatalf("GetFailure from a store sharing the locks = %+v, %v; want %+v", got, err, want)
		}
		if _, err := s.GetFailure(ctx, key(2)); !errors.Is(err, cache.ErrNotFound) {
			t.Fatalf("a record of one key shows for another: %v", err)
		}
		newer := failure("the MFA code for arn:aws:iam::123456789012:mfa/a was rejected")
		newer.When = want.When.Add(time.Second)
		newer.Code = &cache.RejectedCode{Salt: []byte("0123456789abcdef0123456789abcdef"), Tag: "a1f", Generated: true}
		if err := s.PutFailure(ctx, key(1), newer); err != nil {
			t.Fatal(err)
		}
		if got, err := other.GetFailure(ctx, key(1)); err != nil || !sameFailure(got, newer) {
			t.Fatalf("GetFailure after a second PutFailure = %+v, %v; want the newer record", got, err)
		}
		// Records are apart from entries.
		if _, err := s.Get(ctx, key(1)); !errors.Is(err, cache.ErrNotFound) {
			t.Fatalf("Get of a key with only a failure record: %v, want ErrNotFound", err)
		}
		if infos, err := s.List(ctx); err != nil || len(infos) != 0 {
			t.Fatalf("List with only a failure record = %+v, %v; want nothing", infos, err)
		}
		if err := s.Put(ctx, key(1), entry("a")); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, key(1)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetFailure(ctx, key(1)); err != nil {
			t.Fatalf("Put and Delete of the entry took the failure record: %v", err)
		}
		if err := other.DeleteFailure(ctx, key(1)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetFailure(ctx, key(1)); !errors.Is(err, cache.ErrNotFound) {
			t.Fatalf("GetFailure after DeleteFailure: %v, want ErrNotFound", err)
		}
		if err := s.DeleteFailure(ctx, key(1)); err != nil {
			t.Fatalf("DeleteFailure of a missing record: %v, want nil", err)
		}
		// Refusals.
		for _, k := range []string{"", "../../etc/passwd", "abc", key(1) + "/x"} {
			if err := s.PutFailure(ctx, k, want); err == nil {
				t.Errorf("PutFailure(%q) succeeded", k)
			}
			if _, err := s.GetFailure(ctx, k); err == nil || errors.Is(err, cache.ErrNotFound) {
				t.Errorf("GetFailure(%q) = %v, want an invalid key error", k, err)
			}
			if err := s.DeleteFailure(ctx, k); err == nil {
				t.Errorf("DeleteFailure(%q) succeeded", k)
			}
		}
		for _, f := range []cache.Failure{{When: want.When}, {Message: "m"}} {
			if err := s.PutFailure(ctx, key(3), f); err == nil {
				t.Errorf("PutFailure of an incomplete record %+v succeeded", f)
			}
		}
		// A runaway message is cut, not refused.
		long := failure(strings.Repeat("x", 1<<20))
		if err := s.PutFailure(ctx, key(4), long); err != nil {
			t.Fatal(err)
		}
		if got, err := s.GetFailure(ctx, key(4)); err != nil || len(got.Message) >= len(long.Message) || !strings.HasPrefix(long.Message, got.Message) {
			t.Fatalf("GetFailure of a long record: %d bytes, %v", len(got.Message), err)
		}
	})

	t.Run("ConcurrentFailureRecordsNeverMix", func(t *testing.T) {
		s, _ := open(t)
		a, b := failure("a"), failure(strings.Repeat("b", 3000))
		b.Hint = "hint b"
		if err := s.PutFailure(ctx, key(1), a); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for w := range 2 {
			wg.Go(func() {
				for i := range 100 {
					f := a
					if (i+w)%2 == 1 {
						f = b
					}
					if err := s.PutFailure(ctx, key(1), f); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Go(func() {
			for range 200 {
				got, err := s.GetFailure(ctx, key(1))
				if err != nil || (!sameFailure(got, a) && !sameFailure(got, b)) {
					t.Errorf("GetFailure during PutFailures = %+v, %v", got, err)
					return
				}
			}
		})
		wg.Wait()
	})

	t.Run("FileModes", func(t *testing.T) {
		s, dir := open(t)
		if err := s.Put(ctx, key(1), entry("a")); err != nil {
			t.Fatal(err)
		}
		if err := s.PutFailure(ctx, key(1), failure("refused")); err != nil {
			t.Fatal(err)
		}
		unlock, err := s.Lock(ctx, key(1))
		if err != nil {
			t.Fatal(err)
		}
		unlock()
		err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || path == dir {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			if sub.Sealed && fi.Mode().IsRegular() {
				if data, err := os.ReadFile(path); err == nil && strings.Contains(string(data), secret) {
					t.Errorf("%s holds a secret in clear in a sealed store", path)
				}
			}
			if runtime.GOOS == "windows" {
				return nil // ACLs, not mode bits, keep files private there
			}
			if fi.Mode().Perm()&0o077 != 0 {
				t.Errorf("%s has mode %v; want nothing for group and others", path, fi.Mode())
			}
			if fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
				t.Errorf("%s is executable (%v)", path, fi.Mode())
			}
			if fi.Mode().IsRegular() && fi.Size() > 0 {
				if data, err := os.ReadFile(path); err == nil && strings.Contains(string(data), secret) && fi.Mode().Perm() != 0o600 {
					t.Errorf("%s holds a secret with mode %v", path, fi.Mode())
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// startHolder re-runs this test in a child process that takes key's lock
// in the store under dir, prints lockedLine and waits to be killed (or for
// its stdin to close, should this process die first).
func startHolder(t *testing.T, dir, key string) (*exec.Cmd, <-chan string) {
	t.Helper()
	parts := strings.Split(t.Name(), "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	cmd := exec.Command(os.Args[0], "-test.run="+strings.Join(parts, "/"), "-test.count=1")
	cmd.Env = append(os.Environ(), envHoldDir+"="+dir, envHoldKey+"="+key)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "cachetest:") {
				lines <- sc.Text()
				break
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	return cmd, lines
}

// holdLock is the child's side of LockReleasedOnSIGKILL.
func holdLock(t *testing.T, sub Subject, dir, key string) {
	s := sub.Open(t, dir)
	if _, err := s.Lock(context.Background(), key); err != nil {
		fmt.Printf("cachetest: lock failed: %v\n", err)
		t.Fatal(err)
	}
	fmt.Println(lockedLine)
	io.Copy(io.Discard, os.Stdin) // until the parent kills us or goes away
}

package cache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kagi-cli/kagi/internal/atomicfile"
)

// Failure records live beside the lock files: "<key>.fail", written through
// ".<key>.fail.tmp*". Both stores keep their locks in a private directory,
// so the records are shared by exactly the processes that share the locks.
const failSuffix = ".fail"

// Bounds on what a record keeps: an error line is far shorter, and a
// runaway message (a helper's output quoted in full) must not grow the file.
const (
	maxFailureMessage = 4 << 10
	maxFailureHint    = 1 << 10
)

// staleFailure is how old a record must be before Prune removes it. kagi
// reads records at most a few minutes old (see creds), so an hour is plenty.
const staleFailure = time.Hour

func (l fileLocks) failurePath(key string) string { return filepath.Join(l.dir, key+failSuffix) }

// Bounds on a rejected code's mark: a salt of 16 to 64 bytes, a tag of
// at most 4 hex digits (16 bits), so that no record can hold more of a
// code than that, whoever wrote it.
const (
	minCodeSalt, maxCodeSalt = 16, 64
	maxCodeTag               = 4
)

func (f Failure) complete() bool {
	if c := f.Code; c != nil {
		if len(c.Salt) < minCodeSalt || len(c.Salt) > maxCodeSalt || c.Tag == "" || len(c.Tag) > maxCodeTag || strings.Trim(c.Tag, "0123456789abcdef") != "" {
			return false
		}
	}
	return f.Message != "" && !f.When.IsZero()
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// putFailure writes key's record atomically, mode 0600.
func (l fileLocks) putFailure(key string, f Failure) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if !f.complete() {
		return fmt.Errorf("failure record %q needs a message and a time, and a rejected code's mark a salt and a short hex tag", key)
	}
	f.Message = truncate(f.Message, maxFailureMessage)
	f.Hint = truncate(f.Hint, maxFailureHint)
	f.When = f.When.UTC()
	data, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode failure record %q: %w", key, err)
	}
	if err := atomicfile.Write(l.failurePath(key), data, 0o600, "."+key+failSuffix+tmpSuffix+"*"); err != nil {
		return fmt.Errorf("write failure record: %w", err)
	}
	return nil
}

// getFailure reads key's record; a missing one wraps ErrNotFound, a corrupt
// one is removed and wraps ErrNotFound too.
func (l fileLocks) getFailure(key string) (Failure, error) {
	if err := checkKey(key); err != nil {
		return Failure{}, err
	}
	path := l.failurePath(key)
	data, err := readSmall(path)
	if errors.Is(err, fs.ErrNotExist) || notDir(err) {
		return Failure{}, fmt.Errorf("failure record %q: %w", key, ErrNotFound)
	}
	if err != nil && !unreadable(err) {
		return Failure{}, fmt.Errorf("read failure record: %w", err)
	}
	var f Failure
	if err != nil || json.Unmarshal(data, &f) != nil || !f.complete() {
		os.Remove(path)
		return Failure{}, fmt.Errorf("failure record %q was corrupt and is removed: %w", key, ErrNotFound)
	}
	return f, nil
}

// deleteFailure removes key's record; a missing one is not an error.
func (l fileLocks) deleteFailure(key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := os.Remove(l.failurePath(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete failure record: %w", err)
	}
	return nil
}

// pruneFailures removes records older than staleFailure and temporary
// files of record writers that died.
func (l fileLocks) pruneFailures(now time.Time) {
	des, err := os.ReadDir(l.dir)
	if err != nil {
		return
	}
	for _, de := range des {
		name := de.Name()
		var age time.Duration
		switch {
		case strings.HasPrefix(name, ".") && strings.Contains(name, failSuffix+tmpSuffix):
			age = staleTemp
		case strings.HasSuffix(name, failSuffix) && ValidKey(strings.TrimSuffix(name, failSuffix)):
			age = staleFailure
		default:
			continue
		}
		if fi, err := de.Info(); err == nil && now.Sub(fi.ModTime()) > age {
			os.Remove(filepath.Join(l.dir, name)) // best effort, as for entries
		}
	}
}

// PutFailure keeps f as key's failure record, beside key's lock file.
func (s *DirStore) PutFailure(_ context.Context, key string, f Failure) error {
	return s.locks.putFailure(key, f)
}

// GetFailure reads key's failure record.
func (s *DirStore) GetFailure(_ context.Context, key string) (Failure, error) {
	return s.locks.getFailure(key)
}

// DeleteFailure removes key's failure record.
func (s *DirStore) DeleteFailure(_ context.Context, key string) error {
	return s.locks.deleteFailure(key)
}

//go:build unix

package cache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/kagi-cli/kagi/internal/atomicfile"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// maxEntrySize bounds what Get reads: an entry is well under 4 KiB, so
// anything larger is not one of ours.
const maxEntrySize = 64 << 10

// Suffixes of the files in a DirStore directory: "<key>.json" holds an
// entry, "<key>.lock" is its lock, ".<key>.json.tmp*" a Put in progress.
const (
	entrySuffix = ".json"
	lockSuffix  = ".lock"
	tmpSuffix   = ".tmp"
)

// staleTemp is how old a leftover temporary file must be before Prune
// removes it: a live Put finishes in well under a second.
const staleTemp = time.Minute

// DirStore keeps entries as 0600 JSON files in a private directory that
// should be on tmpfs (see RuntimeDir), so credentials never reach
// persistent disk. Its locks are flock(2) locks on files beside them.
type DirStore struct {
	dir      string
	locks    fileLocks
	inMemory bool
}

var (
	_ Store  = (*DirStore)(nil)
	_ Pruner = (*DirStore)(nil)
)

// OpenDir opens (creating it 0700 if needed) the cache directory dir, an
// absolute path. It refuses, with an *UnsafeDirError, a symbolic link (it
// never follows one to the cache: another user could plant one pointing at
// persistent disk), a directory that is not owned by this user or that
// group or others can access, and one whose parent lets other users replace
// it. The checks are made on the directory actually opened.
func OpenDir(dir string) (*DirStore, error) {
	inMemory, err := openPrivateDir(dir)
	if err != nil {
		return nil, err
	}
	dir = filepath.Clean(dir)
	return &DirStore{dir: dir, locks: fileLocks{dir: dir}, inMemory: inMemory}, nil
}

// Dir is the directory the store keeps its files in.
func (s *DirStore) Dir() string { return s.dir }

// InMemory reports whether the directory was on tmpfs (or ramfs) when it
// was opened: entries written there never reach persistent disk.
func (s *DirStore) InMemory() bool { return s.inMemory }

func (s *DirStore) path(key string) string { return filepath.Join(s.dir, key+entrySuffix) }

// Get reads key's entry: open, read, close, with no poller or stat.
func (s *DirStore) Get(_ context.Context, key string) (Entry, error) {
	if err := checkKey(key); err != nil {
		return Entry{}, err
	}
	path := s.path(key)
	data, err := readSmall(path)
	if errors.Is(err, unix.ENOENT) {
		return Entry{}, fmt.Errorf("cache entry %q: %w", key, ErrNotFound)
	}
	if err != nil && !unreadable(err) {
		return Entry{}, fmt.Errorf("read cache entry: %w", err)
	}
	var e Entry
	if err != nil || json.Unmarshal(data, &e) != nil || !e.complete() {
		// Nothing useful can come of it: the next refresh rewrites it.
		os.Remove(path)
		return Entry{}, fmt.Errorf("cache entry %q was corrupt and is removed: %w", key, ErrNotFound)
	}
	return e, nil
}

// errTooBig marks a file too large to be an entry.
var errTooBig = errors.New("larger than any cache entry")

// unreadable reports whether a read error means the entry itself is bad
// (and can be deleted) rather than the system being short of something.
func unreadable(err error) bool {
	return errors.Is(err, errTooBig) || errors.Is(err, unix.ELOOP) || errors.Is(err, unix.EISDIR) ||
		errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.ENXIO)
}

// readSmall reads a file of at most maxEntrySize bytes with raw system
// calls; os.Open would also register the file with the runtime poller.
func readSmall(path string) ([]byte, error) {
	var fd int
	var err error
	for {
		fd, err = unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	buf := make([]byte, 4096)
	n := 0
	for {
		m, err := unix.Read(fd, buf[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if m == 0 {
			return buf[:n], nil
		}
		n += m
		if n == len(buf) {
			if len(buf) >= maxEntrySize {
				return nil, &fs.PathError{Op: "read", Path: path, Err: errTooBig}
			}
			buf = append(buf, make([]byte, len(buf))...)
		}
	}
}

// Put writes e atomically: a temporary file in the same directory, fsync,
// rename over the old entry.
func (s *DirStore) Put(_ context.Context, key string, e Entry) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := checkEntry(key, e); err != nil {
		return err
	}
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode cache entry %q: %w", key, err)
	}
	// tmpfs needs no directory sync, but KAGI_CACHE_DIR may be elsewhere:
	// atomicfile syncs it anyway.
	if err := atomicfile.Write(s.path(key), data, 0o600, "."+key+entrySuffix+tmpSuffix+"*"); err != nil {
		return fmt.Errorf("write cache entry: %w", err)
	}
	return nil
}

// Delete removes key's entry; a missing entry is not an error. The lock
// file stays: someone may be waiting on it (Prune removes idle ones).
func (s *DirStore) Delete(_ context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := os.Remove(s.path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete cache entry: %w", err)
	}
	return nil
}

// List describes every entry, expired ones included, sorted by key. A
// corrupt entry is removed and left out.
func (s *DirStore) List(ctx context.Context) ([]Info, error) {
	des, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("list cache entries: %w", err)
	}
	var infos []Info
	for _, de := range des {
		key, ok := strings.CutSuffix(de.Name(), entrySuffix)
		if !ok || !ValidKey(key) {
			continue
		}
		e, err := s.Get(ctx, key)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		infos = append(infos, e.info(key))
	}
	return infos, nil
}

// Lock takes key's lock: flock(2) on "<key>.lock" in the store's directory.
//
// Writers of key hold its lock (see Store), so once it is held any
// temporary file of key is a dead writer's: one killed between creating it
// and the rename, holding live credentials. Lock removes them, so the next
// write of key leaves none behind.
func (s *DirStore) Lock(ctx context.Context, key string) (func(), error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	unlock, err := s.locks.lock(ctx, key)
	if err != nil {
		return nil, err
	}
	s.removeTemps(key)
	return unlock, nil
}

// removeTemps removes key's temporary files. A failure to list or remove
// is left for Prune: the lock is what the caller needs.
func (s *DirStore) removeTemps(key string) {
	des, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	prefix := "." + key + entrySuffix + tmpSuffix
	for _, de := range des {
		if strings.HasPrefix(de.Name(), prefix) {
			os.Remove(filepath.Join(s.dir, de.Name()))
		}
	}
}

// Prune removes entries that expired before now, lock files without an
// entry, and temporary files a crashed Put left behind. An entry or lock
// file whose lock is held is left alone: its holder is refreshing it.
// It returns how many entries it removed.
func (s *DirStore) Prune(ctx context.Context, now time.Time) (int, error) {
	des, err := os.ReadDir(s.dir)
	if err != nil {
		return 0, fmt.Errorf("prune cache: %w", err)
	}
	keys := map[string]struct{}{} // keys with an entry or a lock file
	for _, de := range des {
		name := de.Name()
		if strings.HasPrefix(name, ".") && strings.Contains(name, entrySuffix+tmpSuffix) {
			if fi, err := de.Info(); err == nil && now.Sub(fi.ModTime()) > staleTemp {
				os.Remove(filepath.Join(s.dir, name))
			}
			continue
		}
		if key, ok := strings.CutSuffix(name, entrySuffix); ok && ValidKey(key) {
			keys[key] = struct{}{}
		} else if key, ok := strings.CutSuffix(name, lockSuffix); ok && ValidKey(key) {
			keys[key] = struct{}{}
		}
	}
	s.locks.pruneFailures(now)
	removed := 0
	for key := range keys {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		// A live entry needs no lock to be left alone.
		if e, err := s.Get(ctx, key); err == nil && !e.expired(now) {
			continue
		}
		unlock, ok, err := s.locks.tryLock(key)
		if err != nil {
			return removed, err
		}
		if !ok {
			continue // its holder is refreshing it
		}
		// Read again under the lock: a refresh may have just replaced it.
		e, err := s.Get(ctx, key)
		switch {
		case err == nil && !e.expired(now):
			unlock()
			continue
		case err == nil:
			if err := s.Delete(ctx, key); err != nil {
				unlock()
				return removed, err
			}
			removed++
		case !errors.Is(err, ErrNotFound):
			unlock()
			return removed, err
		}
		// Unlink the lock file while holding it; a waiter on the old file
		// notices (see fileLocks.lock) and takes a fresh one.
		os.Remove(s.locks.path(key))
		unlock()
	}
	return removed, nil
}

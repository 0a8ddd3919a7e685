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

	"github.com/kagi-cli/kagi/internal/atomicfile"
)

// maxEntrySize bounds what Get reads: an entry is well under 4 KiB, so
// anything larger is not one of ours.
const maxEntrySize = 64 << 10

// Suffixes of the files in a DirStore directory: "<key>.json" holds an
// entry ("<key>.sealed" when the store seals them), "<key>.lock" is its
// lock, ".<key>.json.tmp*" a Put in progress.
const (
	entrySuffix  = ".json"
	sealedSuffix = ".sealed"
	lockSuffix   = ".lock"
	tmpSuffix    = ".tmp"
)

// staleTemp is how old a leftover temporary file must be before Prune
// removes it: a live Put finishes in well under a second.
const staleTemp = time.Minute

// DirStore keeps entries as 0600 files in a private directory, one per
// key, with their locks (see filelock) beside them. Opened with OpenDir
// they are plain JSON, in a directory that should be on tmpfs (see
// RuntimeDir) so that credentials never reach persistent disk; opened with
// OpenSealedDir they are sealed (on Windows by DPAPI), for a system without
// a tmpfs.
type DirStore struct {
	dir      string
	locks    fileLocks
	inMemory bool
	sealer   Sealer // nil: plain JSON
	suffix   string // of entry files: entrySuffix or sealedSuffix
}

// Sealer encrypts what a sealed DirStore writes, and authenticates what it
// reads. Seal and Unseal take a label that the sealed bytes are bound to:
// Unseal with another label than Seal had must fail. The store labels each
// entry with its key, so an entry renamed to another key, or one written
// by another user or on another machine, reads as corrupt. Neither method
// may put what it seals, or any part of it, into an error.
type Sealer interface {
	Seal(plain []byte, label string) ([]byte, error)
	Unseal(sealed []byte, label string) ([]byte, error)
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
	return &DirStore{dir: dir, locks: fileLocks{dir: dir}, inMemory: inMemory, suffix: entrySuffix}, nil
}

// OpenSealedDir is OpenDir for entries sealed by sealer, as "<key>.sealed"
// files: for a directory on persistent disk (Windows has no tmpfs), where
// only sealed secrets may lie. Plain entries of OpenDir in the same
// directory are not seen.
func OpenSealedDir(dir string, sealer Sealer) (*DirStore, error) {
	if sealer == nil {
		return nil, errors.New("no sealer for a sealed cache directory")
	}
	s, err := OpenDir(dir)
	if err != nil {
		return nil, err
	}
	s.sealer, s.suffix = sealer, sealedSuffix
	return s, nil
}

// Sealed reports whether the store seals its entries.
func (s *DirStore) Sealed() bool { return s.sealer != nil }

// sealLabel is what a sealed entry is bound to: its key.
func sealLabel(key string) string { return "kagi cache entry " + key }

// Dir is the directory the store keeps its files in.
func (s *DirStore) Dir() string { return s.dir }

// InMemory reports whether the directory was on tmpfs (or ramfs) when it
// was opened: entries written there never reach persistent disk.
func (s *DirStore) InMemory() bool { return s.inMemory }

func (s *DirStore) path(key string) string { return filepath.Join(s.dir, key+s.suffix) }

func (s *DirStore) tempPattern(key string) string { return "." + key + s.suffix + tmpSuffix + "*" }

// Get reads key's entry: open, read, close, with no poller or stat.
func (s *DirStore) Get(_ context.Context, key string) (Entry, error) {
	if err := checkKey(key); err != nil {
		return Entry{}, err
	}
	path := s.path(key)
	data, err := readSmall(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Entry{}, fmt.Errorf("cache entry %q: %w", key, ErrNotFound)
	}
	if err != nil && !unreadable(err) {
		return Entry{}, fmt.Errorf("read cache entry: %w", err)
	}
	if err == nil && s.sealer != nil {
		// One this user cannot unseal (corrupt, renamed from another key,
		// sealed by another user or machine) is of no use to anyone.
		data, err = s.sealer.Unseal(data, sealLabel(key))
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
	if s.sealer != nil {
		sealed, err := s.sealer.Seal(data, sealLabel(key))
		if err != nil {
			return fmt.Errorf("seal cache entry %q: %w", key, err)
		}
		data = sealed
	}
	// tmpfs needs no directory sync, but KAGI_CACHE_DIR may be elsewhere:
	// atomicfile syncs it anyway.
	if err := atomicfile.Write(s.path(key), data, 0o600, s.tempPattern(key)); err != nil {
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
		key, ok := strings.CutSuffix(de.Name(), s.suffix)
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

// Lock takes key's lock: "<key>.lock" in the store's directory (see
// filelock).
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
	prefix := "." + key + s.suffix + tmpSuffix
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
		if strings.HasPrefix(name, ".") && strings.Contains(name, s.suffix+tmpSuffix) {
			if fi, err := de.Info(); err == nil && now.Sub(fi.ModTime()) > staleTemp {
				os.Remove(filepath.Join(s.dir, name))
			}
			continue
		}
		if key, ok := strings.CutSuffix(name, s.suffix); ok && ValidKey(key) {
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
		held, ok, err := s.locks.tryLock(key)
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
			held.Unlock()
			continue
		case err == nil:
			if err := s.Delete(ctx, key); err != nil {
				held.Unlock()
				return removed, err
			}
			removed++
		case !errors.Is(err, ErrNotFound):
			held.Unlock()
			return removed, err
		}
		// Remove the lock file as filelock allows: a waiter on the old
		// file never holds it while another holds a fresh one.
		held.UnlockAndRemove()
	}
	return removed, nil
}

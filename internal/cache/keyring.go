package cache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ItemPrefix starts the name of every keyring item that holds a cache
// entry: "cache:<key>". (The keyring's names may not contain '/'.)
const ItemPrefix = "cache:"

// Keyring is what KeyringStore needs of an encrypted keyring; a
// keyring.Keyring has these methods. Get and Remove of a missing item fail
// with an error the store recognises (see NewKeyringStore).
type Keyring interface {
	Get(ctx context.Context, name string) ([]byte, error)
	Set(ctx context.Context, name string, data []byte) error
	Remove(ctx context.Context, name string) error
	List(ctx context.Context) ([]string, error)
}

// KeyringStore keeps entries as items of an encrypted keyring, for machines
// without a tmpfs runtime directory. Its locks are lock files in a
// separate directory (see filelock): they hold no secrets.
type KeyringStore struct {
	kr       Keyring
	notFound []error
	locks    fileLocks
}

var _ Store = (*KeyringStore)(nil)

// NewKeyringStore keeps entries in kr and lock files in lockDir (created
// 0700 on first Lock, and refused as OpenDir refuses a cache directory).
//
// lockDir "" means no cross-process locks: Lock returns at once, and Prune
// removes nothing (without locks it could delete what another process has
// just refreshed). Concurrent processes may then each refresh an entry, at
// worst one MFA prompt each; a caller whose lock directory is unusable (see
// CheckLockDir) says so and passes "".
//
// notFound lists the errors (matched with errors.Is) by which kr says an
// item is missing, such as keyring.ErrNotFound. Without them, a failed Get
// or Remove is checked against List, which costs a second keyring call but
// only on a miss.
func NewKeyringStore(kr Keyring, lockDir string, notFound ...error) *KeyringStore {
	return &KeyringStore{kr: kr, notFound: notFound, locks: fileLocks{dir: lockDir}}
}

// missing reports whether err from kr means that item name does not exist.
func (s *KeyringStore) missing(ctx context.Context, name string, err error) bool {
	if len(s.notFound) > 0 {
		for _, nf := range s.notFound {
			if errors.Is(err, nf) {
				return true
			}
		}
		return false
	}
	names, lerr := s.kr.List(ctx)
	return lerr == nil && !slices.Contains(names, name)
}

// Get reads key's entry from the keyring.
func (s *KeyringStore) Get(ctx context.Context, key string) (Entry, error) {
	if err := checkKey(key); err != nil {
		return Entry{}, err
	}
	name := ItemPrefix + key
	data, err := s.kr.Get(ctx, name)
	if err != nil {
		if s.missing(ctx, name, err) {
			return Entry{}, fmt.Errorf("cache entry %q: %w", key, ErrNotFound)
		}
		return Entry{}, fmt.Errorf("read cache entry %q from the keyring: %w", key, err)
	}
	var e Entry
	if json.Unmarshal(data, &e) != nil || !e.complete() {
		s.kr.Remove(ctx, name)
		return Entry{}, fmt.Errorf("cache entry %q was corrupt and is removed: %w", key, ErrNotFound)
	}
	return e, nil
}

// Put stores e as one keyring item; the keyring's Set replaces it whole.
func (s *KeyringStore) Put(ctx context.Context, key string, e Entry) error {
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
	if err := s.kr.Set(ctx, ItemPrefix+key, data); err != nil {
		return fmt.Errorf("write cache entry %q to the keyring: %w", key, err)
	}
	return nil
}

// Delete removes key's item; a missing one is not an error.
func (s *KeyringStore) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	name := ItemPrefix + key
	if err := s.kr.Remove(ctx, name); err != nil && !s.missing(ctx, name, err) {
		return fmt.Errorf("delete cache entry %q from the keyring: %w", key, err)
	}
	return nil
}

// List describes every entry, expired ones included, sorted by key. A
// corrupt entry is removed and left out.
func (s *KeyringStore) List(ctx context.Context) ([]Info, error) {
	names, err := s.kr.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list cache entries in the keyring: %w", err)
	}
	var keys []string
	for _, name := range names {
		if key, ok := strings.CutPrefix(name, ItemPrefix); ok && ValidKey(key) {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	var infos []Info
	for _, key := range keys {
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

// Lock takes key's lock: "<key>.lock" in the lock directory (see filelock).
func (s *KeyringStore) Lock(ctx context.Context, key string) (func(), error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if s.locks.dir == "" {
		return func() {}, nil
	}
	if err := CheckLockDir(s.locks.dir); err != nil {
		return nil, err
	}
	return s.locks.lock(ctx, key)
}

// CheckLockDir makes sure dir (created 0700 when missing) can hold lock
// files: a directory of this user's, closed to others, not a symbolic
// link, in a parent no other user can replace it in. The error is an
// *UnsafeDirError when another user could take the locks over.
func CheckLockDir(dir string) error {
	_, err := openPrivateDir(dir)
	if ue := (*UnsafeDirError)(nil); errors.As(err, &ue) {
		ue.What = "lock directory"
	}
	return err
}

// Prune removes entries that expired before now and lock files of keys
// without a live entry, skipping any key whose lock is held, and says how
// many entries it removed. Without a lock directory it removes nothing.
func (s *KeyringStore) Prune(ctx context.Context, now time.Time) (int, error) {
	if s.locks.dir == "" {
		return 0, nil
	}
	infos, err := s.List(ctx)
	if err != nil {
		return 0, err
	}
	if err := CheckLockDir(s.locks.dir); err != nil {
		return 0, err
	}
	s.locks.pruneFailures(now)
	live := map[string]bool{}
	removed := 0
	for _, in := range infos {
		if in.Expiration.After(now) {
			live[in.Key] = true
			continue
		}
		held, ok, err := s.locks.tryLock(in.Key)
		if err != nil {
			return removed, err
		}
		if !ok {
			continue
		}
		// Read again under the lock: a refresh may have just replaced it.
		e, err := s.Get(ctx, in.Key)
		if err == nil && e.expired(now) {
			err = s.Delete(ctx, in.Key)
			if err == nil {
				removed++
			}
		} else if errors.Is(err, ErrNotFound) {
			err = nil
		}
		held.Unlock()
		if err != nil {
			return removed, err
		}
	}
	return removed, s.locks.removeIdle(ctx, func(key string) bool { return live[key] })
}

// DeleteFailure removes key's failure record from the lock directory.
func (s *KeyringStore) DeleteFailure(_ context.Context, key string) error {
	if s.locks.dir == "" {
		return nil
	}
	return s.locks.deleteFailure(key)
}

// PutFailure keeps f as key's failure record in the lock directory (not in
// the keyring: it holds no secret, and waiters must read it without
// unlocking anything).
func (s *KeyringStore) PutFailure(_ context.Context, key string, f Failure) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if s.locks.dir == "" {
		return nil // no lock directory, so no waiters to tell
	}
	if err := CheckLockDir(s.locks.dir); err != nil {
		return err
	}
	return s.locks.putFailure(key, f)
}

// GetFailure reads key's failure record from the lock directory, once it
// is known to be private (a record there is believed without a lock).
func (s *KeyringStore) GetFailure(_ context.Context, key string) (Failure, error) {
	if err := checkKey(key); err != nil {
		return Failure{}, err
	}
	if s.locks.dir == "" {
		return Failure{}, fmt.Errorf("failure record %q: %w", key, ErrNotFound)
	}
	if err := CheckLockDir(s.locks.dir); err != nil {
		return Failure{}, err
	}
	return s.locks.getFailure(key)
}

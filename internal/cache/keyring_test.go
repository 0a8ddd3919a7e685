package cache_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/cache"
	"github.com/kagi-cli/kagi/internal/cache/cachetest"
)

var _ cache.Keyring = (*fakeKeyring)(nil)

// errMissing stands in for keyring.ErrNotFound.
var errMissing = errors.New("not in the keyring")

// fakeKeyring is an in-memory keyring that keeps the keyring contract's
// rules on names.
type fakeKeyring struct {
	mu    sync.Mutex
	items map[string][]byte
	calls map[string]int
	fail  error // returned by every call when set
}

func newFakeKeyring() *fakeKeyring {
	return &fakeKeyring{items: map[string][]byte{}, calls: map[string]int{}}
}

func checkName(name string) error {
	if len(name) == 0 || len(name) > 200 || strings.ContainsAny(name, "/ ") {
		return fmt.Errorf("invalid item name %q", name)
	}
	for _, c := range []byte(name) {
		if c < 0x21 || c > 0x7e {
			return fmt.Errorf("invalid item name %q", name)
		}
	}
	return nil
}

func (f *fakeKeyring) call(op, name string) error {
	f.calls[op]++
	if f.fail != nil {
		return f.fail
	}
	if op != "list" {
		return checkName(name)
	}
	return nil
}

func (f *fakeKeyring) Get(_ context.Context, name string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("get", name); err != nil {
		return nil, err
	}
	d, ok := f.items[name]
	if !ok {
		return nil, fmt.Errorf("get %q: %w", name, errMissing)
	}
	return slices.Clone(d), nil
}

func (f *fakeKeyring) Set(_ context.Context, name string, data []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("set", name); err != nil {
		return err
	}
	f.items[name] = slices.Clone(data)
	return nil
}

func (f *fakeKeyring) Remove(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("remove", name); err != nil {
		return err
	}
	if _, ok := f.items[name]; !ok {
		return fmt.Errorf("remove %q: %w", name, errMissing)
	}
	delete(f.items, name)
	return nil
}

func (f *fakeKeyring) List(context.Context) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("list", ""); err != nil {
		return nil, err
	}
	var names []string
	for n := range f.items {
		names = append(names, n)
	}
	return names, nil
}

func (f *fakeKeyring) Backend() string { return "fake" }

func keyringSubject(notFound ...error) cachetest.Subject {
	var mu sync.Mutex
	fakes := map[cache.Store]*fakeKeyring{}
	return cachetest.Subject{
		Open: func(t *testing.T, dir string) cache.Store {
			kr := newFakeKeyring()
			s := cache.NewKeyringStore(kr, filepath.Join(dir, "locks"), notFound...)
			mu.Lock()
			fakes[s] = kr
			mu.Unlock()
			return s
		},
		WriteRaw: func(t *testing.T, s cache.Store, key string, data []byte) {
			mu.Lock()
			kr := fakes[s]
			mu.Unlock()
			if err := kr.Set(context.Background(), cache.ItemPrefix+key, data); err != nil {
				t.Fatal(err)
			}
		},
	}
}

func TestKeyringStore(t *testing.T) {
	cachetest.Conformance(t, keyringSubject(errMissing))
}

// Without a not-found sentinel, misses are told from failures by List.
func TestKeyringStoreWithoutSentinel(t *testing.T) {
	cachetest.Conformance(t, keyringSubject())
}

func TestKeyringStoreErrors(t *testing.T) {
	ctx := context.Background()
	for _, sentinel := range [][]error{{errMissing}, nil} {
		kr := newFakeKeyring()
		s := cache.NewKeyringStore(kr, filepath.Join(t.TempDir(), "locks"), sentinel...)
		if err := s.Put(ctx, key1, testEntry(time.Now().Add(time.Hour))); err != nil {
			t.Fatal(err)
		}
		locked := errors.New("the keyring is locked")
		kr.fail = locked
		if _, err := s.Get(ctx, key1); !errors.Is(err, locked) || errors.Is(err, cache.ErrNotFound) {
			t.Errorf("Get from a failing keyring: %v; want its error, not ErrNotFound", err)
		}
		if err := s.Delete(ctx, key1); !errors.Is(err, locked) {
			t.Errorf("Delete from a failing keyring: %v; want its error", err)
		}
		if _, err := s.List(ctx); !errors.Is(err, locked) {
			t.Errorf("List from a failing keyring: %v; want its error", err)
		}
		if err := s.Put(ctx, key1, testEntry(time.Now())); !errors.Is(err, locked) {
			t.Errorf("Put to a failing keyring: %v; want its error", err)
		}
	}
}

// A hit is one keyring call; the List fallback runs only on a miss.
func TestKeyringStoreHitIsOneCall(t *testing.T) {
	ctx := context.Background()
	kr := newFakeKeyring()
	s := cache.NewKeyringStore(kr, filepath.Join(t.TempDir(), "locks"))
	if err := s.Put(ctx, key1, testEntry(time.Now().Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	clear(kr.calls)
	if _, err := s.Get(ctx, key1); err != nil {
		t.Fatal(err)
	}
	if kr.calls["get"] != 1 || kr.calls["list"] != 0 {
		t.Fatalf("a hit made calls %v", kr.calls)
	}
}

func TestKeyringStoreIgnoresOtherItems(t *testing.T) {
	ctx := context.Background()
	kr := newFakeKeyring()
	kr.items["profile:default"] = []byte("long-term keys")
	kr.items[cache.ItemPrefix+"nothex"] = []byte("{}")
	s := cache.NewKeyringStore(kr, filepath.Join(t.TempDir(), "locks"), errMissing)
	infos, err := s.List(ctx)
	if err != nil || len(infos) != 0 {
		t.Fatalf("List = %v, %v; want nothing", infos, err)
	}
	if len(kr.items) != 2 {
		t.Fatalf("List touched items that are not its own: %v", kr.items)
	}
}

func TestKeyringStorePrune(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	kr := newFakeKeyring()
	s := cache.NewKeyringStore(kr, filepath.Join(t.TempDir(), "locks"), errMissing)
	k2 := strings.Repeat("0", 63) + "2"
	k3 := strings.Repeat("0", 63) + "3"
	for k, exp := range map[string]time.Time{key1: now.Add(-time.Minute), k2: now.Add(time.Minute), k3: now.Add(-time.Minute)} {
		if err := s.Put(ctx, k, testEntry(exp)); err != nil {
			t.Fatal(err)
		}
	}
	unlock, err := s.Lock(ctx, k3)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	n, err := s.Prune(ctx, now)
	if err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1", n, err)
	}
	var keys []string
	infos, _ := s.List(ctx)
	for _, in := range infos {
		keys = append(keys, in.Key)
	}
	if want := []string{k2, k3}; !slices.Equal(keys, want) {
		t.Fatalf("after Prune: %q, want %q", keys, want)
	}
}

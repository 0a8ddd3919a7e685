// Package keyringtest is the conformance suite every keyring.Keyring
// backend passes: the contract in keyring.Keyring's doc comment, as tests.
package keyringtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/keyring"
)

// NewStore prepares a store for one test and returns a func that opens it:
// each call returns a new Keyring value on the same store, as another
// process would open it. The store may be shared with other tests and
// items (a real OS keyring): the suite only looks at names it made.
type NewStore func(t *testing.T) (open func() keyring.Keyring)

// Run runs the conformance suite against the store newStore makes.
func Run(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func() keyring.Keyring, p string)
	}{
		{"MissingIsNotFound", testMissing},
		{"SetGetReplace", testSetGetReplace},
		{"BinaryAndLargeData", testBinary},
		{"OtherProcessSeesWrites", testOtherProcess},
		{"ListSetNotRemoved", testList},
		{"NameRules", testNameRules},
		{"NamesAreCaseSensitive", testCase},
		{"ConcurrentSets", testConcurrent},
		{"KeysHelpers", testKeysHelpers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newStore(t), prefix(t))
		})
	}
}

// prefix makes this test's names unique on a shared store.
func prefix(t *testing.T) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "kagitest-" + hex.EncodeToString(b) + "-"
}

func ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// cleanup removes names at the end of the test, ignoring ErrNotFound.
func cleanup(t *testing.T, kr keyring.Keyring, names ...string) {
	t.Cleanup(func() {
		for _, n := range names {
			if err := kr.Remove(context.Background(), n); err != nil && !errors.Is(err, keyring.ErrNotFound) {
				t.Errorf("cleanup: Remove(%q): %v", n, err)
			}
		}
	})
}

func mustSet(t *testing.T, kr keyring.Keyring, name string, data []byte) {
	t.Helper()
	if err := kr.Set(ctx(t), name, data); err != nil {
		t.Fatalf("Set(%q): %v", name, err)
	}
}

func mustGet(t *testing.T, kr keyring.Keyring, name string, want []byte) {
	t.Helper()
	got, err := kr.Get(ctx(t), name)
	if err != nil {
		t.Fatalf("Get(%q): %v", name, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%q) = %d bytes, want the %d bytes set", name, len(got), len(want))
	}
}

func ours(names []string, p string) []string {
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, p) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

func testMissing(t *testing.T, open func() keyring.Keyring, p string) {
	kr := open()
	if _, err := kr.Get(ctx(t), p+"never"); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("Get of a name never set: %v, want ErrNotFound", err)
	}
	if err := kr.Remove(ctx(t), p+"never"); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("Remove of a name never set: %v, want ErrNotFound", err)
	}
	names, err := kr.List(ctx(t))
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if got := ours(names, p); len(got) != 0 {
		t.Errorf("List = %q, want none of this test's names", got)
	}
}

func testSetGetReplace(t *testing.T, open func() keyring.Keyring, p string) {
	kr := open()
	name := p + "item"
	cleanup(t, kr, name)
	mustSet(t, kr, name, []byte("first"))
	mustGet(t, kr, name, []byte("first"))
	mustSet(t, kr, name, []byte("second, longer than the first"))
	mustGet(t, kr, name, []byte("second, longer than the first"))
	mustSet(t, kr, name, []byte("3"))
	mustGet(t, kr, name, []byte("3"))
	if err := kr.Remove(ctx(t), name); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := kr.Get(ctx(t), name); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("Get after Remove: %v, want ErrNotFound", err)
	}
	if err := kr.Remove(ctx(t), name); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("second Remove: %v, want ErrNotFound", err)
	}
}

func testBinary(t *testing.T, open func() keyring.Keyring, p string) {
	kr := open()
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	large := bytes.Repeat([]byte(`{"secret_access_key":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}`), 64)
	cleanup(t, kr, p+"bin", p+"large")
	mustSet(t, kr, p+"bin", all)
	mustSet(t, kr, p+"large", large)
	other := open()
	mustGet(t, other, p+"bin", all)
	mustGet(t, other, p+"large", large)
}

func testOtherProcess(t *testing.T, open func() keyring.Keyring, p string) {
	a, b := open(), open()
	name := p + "shared"
	cleanup(t, a, name)
	// b reads first, so a backend that caches must not serve a stale miss.
	if _, err := b.Get(ctx(t), name); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("Get before Set: %v, want ErrNotFound", err)
	}
	mustSet(t, a, name, []byte("from a"))
	mustGet(t, b, name, []byte("from a"))
	mustSet(t, b, name, []byte("from b"))
	mustGet(t, a, name, []byte("from b"))
	if err := a.Remove(ctx(t), name); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx(t), name); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("Get after another's Remove: %v, want ErrNotFound", err)
	}
	names, err := b.List(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := ours(names, p); len(got) != 0 {
		t.Errorf("List after another's Remove = %q, want none", got)
	}
}

func testList(t *testing.T, open func() keyring.Keyring, p string) {
	kr := open()
	want := []string{p + "a", p + "b", p + "c:with%25escape", p + "d"}
	cleanup(t, kr, slices.Clone(want)...)
	for _, n := range want {
		mustSet(t, kr, n, []byte("x"))
	}
	if err := kr.Remove(ctx(t), p+"b"); err != nil {
		t.Fatal(err)
	}
	want = slices.Delete(want, 1, 2)
	for _, k := range []keyring.Keyring{kr, open()} {
		names, err := k.List(ctx(t))
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if got := ours(names, p); !slices.Equal(got, want) {
			t.Errorf("List = %q, want %q", got, want)
		}
	}
}

func testNameRules(t *testing.T, open func() keyring.Keyring, p string) {
	kr := open()
	long := p + strings.Repeat("x", keyring.MaxNameLen-len(p))
	punct := p + "!\"#$%&'()*+,-.:;<=>?@[\\]^_`{|}~"
	cleanup(t, kr, long, punct)
	for _, n := range []string{long, punct} {
		mustSet(t, kr, n, []byte(n))
		mustGet(t, open(), n, []byte(n))
	}
	for _, bad := range []string{"", p + "a/b", p + "a b", p + "tab\t", p + "é", long + "x", "../" + p} {
		if err := kr.Set(ctx(t), bad, []byte("x")); err == nil {
			kr.Remove(ctx(t), bad)
			t.Errorf("Set(%q) succeeded; the name breaks the rules", bad)
		}
		if _, err := kr.Get(ctx(t), bad); err == nil || errors.Is(err, keyring.ErrNotFound) {
			t.Errorf("Get(%q) = %v, want an invalid-name error", bad, err)
		}
	}
}

func testCase(t *testing.T, open func() keyring.Keyring, p string) {
	kr := open()
	lower, upper := p+"profile", p+"PROFILE"
	cleanup(t, kr, lower, upper)
	mustSet(t, kr, lower, []byte("lower"))
	mustSet(t, kr, upper, []byte("upper"))
	mustGet(t, kr, lower, []byte("lower"))
	mustGet(t, kr, upper, []byte("upper"))
}

func testConcurrent(t *testing.T, open func() keyring.Keyring, p string) {
	const n = 8
	var names []string
	for i := range n {
		names = append(names, fmt.Sprintf("%sgo%d", p, i))
	}
	kr := open()
	cleanup(t, kr, append(names, p+"same")...)
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		// Half the goroutines share one Keyring, half have their own, as
		// goroutines and processes would.
		k := kr
		if i%2 == 1 {
			k = open()
		}
		wg.Go(func() {
			if err := k.Set(ctx(t), names[i], []byte(names[i])); err != nil {
				errs <- err
			}
			if err := k.Set(ctx(t), p+"same", []byte(names[i])); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Set: %v", err)
	}
	for _, name := range names {
		mustGet(t, kr, name, []byte(name))
	}
	got, err := kr.Get(ctx(t), p+"same")
	if err != nil || !slices.Contains(names, string(got)) {
		t.Errorf("Get of a name set concurrently = %q, %v; want one of the values set", got, err)
	}
	list, err := open().List(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ours(list, p), append(slices.Sorted(slices.Values(names)), p+"same"); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("List after concurrent Sets = %q", got)
	}
}

func testKeysHelpers(t *testing.T, open func() keyring.Keyring, p string) {
	kr := open()
	profiles := []string{p + "prod", p + "with space/and slash", p + "ünïcode"}
	keys := keyring.AccessKeys{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	for _, pr := range profiles {
		name, err := keyring.KeysItemName(pr)
		if err != nil {
			t.Fatal(err)
		}
		cleanup(t, kr, name)
		if err := keyring.SetKeys(ctx(t), kr, pr, keys); err != nil {
			t.Fatalf("SetKeys(%q): %v", pr, err)
		}
	}
	for _, pr := range profiles {
		got, err := keyring.GetKeys(ctx(t), open(), pr)
		if err != nil || got != keys {
			t.Errorf("GetKeys(%q) = %v, %v", pr, got, err)
		}
	}
	list, err := keyring.ListKeyProfiles(ctx(t), open())
	if err != nil {
		t.Fatal(err)
	}
	if got := ours(list, p); !slices.Equal(got, slices.Sorted(slices.Values(profiles))) {
		t.Errorf("ListKeyProfiles = %q, want %q", got, profiles)
	}
	if err := keyring.RemoveKeys(ctx(t), kr, profiles[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.GetKeys(ctx(t), kr, profiles[0]); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("GetKeys after RemoveKeys: %v, want ErrNotFound", err)
	}
	if err := keyring.RemoveKeys(ctx(t), kr, profiles[0]); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("second RemoveKeys: %v, want ErrNotFound", err)
	}
}

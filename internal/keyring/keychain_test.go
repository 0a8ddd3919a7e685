package keyring

import (
	"context"
	"encoding/base64"
	"errors"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The Keychain backend's logic runs on every system against fakeKeychain,
// a model of the legacy macOS keychain's access lists: each item trusts a
// list of programs, a program on the list reads without a dialog, any
// other program makes the keychain ask the user. keychain_darwin.go, the
// real keychainItems, runs only on macOS (see docs/security.md for what
// was and was not run).

const (
	kagiApp     = "/opt/homebrew/bin/kagi"
	securityApp = "/usr/bin/security"
)

type fakeItem struct {
	data, label, comment string
	trusted              []string
}

type fakeKeychain struct {
	mu    sync.Mutex
	items map[string]fakeItem // by service + "\x00" + account
	// caller is the program whose calls go through the keychainItems
	// interface: kagi itself.
	caller string
	// allow answers the access dialog for a program not on the list.
	allow func(app string) bool
	// dialogs counts the access dialogs shown, by program.
	dialogs map[string]int
	// fail, when set, makes an operation fail: it gets the operation name
	// and account, and returns the OSStatus to fail with, or 0.
	fail func(op, account string) int32
	// block, when set, makes find wait until it is closed.
	block chan struct{}
}

func newFakeKeychain() *fakeKeychain {
	return &fakeKeychain{
		items:   make(map[string]fakeItem),
		caller:  kagiApp,
		allow:   func(string) bool { return false },
		dialogs: make(map[string]int),
	}
}

func fakeKey(service, account string) string { return service + "\x00" + account }

func (f *fakeKeychain) failing(op, account string) error {
	if f.fail == nil {
		return nil
	}
	if st := f.fail(op, account); st != 0 {
		return &KeychainError{Op: op, Status: st}
	}
	return nil
}

// readAs reads the item as program app would, through the access list.
func (f *fakeKeychain) readAs(app, service, account string) ([]byte, string, error) {
	if f.block != nil {
		<-f.block
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failing("SecItemCopyMatching", account); err != nil {
		return nil, "", err
	}
	it, ok := f.items[fakeKey(service, account)]
	if !ok {
		return nil, "", &KeychainError{Op: "SecItemCopyMatching", Status: errSecItemNotFound}
	}
	if !slices.Contains(it.trusted, app) {
		f.dialogs[app]++
		if !f.allow(app) {
			return nil, "", &KeychainError{Op: "SecItemCopyMatching", Status: errSecUserCanceled}
		}
	}
	return []byte(it.data), it.comment, nil
}

func (f *fakeKeychain) find(service, account string) ([]byte, string, error) {
	return f.readAs(f.caller, service, account)
}

func (f *fakeKeychain) add(service, account, label, comment string, data []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failing("SecItemAdd", account); err != nil {
		return err
	}
	k := fakeKey(service, account)
	if _, ok := f.items[k]; ok {
		return &KeychainError{Op: "SecItemAdd", Status: errSecDuplicateItem}
	}
	f.items[k] = fakeItem{data: string(data), label: label, comment: comment, trusted: []string{f.caller}}
	return nil
}

// addLegacy stores an item as `security add-generic-password` did for
// kagi before issue 10: base64 data, no comment, trusting security.
func (f *fakeKeychain) addLegacy(account string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items[fakeKey(keychainService, account)] = fakeItem{
		data:    base64.StdEncoding.EncodeToString(data),
		label:   "kagi: " + account,
		trusted: []string{securityApp},
	}
}

func (f *fakeKeychain) remove(service, account string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.failing("SecItemDelete", account); err != nil {
		return err
	}
	k := fakeKey(service, account)
	if _, ok := f.items[k]; !ok {
		return &KeychainError{Op: "SecItemDelete", Status: errSecItemNotFound}
	}
	delete(f.items, k)
	return nil
}

func (f *fakeKeychain) accounts(service string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var names []string
	for k := range f.items {
		if s, a, _ := strings.Cut(k, "\x00"); s == service {
			names = append(names, a)
		}
	}
	return names, nil
}

func (f *fakeKeychain) item(account string) (fakeItem, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	it, ok := f.items[fakeKey(keychainService, account)]
	return it, ok
}

func keychainCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// NewFakeKeychainForTests returns an opener of Keychain stores that share
// one fake keychain, for the conformance suite in
// keychain_conformance_test.go.
func NewFakeKeychainForTests() func() Keyring {
	f := newFakeKeychain()
	return func() Keyring { return newKeychainStore(f, Options{}) }
}

func TestKeychainItemsTrustOnlyKagi(t *testing.T) {
	f := newFakeKeychain()
	kc := newKeychainStore(f, Options{})
	ctx := keychainCtx(t)
	if err := kc.Set(ctx, "keys:prod", []byte("secret")); err != nil {
		t.Fatal(err)
	}
	it, ok := f.item("keys:prod")
	if !ok {
		t.Fatal("no item after Set")
	}
	if !slices.Equal(it.trusted, []string{kagiApp}) {
		t.Errorf("access list = %q, want only kagi", it.trusted)
	}
	// Another program of the user: `security find-generic-password -s
	// kagi -w` gets a dialog, not the data.
	if _, _, err := f.readAs(securityApp, keychainService, "keys:prod"); err == nil {
		t.Error("security read kagi's item without a dialog")
	}
	if f.dialogs[securityApp] != 1 {
		t.Errorf("dialogs for security = %d, want 1", f.dialogs[securityApp])
	}
	// kagi itself reads silently.
	got, err := kc.Get(ctx, "keys:prod")
	if err != nil || string(got) != "secret" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if f.dialogs[kagiApp] != 0 {
		t.Errorf("kagi got %d dialogs reading its own item", f.dialogs[kagiApp])
	}
}

func TestKeychainSetReplacesAccessListOfOldItem(t *testing.T) {
	// Updating an item in place (what `security add-generic-password -U`
	// does) keeps its access list; Set must not.
	f := newFakeKeychain()
	f.addLegacy("keys:prod", []byte("old"))
	kc := newKeychainStore(f, Options{})
	if err := kc.Set(keychainCtx(t), "keys:prod", []byte("new")); err != nil {
		t.Fatal(err)
	}
	it, _ := f.item("keys:prod")
	if !slices.Equal(it.trusted, []string{kagiApp}) || it.comment != keychainComment {
		t.Errorf("after Set over an old item: access list %q, comment %q", it.trusted, it.comment)
	}
	if f.dialogs[kagiApp] != 0 {
		t.Errorf("Set showed %d dialogs", f.dialogs[kagiApp])
	}
}

func TestKeychainRenewsItemsOfOlderKagi(t *testing.T) {
	f := newFakeKeychain()
	f.addLegacy("keys:prod", []byte("AKIA/secret"))
	f.allow = func(app string) bool { return app == kagiApp } // the user clicks Allow once
	kc := newKeychainStore(f, Options{})
	ctx := keychainCtx(t)
	got, err := kc.Get(ctx, "keys:prod")
	if err != nil || string(got) != "AKIA/secret" {
		t.Fatalf("Get of an old item = %q, %v", got, err)
	}
	if f.dialogs[kagiApp] != 1 {
		t.Errorf("dialogs = %d, want the one for the old item", f.dialogs[kagiApp])
	}
	it, _ := f.item("keys:prod")
	if !slices.Equal(it.trusted, []string{kagiApp}) || it.comment != keychainComment {
		t.Errorf("old item not renewed: access list %q, comment %q", it.trusted, it.comment)
	}
	if _, ok := f.item("keys:prod" + keychainRenewSuffix); ok {
		t.Error("the renewal left its copy behind")
	}
	// security no longer reads it silently; kagi does.
	if _, _, err := f.readAs(securityApp, keychainService, "keys:prod"); err == nil {
		t.Error("security still reads the renewed item without a dialog")
	}
	f.allow = func(string) bool { return false }
	if got, err := kc.Get(ctx, "keys:prod"); err != nil || string(got) != "AKIA/secret" {
		t.Fatalf("second Get = %q, %v", got, err)
	}
	if f.dialogs[kagiApp] != 1 {
		t.Errorf("dialogs after renewal = %d, want still 1", f.dialogs[kagiApp])
	}
}

func TestKeychainDeniedDialogKeepsOldItem(t *testing.T) {
	f := newFakeKeychain()
	f.addLegacy("keys:prod", []byte("secret"))
	kc := newKeychainStore(f, Options{})
	_, err := kc.Get(keychainCtx(t), "keys:prod")
	var ke *KeychainError
	if !errors.As(err, &ke) || ke.Status != errSecUserCanceled || ke.Hint() == "" {
		t.Fatalf("Get with the dialog denied: %v, want a KeychainError with a hint", err)
	}
	if errors.Is(err, ErrNotFound) {
		t.Error("a denied dialog reads as not found")
	}
	if it, ok := f.item("keys:prod"); !ok || it.comment != "" {
		t.Error("a denied read changed the old item")
	}
}

func TestKeychainRenewalInterruptedIsFinished(t *testing.T) {
	f := newFakeKeychain()
	f.addLegacy("keys:prod", []byte("secret"))
	f.allow = func(string) bool { return true }
	// The new item cannot be added after the old one was deleted (the
	// keychain locked in between, or kagi was killed there).
	f.fail = func(op, account string) int32 {
		if op == "SecItemAdd" && account == "keys:prod" {
			return errSecInteractionNotAllowed
		}
		return 0
	}
	kc := newKeychainStore(f, Options{})
	ctx := keychainCtx(t)
	if _, err := kc.Get(ctx, "keys:prod"); err == nil {
		t.Fatal("Get hid a failed renewal")
	} else if strings.Contains(err.Error(), "secret") {
		t.Fatalf("error shows the data: %v", err)
	}
	if _, ok := f.item("keys:prod" + keychainRenewSuffix); !ok {
		t.Fatal("no copy kept after the old item was deleted")
	}
	names, err := kc.List(ctx)
	if err != nil || !slices.Equal(names, []string{"keys:prod"}) {
		t.Errorf("List during a renewal = %q, %v; want the name once", names, err)
	}
	f.fail = nil
	got, err := kc.Get(ctx, "keys:prod")
	if err != nil || string(got) != "secret" {
		t.Fatalf("Get after the interruption = %q, %v", got, err)
	}
	it, ok := f.item("keys:prod")
	if !ok || !slices.Equal(it.trusted, []string{kagiApp}) {
		t.Errorf("renewal not finished: %+v", it.trusted)
	}
	if _, ok := f.item("keys:prod" + keychainRenewSuffix); ok {
		t.Error("copy left after the renewal finished")
	}
	// Remove must take a copy with it, or a later Get would bring it back.
	f.fail = func(op, account string) int32 {
		if op == "SecItemAdd" && account == "keys:dev" {
			return errSecInteractionNotAllowed
		}
		return 0
	}
	f.addLegacy("keys:dev", []byte("dev"))
	_, _ = kc.Get(ctx, "keys:dev") // fails after keeping the copy
	f.fail = nil
	if err := kc.Remove(ctx, "keys:dev"); err != nil {
		t.Fatalf("Remove of a name held only by its copy: %v", err)
	}
	if _, err := kc.Get(ctx, "keys:dev"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Remove = %v, want ErrNotFound", err)
	}
}

func TestKeychainRenewalThatCannotStartKeepsOldItem(t *testing.T) {
	f := newFakeKeychain()
	f.addLegacy("keys:prod", []byte("secret"))
	f.allow = func(string) bool { return true }
	f.fail = func(op, account string) int32 {
		if op == "SecItemDelete" && account == "keys:prod" {
			return errSecAuthFailed
		}
		return 0
	}
	kc := newKeychainStore(f, Options{})
	got, err := kc.Get(keychainCtx(t), "keys:prod")
	if err != nil || string(got) != "secret" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if it, ok := f.item("keys:prod"); !ok || it.comment != "" {
		t.Error("old item changed by a renewal that could not delete it")
	}
	if _, ok := f.item("keys:prod" + keychainRenewSuffix); ok {
		t.Error("copy left by a renewal that did not start")
	}
}

func TestKeychainCallsAreBounded(t *testing.T) {
	// A dialog nobody answers must not hang kagi past the prompt timeout.
	f := newFakeKeychain()
	f.block = make(chan struct{})
	defer close(f.block)
	kc := newKeychainStore(f, Options{PromptTimeout: 50 * time.Millisecond})
	start := time.Now()
	if _, err := kc.Get(keychainCtx(t), "keys:prod"); err == nil {
		t.Fatal("Get returned without the keychain answering")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Get took %v", d)
	}
}

func TestKeychainErrors(t *testing.T) {
	for _, tt := range []struct {
		status   int32
		notFound bool
		hint     bool
	}{
		{errSecItemNotFound, true, false},
		{errSecUserCanceled, false, true},
		{errSecAuthFailed, false, true},
		{errSecInteractionNotAllowed, false, true},
		{errSecNoDefaultKeychain, false, true},
		{-50, false, false},
	} {
		err := &KeychainError{Op: "SecItemCopyMatching", Status: tt.status}
		msg := err.Error()
		if !strings.HasPrefix(msg, "keychain: SecItemCopyMatching: ") || !strings.Contains(msg, strconv.Itoa(int(tt.status))) {
			t.Errorf("status %d: message %q", tt.status, msg)
		}
		if msg != strings.ToLower(msg[:1])+msg[1:] || strings.HasSuffix(msg, ".") {
			t.Errorf("status %d: message %q is not a lowercase one-liner", tt.status, msg)
		}
		if got := errors.Is(err, ErrNotFound); got != tt.notFound {
			t.Errorf("status %d: errors.Is(ErrNotFound) = %v", tt.status, got)
		}
		if got := err.Hint() != ""; got != tt.hint {
			t.Errorf("status %d: hint %q", tt.status, err.Hint())
		}
	}
	if !errors.Is(&KeychainError{Op: "SecItemAdd", Status: errSecDuplicateItem}, errKeychainDuplicate) {
		t.Error("duplicate status does not unwrap to errKeychainDuplicate")
	}
}

// TestKeychainDarwinDoesNotRunSecurity pins the fix of issue 10 in the
// source, on every system: the macOS backend must not run
// /usr/bin/security (or any program), since the items a program creates
// trust that program, and any program of the user can run security.
func TestKeychainDarwinDoesNotRunSecurity(t *testing.T) {
	files, err := filepath.Glob("*_darwin.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no darwin sources: %v", err)
	}
	for _, name := range files {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == "os/exec" || p == "github.com/kagi-cli/kagi/internal/extcmd" {
				t.Errorf("%s imports %s: the keychain must be called in-process", name, p)
			}
		}
	}
}

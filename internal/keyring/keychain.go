package keyring

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// The macOS Keychain backend, as far as it does not depend on macOS: the
// store logic over keychainItems, which keychain_darwin.go implements with
// in-process calls into Security.framework and the tests fake.
//
// Why in-process (issue 10): an item of the legacy file-based keychain
// carries an access list of trusted applications, and the keychain
// answers a trusted application without asking the user. Items created by
// running /usr/bin/security trust /usr/bin/security, so any program of
// the user could read kagi's long-term keys silently with
// `security find-generic-password -s kagi -w`. Passing `-T <kagi>` to
// security would take security off the list, but then kagi could no
// longer read its own items through security without a dialog each time
// (and answering "Always Allow" puts security back on the list). Only a
// process that is itself on the list reads silently, so kagi creates and
// reads its items in its own process, as aws-vault does through cgo; kagi
// uses github.com/ebitengine/purego so the build stays CGO_ENABLED=0.

const (
	keychainService = "kagi"
	// keychainComment marks an item written in-process by this code, whose
	// access list trusts only the kagi binary that wrote it. Items without
	// it were written by an older kagi through /usr/bin/security and are
	// rewritten the first time kagi reads them.
	keychainComment = "kagi: readable without a prompt only by kagi (access list v2)"
	// keychainRenewSuffix names the copy kept while an old item is
	// rewritten. '/' is outside the Keyring name rules, so the copy can
	// never collide with a real name, and List hides it.
	keychainRenewSuffix = "/renew"
)

// keychainItems is the part of the macOS keychain kagi uses: generic
// passwords of one service in the default keychain.
type keychainItems interface {
	// find returns the data and comment of (service, account); a missing
	// item is an error wrapping ErrNotFound. The keychain may show a
	// dialog first when the calling program is not on the item's access
	// list, so find can block until the user answers.
	find(service, account string) (data []byte, comment string, err error)
	// add creates the item with an access list that trusts only the
	// calling executable; an existing item is an error wrapping
	// errKeychainDuplicate.
	add(service, account, label, comment string, data []byte) error
	// remove deletes the item; a missing item wraps ErrNotFound.
	remove(service, account string) error
	// accounts lists the accounts of service's items from their
	// attributes, which the keychain gives without a dialog.
	accounts(service string) ([]string, error)
}

// errKeychainDuplicate is wrapped by keychainItems.add for an item that
// exists already.
var errKeychainDuplicate = errors.New("the keychain item exists already")

// keychainStore keeps items as generic passwords (service "kagi", account
// the item name) in the user's default keychain. Data is stored base64,
// as older kagi versions did through security(1), so their items stay
// readable.
type keychainStore struct {
	items         keychainItems
	promptTimeout time.Duration
}

func newKeychainStore(items keychainItems, opts Options) *keychainStore {
	return &keychainStore{items: items, promptTimeout: opts.promptTimeout()}
}

func (k *keychainStore) Backend() string { return BackendKeychain }

// keychainCall runs fn with the prompt timeout: any keychain call may
// wait for an unlock or access dialog.
func keychainCall[T any](ctx context.Context, k *keychainStore, fn func() (T, error)) (T, error) {
	return bounded(ctx, k.promptTimeout, "keychain", fn)
}

func (k *keychainStore) Get(ctx context.Context, name string) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	return keychainCall(ctx, k, func() ([]byte, error) { return k.get(name) })
}

func (k *keychainStore) get(name string) ([]byte, error) {
	raw, comment, err := k.items.find(keychainService, name)
	if errors.Is(err, ErrNotFound) {
		return k.finishRenew(name)
	}
	if err != nil {
		return nil, err
	}
	data, err := keychainDecode(name, raw)
	if err != nil {
		return nil, err
	}
	if comment != keychainComment {
		if err := k.renew(name, data); err != nil {
			return nil, err
		}
	}
	return data, nil
}

// renew rewrites an item of an older kagi, whose access list trusts
// /usr/bin/security, so that it trusts only this kagi. The keychain does
// not let a program change an access list without the user's password, so
// the item is deleted and added again; a copy under name+"/renew" keeps
// the data until the new item exists, and finishRenew completes an
// interrupted renewal. A renewal that cannot start (the copy cannot be
// added, the old item not deleted) leaves the old item as it was and is
// tried again on the next read.
func (k *keychainStore) renew(name string, data []byte) error {
	tmp := name + keychainRenewSuffix
	enc := keychainEncode(data)
	if err := k.items.add(keychainService, tmp, "kagi: "+name+" (being renewed)", keychainComment, enc); err != nil {
		// A copy exists already (another kagi is renewing the item, or a
		// renewal stopped early): go on only if it holds this very data.
		// Otherwise keep the old item as it is.
		if !errors.Is(err, errKeychainDuplicate) {
			return nil
		}
		if got, _, err := k.items.find(keychainService, tmp); err != nil || !bytes.Equal(got, enc) {
			return nil
		}
	}
	if err := k.items.remove(keychainService, name); err != nil && !errors.Is(err, ErrNotFound) {
		_ = k.items.remove(keychainService, tmp) // the old item is intact: drop the copy
		return nil
	}
	if err := k.items.add(keychainService, name, "kagi: "+name, keychainComment, enc); err != nil && !errors.Is(err, errKeychainDuplicate) {
		return fmt.Errorf("keychain: renewing the access list of %q: %w (the data is kept as %q; the next read finishes the renewal)", name, err, tmp)
	}
	_ = k.items.remove(keychainService, tmp) // the new item exists; a leftover copy is finished by the next renewal
	return nil
}

// finishRenew completes a renewal that stopped after the old item was
// deleted: name is missing but its copy exists.
func (k *keychainStore) finishRenew(name string) ([]byte, error) {
	tmp := name + keychainRenewSuffix
	raw, _, err := k.items.find(keychainService, tmp)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	data, err := keychainDecode(name, raw)
	if err != nil {
		return nil, err
	}
	if err := k.items.add(keychainService, name, "kagi: "+name, keychainComment, raw); err != nil && !errors.Is(err, errKeychainDuplicate) {
		return nil, fmt.Errorf("keychain: renewing the access list of %q: %w", name, err)
	}
	_ = k.items.remove(keychainService, tmp)
	return data, nil
}

func (k *keychainStore) Set(ctx context.Context, name string, data []byte) error {
	if err := checkName(name); err != nil {
		return err
	}
	_, err := keychainCall(ctx, k, func() (struct{}, error) { return struct{}{}, k.set(name, data) })
	return err
}

// set adds the item, deleting an existing one first: updating it in place
// would keep its access list, which for an item of an older kagi trusts
// /usr/bin/security. Concurrent Sets of one name may delete each other's
// items between the delete and the add, so the pair is retried.
func (k *keychainStore) set(name string, data []byte) error {
	enc := keychainEncode(data)
	var err error
	for range 5 {
		err = k.items.add(keychainService, name, "kagi: "+name, keychainComment, enc)
		if !errors.Is(err, errKeychainDuplicate) {
			break
		}
		if err := k.items.remove(keychainService, name); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	if err != nil {
		return err
	}
	// A copy left by an interrupted renewal holds older data: drop it, so
	// that no later read could bring it back.
	if err := k.items.remove(keychainService, name+keychainRenewSuffix); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}

func (k *keychainStore) Remove(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	_, err := keychainCall(ctx, k, func() (struct{}, error) {
		errItem := k.items.remove(keychainService, name)
		errCopy := k.items.remove(keychainService, name+keychainRenewSuffix)
		switch {
		case errItem == nil || (errors.Is(errItem, ErrNotFound) && errCopy == nil):
			return struct{}{}, nil
		case errors.Is(errItem, ErrNotFound):
			return struct{}{}, fmt.Errorf("%q: %w", name, ErrNotFound)
		}
		return struct{}{}, errItem
	})
	return err
}

// List reads the attributes (not the secrets) of the items of service
// "kagi". A copy left by an interrupted renewal counts as its item.
func (k *keychainStore) List(ctx context.Context) ([]string, error) {
	return keychainCall(ctx, k, func() ([]string, error) {
		accts, err := k.items.accounts(keychainService)
		if err != nil {
			return nil, err
		}
		seen := make(map[string]bool)
		var names []string
		for _, a := range accts {
			if base, ok := cutSuffix(a, keychainRenewSuffix); ok {
				a = base
			}
			if ValidName(a) && !seen[a] {
				seen[a] = true
				names = append(names, a)
			}
		}
		return names, nil
	})
}

func cutSuffix(s, suffix string) (string, bool) {
	if len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix {
		return s[:len(s)-len(suffix)], true
	}
	return s, false
}

func keychainEncode(data []byte) []byte {
	return []byte(base64.StdEncoding.EncodeToString(data))
}

func keychainDecode(name string, raw []byte) ([]byte, error) {
	data, err := base64.StdEncoding.DecodeString(string(raw))
	if err != nil {
		return nil, fmt.Errorf("keychain: item %q was not written by kagi", name)
	}
	return data, nil
}

// KeychainError is a failed call into Security.framework, with its
// OSStatus. Not-found and duplicate statuses unwrap to ErrNotFound and
// errKeychainDuplicate.
type KeychainError struct {
	Op     string // the function that failed, e.g. "SecItemCopyMatching"
	Status int32
}

// OSStatus values of Security.framework (SecBase.h) that kagi names.
const (
	errSecUserCanceled          = -128
	errSecNotAvailable          = -25291
	errSecAuthFailed            = -25293
	errSecNoSuchKeychain        = -25294
	errSecDuplicateItem         = -25299
	errSecItemNotFound          = -25300
	errSecNoDefaultKeychain     = -25307
	errSecInteractionNotAllowed = -25308
)

func (e *KeychainError) Error() string {
	var what string
	switch e.Status {
	case errSecUserCanceled:
		what = "the access dialog was canceled"
	case errSecAuthFailed:
		what = "access was denied"
	case errSecInteractionNotAllowed:
		what = "the keychain is locked or needs a dialog, and none can be shown here"
	case errSecNotAvailable, errSecNoSuchKeychain, errSecNoDefaultKeychain:
		what = "no default keychain is available"
	case errSecItemNotFound:
		what = "no such item"
	case errSecDuplicateItem:
		what = "the item exists already"
	default:
		what = "failed"
	}
	return fmt.Sprintf("keychain: %s: %s (OSStatus %d)", e.Op, what, e.Status)
}

// Hint says what the user can do about the statuses that have a next step.
func (e *KeychainError) Hint() string {
	switch e.Status {
	case errSecUserCanceled, errSecAuthFailed:
		return "macOS asks before a program that is not on an item's access list reads it; a new or rebuilt kagi binary is such a program until you click Allow (or Always Allow, to trust this binary)"
	case errSecInteractionNotAllowed:
		return "over SSH or without a desktop session, unlock the keychain first with `security unlock-keychain`, or run kagi once in the desktop session and allow it"
	case errSecNotAvailable, errSecNoSuchKeychain, errSecNoDefaultKeychain:
		return "create or choose a default keychain in Keychain Access, or choose another store with --backend file"
	}
	return ""
}

func (e *KeychainError) Unwrap() error {
	switch e.Status {
	case errSecItemNotFound:
		return ErrNotFound
	case errSecDuplicateItem:
		return errKeychainDuplicate
	}
	return nil
}

package keyring

import (
	"context"
	"fmt"
	"unsafe"

	"github.com/ebitengine/purego"
)

// secItems implements keychainItems with calls into Security.framework
// and CoreFoundation from kagi's own process, through purego (dlopen and
// C calls without cgo: the darwin build stays CGO_ENABLED=0 and
// cross-compiles). Being in-process is the point: the keychain trusts the
// program that calls it, and the items kagi creates trust only kagi.
//
// The calls are those of aws-vault's keyring (99designs/keyring over
// keybase/go-keychain): SecItemAdd with kSecAttrAccess from SecAccessCreate
// and a trusted-application list, SecItemCopyMatching, SecItemDelete, on
// the legacy file-based keychain. The data protection keychain is not
// used: it needs a keychain-access-groups entitlement, which only a signed
// app with a provisioning profile has.
type secItems struct {
	// CoreFoundation. CFIndex is a signed long (Go int), CFTypeID an
	// unsigned long (Go uint), CF objects are pointers (uintptr here: they
	// live in C memory and Go never dereferences them).
	cfRelease               func(ref uintptr)
	cfGetTypeID             func(ref uintptr) uint
	cfStringGetTypeID       func() uint
	cfDataGetTypeID         func() uint
	cfDictionaryGetTypeID   func() uint
	cfArrayGetTypeID        func() uint
	cfStringCreateWithBytes func(alloc uintptr, bytes *byte, n int, encoding uint32, external bool) uintptr
	cfStringGetCString      func(s uintptr, buf *byte, size int, encoding uint32) bool
	cfDataCreate            func(alloc uintptr, bytes *byte, n int) uintptr
	cfDataGetLength         func(d uintptr) int
	cfDataGetBytePtr        func(d uintptr) unsafe.Pointer
	cfDictionaryCreate      func(alloc uintptr, keys, values *uintptr, n int, keyCallBacks, valueCallBacks uintptr) uintptr
	cfDictionaryGetValue    func(d, key uintptr) uintptr
	cfArrayCreate           func(alloc uintptr, values *uintptr, n int, callBacks uintptr) uintptr
	cfArrayGetCount         func(a uintptr) int
	cfArrayGetValueAtIndex  func(a uintptr, i int) uintptr

	// Security. OSStatus is an int32.
	secItemAdd                          func(attrs, result uintptr) int32
	secItemCopyMatching                 func(query uintptr, result *uintptr) int32
	secItemDelete                       func(query uintptr) int32
	secAccessCreate                     func(descriptor, trustedList uintptr, access *uintptr) int32
	secTrustedApplicationCreateFromPath func(path *byte, app *uintptr) int32
	secKeychainCreate                   func(path string, passwordLen uint32, password *byte, prompt bool, access uintptr, keychain *uintptr) int32
	secKeychainDelete                   func(keychain uintptr) int32

	// keychain is the SecKeychainRef items go to and are searched in; 0
	// is the user's default keychain. Only tests set it, to a keychain
	// file of their own.
	keychain uintptr

	// Addresses of CoreFoundation's callback structs, and the values of
	// the CFStringRef/CFBooleanRef constants.
	dictKeyCallBacks, dictValueCallBacks, arrayCallBacks uintptr

	cfBooleanTrue        uintptr
	kSecClass            uintptr
	kSecClassGenericPass uintptr
	kSecAttrService      uintptr
	kSecAttrAccount      uintptr
	kSecAttrLabel        uintptr
	kSecAttrComment      uintptr
	kSecAttrAccess       uintptr
	kSecValueData        uintptr
	kSecReturnData       uintptr
	kSecReturnAttributes uintptr
	kSecMatchLimit       uintptr
	kSecMatchLimitOne    uintptr
	kSecMatchLimitAll    uintptr
	kSecUseKeychain      uintptr
	kSecMatchSearchList  uintptr
}

const (
	securityFramework       = "/System/Library/Frameworks/Security.framework/Security"
	coreFoundationFramework = "/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation"
	kCFStringEncodingUTF8   = 0x08000100
)

func openKeychain(ctx context.Context, opts Options) (Keyring, error) {
	items, err := loadSecItems()
	if err != nil {
		return nil, err
	}
	return newKeychainStore(items, opts), nil
}

// symbols resolves names in one library, keeping the first error.
type symbols struct {
	lib uintptr
	err error
}

func (s *symbols) addr(name string) uintptr {
	if s.err != nil {
		return 0
	}
	a, err := purego.Dlsym(s.lib, name)
	if err == nil && a == 0 {
		err = fmt.Errorf("not found")
	}
	if err != nil {
		s.err = fmt.Errorf("keychain: symbol %s: %w", name, err)
		return 0
	}
	return a
}

// fn binds the C function name to fptr, a pointer to a Go func variable.
func (s *symbols) fn(fptr any, name string) {
	if a := s.addr(name); a != 0 {
		purego.RegisterFunc(fptr, a)
	}
}

// value reads the pointer-sized global variable name (a CFStringRef
// constant such as kSecClass).
func (s *symbols) value(name string) uintptr {
	a := s.addr(name)
	if a == 0 {
		return 0
	}
	// a is the address of a C global, outside the Go heap; reading it
	// through a **uintptr keeps go vet's unsafeptr check quiet about
	// converting a uintptr to a pointer.
	return **(**uintptr)(unsafe.Pointer(&a))
}

func loadSecItems() (*secItems, error) {
	cfLib, err := purego.Dlopen(coreFoundationFramework, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, fmt.Errorf("keychain: loading CoreFoundation: %w", err)
	}
	secLib, err := purego.Dlopen(securityFramework, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, fmt.Errorf("keychain: loading Security.framework: %w", err)
	}
	x := &secItems{}
	cf := &symbols{lib: cfLib}
	cf.fn(&x.cfRelease, "CFRelease")
	cf.fn(&x.cfGetTypeID, "CFGetTypeID")
	cf.fn(&x.cfStringGetTypeID, "CFStringGetTypeID")
	cf.fn(&x.cfDataGetTypeID, "CFDataGetTypeID")
	cf.fn(&x.cfDictionaryGetTypeID, "CFDictionaryGetTypeID")
	cf.fn(&x.cfArrayGetTypeID, "CFArrayGetTypeID")
	cf.fn(&x.cfStringCreateWithBytes, "CFStringCreateWithBytes")
	cf.fn(&x.cfStringGetCString, "CFStringGetCString")
	cf.fn(&x.cfDataCreate, "CFDataCreate")
	cf.fn(&x.cfDataGetLength, "CFDataGetLength")
	cf.fn(&x.cfDataGetBytePtr, "CFDataGetBytePtr")
	cf.fn(&x.cfDictionaryCreate, "CFDictionaryCreate")
	cf.fn(&x.cfDictionaryGetValue, "CFDictionaryGetValue")
	cf.fn(&x.cfArrayCreate, "CFArrayCreate")
	cf.fn(&x.cfArrayGetCount, "CFArrayGetCount")
	cf.fn(&x.cfArrayGetValueAtIndex, "CFArrayGetValueAtIndex")
	x.dictKeyCallBacks = cf.addr("kCFTypeDictionaryKeyCallBacks")
	x.dictValueCallBacks = cf.addr("kCFTypeDictionaryValueCallBacks")
	x.arrayCallBacks = cf.addr("kCFTypeArrayCallBacks")
	x.cfBooleanTrue = cf.value("kCFBooleanTrue")
	if cf.err != nil {
		return nil, cf.err
	}
	sec := &symbols{lib: secLib}
	sec.fn(&x.secItemAdd, "SecItemAdd")
	sec.fn(&x.secItemCopyMatching, "SecItemCopyMatching")
	sec.fn(&x.secItemDelete, "SecItemDelete")
	sec.fn(&x.secAccessCreate, "SecAccessCreate")
	sec.fn(&x.secTrustedApplicationCreateFromPath, "SecTrustedApplicationCreateFromPath")
	sec.fn(&x.secKeychainCreate, "SecKeychainCreate")
	sec.fn(&x.secKeychainDelete, "SecKeychainDelete")
	x.kSecClass = sec.value("kSecClass")
	x.kSecClassGenericPass = sec.value("kSecClassGenericPassword")
	x.kSecAttrService = sec.value("kSecAttrService")
	x.kSecAttrAccount = sec.value("kSecAttrAccount")
	x.kSecAttrLabel = sec.value("kSecAttrLabel")
	x.kSecAttrComment = sec.value("kSecAttrComment")
	x.kSecAttrAccess = sec.value("kSecAttrAccess")
	x.kSecValueData = sec.value("kSecValueData")
	x.kSecReturnData = sec.value("kSecReturnData")
	x.kSecReturnAttributes = sec.value("kSecReturnAttributes")
	x.kSecMatchLimit = sec.value("kSecMatchLimit")
	x.kSecMatchLimitOne = sec.value("kSecMatchLimitOne")
	x.kSecMatchLimitAll = sec.value("kSecMatchLimitAll")
	x.kSecUseKeychain = sec.value("kSecUseKeychain")
	x.kSecMatchSearchList = sec.value("kSecMatchSearchList")
	if sec.err != nil {
		return nil, sec.err
	}
	return x, nil
}

// cfObjects collects CF objects to release together.
type cfObjects struct {
	x    *secItems
	refs []uintptr
}

func (o *cfObjects) keep(ref uintptr) uintptr {
	if ref != 0 {
		o.refs = append(o.refs, ref)
	}
	return ref
}

func (o *cfObjects) release() {
	for _, r := range o.refs {
		o.x.cfRelease(r)
	}
}

func (o *cfObjects) str(s string) uintptr {
	b := []byte(s)
	var p *byte
	if len(b) > 0 {
		p = &b[0]
	}
	return o.keep(o.x.cfStringCreateWithBytes(0, p, len(b), kCFStringEncodingUTF8, false))
}

func (o *cfObjects) data(b []byte) uintptr {
	var p *byte
	if len(b) > 0 {
		p = &b[0]
	}
	return o.keep(o.x.cfDataCreate(0, p, len(b)))
}

// dict makes a CFDictionary of kv: key, value, key, value...
func (o *cfObjects) dict(kv ...uintptr) (uintptr, error) {
	var keys, values []uintptr
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == 0 || kv[i+1] == 0 {
			return 0, fmt.Errorf("keychain: CoreFoundation could not make a query value")
		}
		keys = append(keys, kv[i])
		values = append(values, kv[i+1])
	}
	d := o.keep(o.x.cfDictionaryCreate(0, &keys[0], &values[0], len(keys), o.x.dictKeyCallBacks, o.x.dictValueCallBacks))
	if d == 0 {
		return 0, fmt.Errorf("keychain: CoreFoundation could not make a query")
	}
	return d, nil
}

// searchIn adds to a query the keychain x works on, when it is not the
// default one.
func (o *cfObjects) searchIn(kv []uintptr) []uintptr {
	if o.x.keychain == 0 {
		return kv
	}
	kc := o.x.keychain
	return append(kv, o.x.kSecMatchSearchList, o.keep(o.x.cfArrayCreate(0, &kc, 1, o.x.arrayCallBacks)))
}

// goString copies a CFString out; ok is false for anything else.
func (x *secItems) goString(ref uintptr) (string, bool) {
	if ref == 0 || x.cfGetTypeID(ref) != x.cfStringGetTypeID() {
		return "", false
	}
	buf := make([]byte, 4*MaxNameLen+1)
	if !x.cfStringGetCString(ref, &buf[0], len(buf), kCFStringEncodingUTF8) {
		return "", false
	}
	for i, c := range buf {
		if c == 0 {
			return string(buf[:i]), true
		}
	}
	return "", false
}

// goBytes copies a CFData out.
func (x *secItems) goBytes(ref uintptr) ([]byte, bool) {
	if ref == 0 || x.cfGetTypeID(ref) != x.cfDataGetTypeID() {
		return nil, false
	}
	n := x.cfDataGetLength(ref)
	if n == 0 {
		return []byte{}, true
	}
	p := x.cfDataGetBytePtr(ref)
	if p == nil || n < 0 {
		return nil, false
	}
	return append([]byte(nil), unsafe.Slice((*byte)(p), n)...), true
}

func (x *secItems) find(service, account string) ([]byte, string, error) {
	o := &cfObjects{x: x}
	defer o.release()
	q, err := o.dict(o.searchIn([]uintptr{
		x.kSecClass, x.kSecClassGenericPass,
		x.kSecAttrService, o.str(service),
		x.kSecAttrAccount, o.str(account),
		x.kSecMatchLimit, x.kSecMatchLimitOne,
		x.kSecReturnData, x.cfBooleanTrue,
		x.kSecReturnAttributes, x.cfBooleanTrue,
	})...)
	if err != nil {
		return nil, "", err
	}
	var res uintptr
	if st := x.secItemCopyMatching(q, &res); st != 0 {
		return nil, "", &KeychainError{Op: "SecItemCopyMatching", Status: st}
	}
	o.keep(res)
	if res == 0 || x.cfGetTypeID(res) != x.cfDictionaryGetTypeID() {
		return nil, "", fmt.Errorf("keychain: SecItemCopyMatching returned no attributes for %q", account)
	}
	data, ok := x.goBytes(x.cfDictionaryGetValue(res, x.kSecValueData))
	if !ok {
		return nil, "", fmt.Errorf("keychain: SecItemCopyMatching returned no data for %q", account)
	}
	comment, _ := x.goString(x.cfDictionaryGetValue(res, x.kSecAttrComment)) // absent on items of older kagi versions
	return data, comment, nil
}

func (x *secItems) add(service, account, label, comment string, data []byte) error {
	o := &cfObjects{x: x}
	defer o.release()
	// The access list: this executable alone (a NULL path means the
	// calling application). Without kSecAttrAccess the keychain would
	// also default to the caller; naming it keeps that explicit.
	var self uintptr
	if st := x.secTrustedApplicationCreateFromPath(nil, &self); st != 0 {
		return &KeychainError{Op: "SecTrustedApplicationCreateFromPath", Status: st}
	}
	o.keep(self)
	apps := o.keep(x.cfArrayCreate(0, &self, 1, x.arrayCallBacks))
	if apps == 0 {
		return fmt.Errorf("keychain: CoreFoundation could not make the access list")
	}
	var access uintptr
	if st := x.secAccessCreate(o.str(label), apps, &access); st != 0 {
		return &KeychainError{Op: "SecAccessCreate", Status: st}
	}
	o.keep(access)
	kv := []uintptr{
		x.kSecClass, x.kSecClassGenericPass,
		x.kSecAttrService, o.str(service),
		x.kSecAttrAccount, o.str(account),
		x.kSecAttrLabel, o.str(label),
		x.kSecAttrComment, o.str(comment),
		x.kSecAttrAccess, access,
		x.kSecValueData, o.data(data),
	}
	if x.keychain != 0 {
		kv = append(kv, x.kSecUseKeychain, x.keychain)
	}
	attrs, err := o.dict(kv...)
	if err != nil {
		return err
	}
	if st := x.secItemAdd(attrs, 0); st != 0 {
		return &KeychainError{Op: "SecItemAdd", Status: st}
	}
	return nil
}

func (x *secItems) remove(service, account string) error {
	o := &cfObjects{x: x}
	defer o.release()
	q, err := o.dict(o.searchIn([]uintptr{
		x.kSecClass, x.kSecClassGenericPass,
		x.kSecAttrService, o.str(service),
		x.kSecAttrAccount, o.str(account),
	})...)
	if err != nil {
		return err
	}
	if st := x.secItemDelete(q); st != 0 {
		return &KeychainError{Op: "SecItemDelete", Status: st}
	}
	return nil
}

func (x *secItems) accounts(service string) ([]string, error) {
	o := &cfObjects{x: x}
	defer o.release()
	q, err := o.dict(o.searchIn([]uintptr{
		x.kSecClass, x.kSecClassGenericPass,
		x.kSecAttrService, o.str(service),
		x.kSecMatchLimit, x.kSecMatchLimitAll,
		x.kSecReturnAttributes, x.cfBooleanTrue,
	})...)
	if err != nil {
		return nil, err
	}
	var res uintptr
	st := x.secItemCopyMatching(q, &res)
	if st == errSecItemNotFound {
		return nil, nil
	}
	if st != 0 {
		return nil, &KeychainError{Op: "SecItemCopyMatching", Status: st}
	}
	o.keep(res)
	var dicts []uintptr
	switch {
	case res == 0:
	case x.cfGetTypeID(res) == x.cfArrayGetTypeID():
		for i := range x.cfArrayGetCount(res) {
			dicts = append(dicts, x.cfArrayGetValueAtIndex(res, i))
		}
	case x.cfGetTypeID(res) == x.cfDictionaryGetTypeID():
		dicts = append(dicts, res)
	}
	var names []string
	for _, d := range dicts {
		if d == 0 || x.cfGetTypeID(d) != x.cfDictionaryGetTypeID() {
			continue
		}
		if name, ok := x.goString(x.cfDictionaryGetValue(d, x.kSecAttrAccount)); ok {
			names = append(names, name)
		}
	}
	return names, nil
}

// createKeychain makes a keychain file at path, unlocked, with password,
// and makes x work on it instead of the default keychain; remove deletes
// the file. For tests on a Mac, which must not touch the login keychain.
func (x *secItems) createKeychain(path, password string) (remove func() error, err error) {
	if password == "" {
		return nil, fmt.Errorf("keychain: a test keychain needs a password")
	}
	pw := []byte(password)
	var kc uintptr
	if st := x.secKeychainCreate(path, uint32(len(pw)), &pw[0], false, 0, &kc); st != 0 {
		return nil, &KeychainError{Op: "SecKeychainCreate", Status: st}
	}
	x.keychain = kc
	return func() error {
		defer x.cfRelease(kc)
		if st := x.secKeychainDelete(kc); st != 0 {
			return &KeychainError{Op: "SecKeychainDelete", Status: st}
		}
		return nil
	}, nil
}

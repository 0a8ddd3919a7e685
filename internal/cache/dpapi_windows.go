//go:build windows

package cache

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// dpapiDescription is stored in clear inside every blob (CryptProtectData's
// szDataDescr): it names the blob's owner for anyone who finds one.
const dpapiDescription = "kagi cached AWS credentials"

// DPAPI is the Sealer of Windows: CryptProtectData under the current
// user's DPAPI master key (never CRYPTPROTECT_LOCAL_MACHINE, which any user
// of the machine could undo), with the label as the optional entropy, so a
// blob opens only for this user, on this machine (or wherever their
// profile's master keys go), under the label it was sealed with. The
// blobs carry a MAC: a changed byte fails Unseal. CRYPTPROTECT_UI_FORBIDDEN:
// kagi runs under credential_process and in CI, where no dialog may wait.
func DPAPI() Sealer { return dpapi{} }

type dpapi struct{}

func blobOf(b []byte) *windows.DataBlob {
	if len(b) == 0 {
		return &windows.DataBlob{}
	}
	return &windows.DataBlob{Size: uint32(len(b)), Data: &b[0]}
}

// takeBlob copies what a CryptProtectData call allocated, wipes it and
// frees it.
func takeBlob(out *windows.DataBlob) []byte {
	if out.Data == nil {
		return nil
	}
	mem := unsafe.Slice(out.Data, out.Size)
	b := make([]byte, len(mem))
	copy(b, mem)
	clear(mem)
	windows.LocalFree(windows.Handle(unsafe.Pointer(out.Data)))
	return b
}

func (dpapi) Seal(plain []byte, label string) ([]byte, error) {
	desc, err := windows.UTF16PtrFromString(dpapiDescription)
	if err != nil {
		return nil, err
	}
	var out windows.DataBlob
	if err := windows.CryptProtectData(blobOf(plain), desc, blobOf([]byte(label)), 0, nil, windows.CRYPTPROTECT_UI_FORBIDDEN, &out); err != nil {
		return nil, fmt.Errorf("dpapi: protect: %w", err)
	}
	return takeBlob(&out), nil
}

func (dpapi) Unseal(sealed []byte, label string) ([]byte, error) {
	if len(sealed) == 0 {
		return nil, errors.New("dpapi: an empty blob")
	}
	var out windows.DataBlob
	if err := windows.CryptUnprotectData(blobOf(sealed), nil, blobOf([]byte(label)), 0, nil, windows.CRYPTPROTECT_UI_FORBIDDEN, &out); err != nil {
		return nil, fmt.Errorf("dpapi: unprotect: %w", err)
	}
	return takeBlob(&out), nil
}

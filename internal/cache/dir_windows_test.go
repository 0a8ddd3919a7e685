package cache

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"unsafe"

	"golang.org/x/sys/windows"
)

// The directory kagi creates passes its own check; one whose DACL lets
// Everyone in is refused. Runs only on Windows.
func TestOpenPrivateDirWindows(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "kagi", "cache")
	if _, err := openPrivateDir(dir); err != nil {
		t.Fatalf("the directory kagi made: %v", err)
	}
	me, err := currentUserSID()
	if err != nil {
		t.Fatal(err)
	}
	sec, err := securityOf(dir)
	if err != nil {
		t.Fatal(err)
	}
	if sec.Owner != me && sec.Owner != sidAdministrators {
		t.Errorf("owner %s, want %s", sec.Owner, me)
	}

	open := filepath.Join(t.TempDir(), "open")
	sd, err := windows.SecurityDescriptorFromString(fmt.Sprintf("D:P(A;OICI;FA;;;%s)(A;OICI;FA;;;WD)", me))
	if err != nil {
		t.Fatal(err)
	}
	sa := &windows.SecurityAttributes{SecurityDescriptor: sd}
	sa.Length = uint32(unsafe.Sizeof(*sa))
	p, _ := windows.UTF16PtrFromString(open)
	if err := windows.CreateDirectory(p, sa); err != nil {
		t.Fatal(err)
	}
	var ue *UnsafeDirError
	if _, err := openPrivateDir(open); !errors.As(err, &ue) {
		t.Fatalf("a directory open to Everyone: %v, want an UnsafeDirError", err)
	}
}

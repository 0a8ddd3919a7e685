//go:build windows

package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// privateDirAdvice ends the hint of an *UnsafeDirError.
const privateDirAdvice = `point KAGI_CACHE_DIR at a directory of your own (the default is %LOCALAPPDATA%\kagi\cache)`

// privateDACL gives the directory, and through inheritance every file in
// it, to this user and SYSTEM alone, whatever the parent grants ("P":
// protected, nothing inherited; "OICI": inherited by files and folders).
const privateDACL = "D:P(A;OICI;FA;;;%s)(A;OICI;FA;;;SY)"

// openPrivateDir makes sure dir exists (created with a DACL that admits
// only this user and SYSTEM), is a directory and not a reparse point (a
// symbolic link or a junction that could lead elsewhere), and that no
// other user owns it or is granted anything by its DACL. Entries there
// are sealed by DPAPI as well (see OpenSealedDir), so these checks keep
// other users from taking locks or planting failure records; they cannot
// read a sealed entry even from a directory they control. Nothing on
// Windows is in memory: inMemory is always false.
//
// On the warm path (the directory exists) this is one attribute query,
// one security query and one token query: no process, no read.
func openPrivateDir(dir string) (inMemory bool, err error) {
	dir, err = cleanDirPath(dir)
	if err != nil {
		return false, err
	}
	me, err := currentUserSID()
	if err != nil {
		return false, fmt.Errorf("cache directory %q: who am I: %w", dir, err)
	}
	attrs, err := fileAttributes(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
			return false, fmt.Errorf("create cache directory: %w", err)
		}
		// Already there: someone made it between the look and now; what
		// they made is checked below like anything else.
		if err := createPrivateDir(dir, me); err != nil && !errors.Is(err, fs.ErrExist) {
			return false, fmt.Errorf("create cache directory %q: %w", dir, err)
		}
		attrs, err = fileAttributes(dir)
	}
	if err != nil {
		return false, fmt.Errorf("cache directory %q: %w", dir, err)
	}
	if attrs&windows.FILE_ATTRIBUTE_REPARSE_POINT != 0 {
		return false, &UnsafeDirError{Dir: dir, Reason: "it is a symbolic link or a junction, and kagi never follows one to its cache"}
	}
	if attrs&windows.FILE_ATTRIBUTE_DIRECTORY == 0 {
		return false, &UnsafeDirError{Dir: dir, Reason: "not a directory", Fix: fmt.Sprintf(`move "%s" out of the way`, dir)}
	}
	sec, err := securityOf(dir)
	if err != nil {
		return false, fmt.Errorf("cache directory %q: %w", dir, err)
	}
	return false, judgeDirSecurity(dir, me, sec)
}

// fileAttributes are path's own attributes, never its target's.
func fileAttributes(path string) (uint32, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return 0, err
	}
	var data windows.Win32FileAttributeData
	if err := windows.GetFileAttributesEx(p, windows.GetFileExInfoStandard, (*byte)(unsafe.Pointer(&data))); err != nil {
		return 0, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	return data.FileAttributes, nil
}

func currentUserSID() (string, error) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return "", err
	}
	return u.User.Sid.String(), nil
}

func createPrivateDir(dir, me string) error {
	sd, err := windows.SecurityDescriptorFromString(fmt.Sprintf(privateDACL, me))
	if err != nil {
		return err
	}
	sa := &windows.SecurityAttributes{SecurityDescriptor: sd}
	sa.Length = uint32(unsafe.Sizeof(*sa))
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return err
	}
	return windows.CreateDirectory(p, sa)
}

// securityOf reads dir's owner and DACL.
func securityOf(dir string) (dirSecurity, error) {
	sd, err := windows.GetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return dirSecurity{}, err
	}
	owner, _, err := sd.Owner()
	if err != nil {
		return dirSecurity{}, err
	}
	sec := dirSecurity{Owner: owner.String()}
	dacl, _, err := sd.DACL()
	if errors.Is(err, windows.ERROR_OBJECT_NOT_FOUND) {
		return sec, nil // no DACL: judgeDirSecurity refuses it
	}
	if err != nil {
		return dirSecurity{}, err
	}
	sec.HasDACL = true
	if dacl == nil {
		return sec, errors.New("a null DACL") // lets everyone in
	}
	for i := range uint32(dacl.AceCount) {
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, i, &ace); err != nil {
			return dirSecurity{}, err
		}
		// Allowed and denied entries keep the SID at SidStart; object
		// entries do not, and their garbled SID is refused as unknown.
		sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
		sec.DACL = append(sec.DACL, aclEntry{Type: ace.Header.AceType, SID: sid.String(), Mask: uint32(ace.Mask)})
	}
	return sec, nil
}

// errNotRegular marks an entry name that holds no regular file.
var errNotRegular = errors.New("not a regular file")

// unreadable reports whether a read error means the entry itself is bad
// (and can be deleted) rather than the system being short of something.
func unreadable(err error) bool {
	return errors.Is(err, errTooBig) || errors.Is(err, errNotRegular)
}

// notDir: Windows says ERROR_PATH_NOT_FOUND, which is fs.ErrNotExist.
func notDir(error) bool { return false }

// Opening a file that a writer is renaming over can fail for a moment
// (ERROR_ACCESS_DENIED while the old one is being deleted, or a sharing
// violation with a scanner that opened it without FILE_SHARE_DELETE): a
// few short retries, then the error.
const (
	openRetries    = 5
	openRetryPause = 2 * time.Millisecond
)

// readSmall reads a regular file of at most maxEntrySize bytes. It opens
// with FILE_SHARE_DELETE, so that a writer can rename a new entry over the
// one being read (atomicfile.Write), and never follows a reparse point.
func readSmall(path string) ([]byte, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	var h windows.Handle
	for attempt := 0; ; attempt++ {
		h, err = windows.CreateFile(p, windows.GENERIC_READ,
			windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE, nil,
			windows.OPEN_EXISTING, windows.FILE_FLAG_OPEN_REPARSE_POINT, 0)
		transient := errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_SHARING_VIOLATION)
		if !transient || attempt == openRetries {
			break
		}
		time.Sleep(openRetryPause << attempt)
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer windows.CloseHandle(h)
	var fi windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(h, &fi); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if fi.FileAttributes&(windows.FILE_ATTRIBUTE_DIRECTORY|windows.FILE_ATTRIBUTE_REPARSE_POINT) != 0 {
		return nil, &fs.PathError{Op: "open", Path: path, Err: errNotRegular}
	}
	if t, err := windows.GetFileType(h); err != nil || t != windows.FILE_TYPE_DISK {
		return nil, &fs.PathError{Op: "open", Path: path, Err: errNotRegular}
	}
	if fi.FileSizeHigh != 0 || fi.FileSizeLow > maxEntrySize {
		return nil, &fs.PathError{Op: "read", Path: path, Err: errTooBig}
	}
	// Read to the end, not to the size seen: a file may grow meanwhile.
	buf := make([]byte, 0, int(fi.FileSizeLow)+512)
	for {
		if len(buf) == cap(buf) {
			if len(buf) > maxEntrySize {
				return nil, &fs.PathError{Op: "read", Path: path, Err: errTooBig}
			}
			buf = slices.Grow(buf, len(buf))
		}
		var m uint32
		err := windows.ReadFile(h, buf[len(buf):cap(buf)], &m, nil)
		if err == syscall.ERROR_HANDLE_EOF || (err == nil && m == 0) {
			break
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		buf = buf[:len(buf)+int(m)]
	}
	if len(buf) > maxEntrySize {
		return nil, &fs.PathError{Op: "read", Path: path, Err: errTooBig}
	}
	return buf, nil
}

// Package fsguard holds the checks kagi makes on a file before it trusts
// what is in it: that it is a regular file of bounded size (a FIFO, a device
// or /dev/zero named as a config file must not hang kagi or fill memory), and
// that no other user can write it (a config file or a program another user
// can change runs their code as this user, as ssh's StrictModes refuses).
package fsguard

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// NotRegularError refuses a path that is a FIFO, a device, a socket or a
// directory where a file is expected.
type NotRegularError struct {
	Path string
	Kind string // "a FIFO", "a device", ...
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file", e.Path, e.Kind)
}

// TooLargeError refuses a file larger than any file of its kind can be.
type TooLargeError struct {
	Path string
	Max  int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than %s, more than such a file can hold", e.Path, size(e.Max))
}

func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Limits for the files kagi reads. Each is far above what a real file of
// the kind holds, and far below what could hurt.
const (
	MaxConfig  = 16 << 20 // ~/.aws/config and ~/.aws/credentials
	MaxToken   = 1 << 20  // web identity and container authorization tokens
	MaxKeyring = 1 << 20  // one item of the file keyring
)

// Read returns the content of path, which must be a regular file of at most
// max bytes. A FIFO is opened without blocking and refused, so no writer on
// the other end is ever waited for. Errors wrap fs.ErrNotExist when there is
// no file.
func Read(path string, max int64) ([]byte, error) {
	data, _, err := ReadInfo(path, max)
	return data, err
}

// ReadInfo is Read that also returns the file's FileInfo, taken from the
// file actually opened (fstat), for checks such as CheckNotWritable.
func ReadInfo(path string, max int64) ([]byte, fs.FileInfo, error) {
	f, err := openNoBlock(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if err := CheckRegular(path, fi); err != nil {
		return nil, nil, err
	}
	if fi.Size() > max {
		return nil, nil, &TooLargeError{Path: path, Max: max}
	}
	// The file may grow between fstat and read: bound the read too.
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, nil, err
	}
	if int64(len(data)) > max {
		return nil, nil, &TooLargeError{Path: path, Max: max}
	}
	return data, fi, nil
}

// CheckRegular returns a *NotRegularError unless fi describes a regular
// file.
func CheckRegular(path string, fi fs.FileInfo) error {
	m := fi.Mode()
	if m.IsRegular() {
		return nil
	}
	kind := "not a regular file"
	switch {
	case m.IsDir():
		kind = "a directory"
	case m&fs.ModeNamedPipe != 0:
		kind = "a FIFO"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	case m&fs.ModeCharDevice != 0:
		kind = "a character device"
	case m&fs.ModeDevice != 0:
		kind = "a block device"
	case m&fs.ModeSymlink != 0:
		kind = "a symbolic link"
	}
	return &NotRegularError{Path: path, Kind: kind}
}

// IsRefusal reports whether err is one of this package's refusals (not
// regular, too large, writable by others), as opposed to an I/O error.
func IsRefusal(err error) bool {
	var nr *NotRegularError
	var tl *TooLargeError
	var wr *WritableError
	return errors.As(err, &nr) || errors.As(err, &tl) || errors.As(err, &wr)
}

// WritableError refuses a file that a user other than this one (and root)
// can change: its owner, its mode, or the directory it is in.
type WritableError struct {
	Path   string // the file refused
	What   string // what it is to kagi: "config file", "mfa_process program"
	Reason string // "it is writable by its group", "its directory ... is writable by others"
	Fix    string // the command that fixes it
}

func (e *WritableError) Error() string {
	return fmt.Sprintf("refusing %s %s: %s", e.What, e.Path, e.Reason)
}

// Hint is the fix, as a command to run.
func (e *WritableError) Hint() string {
	return e.Fix + ", then run kagi again (another user who can change it could run code as you)"
}

//go:build windows

package fsguard

import (
	"io/fs"
	"os"
)

func openNoBlock(path string) (*os.File, error) { return os.Open(path) }

// CheckNotWritable is a no-op on Windows: ACLs, not mode bits, say who can
// write, and a profile directory is private by default.
func CheckNotWritable(path, what string) error { return nil }

// CheckNotWritableInfo: see CheckNotWritable.
func CheckNotWritableInfo(path string, fi fs.FileInfo, what string) error { return nil }

// IsNullDevice: Windows's NUL is no file one can stat or link to.
func IsNullDevice(fi fs.FileInfo) bool { return false }

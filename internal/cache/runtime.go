package cache

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Location is where DirStore should keep entries, as RuntimeDir found it.
type Location struct {
	// Dir is the directory, "" when there is none: the caller then keeps
	// entries in the encrypted keyring.
	Dir string
	// Chosen is true when KAGI_CACHE_DIR named Dir. The user chose it, so a
	// directory that cannot be used is an error for them to fix, and one on
	// disk is their choice (worth a warning). The default directory that
	// cannot be used, or is not in memory, is instead a reason to keep
	// entries in the keyring: another user may have put it there.
	Chosen bool
}

// RelativeDirError refuses a relative KAGI_CACHE_DIR: it would name a
// different directory in every working directory.
type RelativeDirError struct{ Dir string }

func (e *RelativeDirError) Error() string {
	return fmt.Sprintf("KAGI_CACHE_DIR %q is a relative path; it must be absolute", e.Dir)
}

// Hint is the fix.
func (e *RelativeDirError) Hint() string {
	if runtime.GOOS == "windows" {
		return `set KAGI_CACHE_DIR to an absolute path (such as %LOCALAPPDATA%\kagi\cache), or unset it`
	}
	return "set KAGI_CACHE_DIR to an absolute path on tmpfs (such as /dev/shm/kagi-$(id -u)), or unset it"
}

// RuntimeDir says where DirStore should keep entries: $KAGI_CACHE_DIR when
// set (it must be absolute), else $XDG_RUNTIME_DIR/kagi when
// XDG_RUNTIME_DIR is an absolute path to an existing directory on tmpfs (on
// Linux; other systems have no such directory).
//
// Without XDG_RUNTIME_DIR (containers, CI runners, SSH logins on a bastion)
// it falls back to /dev/shm/kagi-UID when /dev/shm is tmpfs: still memory,
// never persistent disk. Another local user can create that name first (a
// directory of theirs, or a symbolic link to disk); OpenDir refuses both,
// and the caller then keeps entries in the keyring (see Location.Chosen).
func RuntimeDir(env func(string) (string, bool)) (Location, error) {
	return runtimeDir(env, "/dev/shm")
}

func runtimeDir(env func(string) (string, bool), shm string) (Location, error) {
	if d, _ := env("KAGI_CACHE_DIR"); d != "" {
		if !filepath.IsAbs(d) {
			return Location{}, &RelativeDirError{Dir: d}
		}
		return Location{Dir: filepath.Clean(d), Chosen: true}, nil
	}
	// The XDG Base Directory spec says to ignore a relative path.
	if xdg, _ := env("XDG_RUNTIME_DIR"); xdg != "" && filepath.IsAbs(xdg) && inMemoryFS(xdg) {
		return Location{Dir: filepath.Join(xdg, "kagi")}, nil
	}
	if shm != "" && inMemoryFS(shm) {
		return Location{Dir: filepath.Join(shm, fmt.Sprintf("kagi-%d", os.Getuid()))}, nil
	}
	return Location{}, nil
}

// SealedDir says where a sealed DirStore (see OpenSealedDir) keeps entries
// on Windows, which has no tmpfs: $KAGI_CACHE_DIR when set (it must be
// absolute), else %LOCALAPPDATA%\kagi\cache, else the same under
// %USERPROFILE%\AppData\Local. LOCALAPPDATA, unlike APPDATA, never roams
// to other machines with the profile (DPAPI blobs would not open there).
// Dir is "" when none of them is set.
func SealedDir(env func(string) (string, bool)) (Location, error) {
	if d, _ := env("KAGI_CACHE_DIR"); d != "" {
		if !filepath.IsAbs(d) {
			return Location{}, &RelativeDirError{Dir: d}
		}
		return Location{Dir: filepath.Clean(d), Chosen: true}, nil
	}
	if base, _ := env("LOCALAPPDATA"); filepath.IsAbs(base) {
		return Location{Dir: filepath.Join(base, "kagi", "cache")}, nil
	}
	if home, _ := env("USERPROFILE"); filepath.IsAbs(home) {
		return Location{Dir: filepath.Join(home, "AppData", "Local", "kagi", "cache")}, nil
	}
	return Location{}, nil
}

package cache

import (
	"fmt"
	"os"
	"path/filepath"
)

// RuntimeDir says where DirStore should keep entries: $KAGI_CACHE_DIR when
// set, else $XDG_RUNTIME_DIR/kagi when XDG_RUNTIME_DIR is an absolute path
// to an existing directory on tmpfs (on Linux; other systems have no such
// directory). ok is false when there is none; the caller then keeps
// entries in the encrypted keyring.
//
// Without XDG_RUNTIME_DIR (containers, CI runners, sessions not started by
// a login manager) it falls back to /dev/shm/kagi-UID when /dev/shm is
// tmpfs: still memory, never persistent disk. OpenDir refuses the directory
// unless this user owns it with mode 0700, so another user cannot plant it.
//
// KAGI_CACHE_DIR is taken as given: whoever sets it chooses the medium.
func RuntimeDir(env func(string) (string, bool)) (dir string, ok bool) {
	return runtimeDir(env, "/dev/shm")
}

func runtimeDir(env func(string) (string, bool), shm string) (dir string, ok bool) {
	if d, _ := env("KAGI_CACHE_DIR"); d != "" {
		return d, true
	}
	// The XDG Base Directory spec says to ignore a relative path.
	if xdg, _ := env("XDG_RUNTIME_DIR"); xdg != "" && filepath.IsAbs(xdg) && inMemoryFS(xdg) {
		return filepath.Join(xdg, "kagi"), true
	}
	if shm != "" && inMemoryFS(shm) {
		return filepath.Join(shm, fmt.Sprintf("kagi-%d", os.Getuid())), true
	}
	return "", false
}

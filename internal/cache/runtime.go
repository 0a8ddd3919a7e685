package cache

import "path/filepath"

// RuntimeDir says where DirStore should keep entries: $KAGI_CACHE_DIR when
// set, else $XDG_RUNTIME_DIR/kagi when XDG_RUNTIME_DIR is an absolute path
// to an existing directory on tmpfs (on Linux; other systems have no such
// directory). ok is false when there is none; the caller then keeps
// entries in the encrypted keyring.
//
// KAGI_CACHE_DIR is taken as given: whoever sets it chooses the medium.
func RuntimeDir(env func(string) (string, bool)) (dir string, ok bool) {
	if d, _ := env("KAGI_CACHE_DIR"); d != "" {
		return d, true
	}
	// The XDG Base Directory spec says to ignore a relative path.
	xdg, _ := env("XDG_RUNTIME_DIR")
	if xdg == "" || !filepath.IsAbs(xdg) || !inMemoryFS(xdg) {
		return "", false
	}
	return filepath.Join(xdg, "kagi"), true
}

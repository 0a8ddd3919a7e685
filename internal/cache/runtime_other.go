//go:build !linux

package cache

// inMemoryFS is false where XDG_RUNTIME_DIR is not a tmpfs convention
// (macOS has no such directory); KAGI_CACHE_DIR still works there.
func inMemoryFS(string) bool { return false }

// fdInMemory is false for the same reason: no tmpfs to recognise.
func fdInMemory(int) bool { return false }

package cache

import "golang.org/x/sys/unix"

// inMemoryFS reports whether path is a directory on tmpfs (or ramfs):
// memory, never persistent disk. One statfs(2).
func inMemoryFS(path string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return false
	}
	return st.Type == unix.TMPFS_MAGIC || st.Type == unix.RAMFS_MAGIC
}

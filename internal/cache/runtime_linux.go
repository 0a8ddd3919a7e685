package cache

import "golang.org/x/sys/unix"

// inMemoryFS reports whether path is a directory on tmpfs (or ramfs):
// memory, never persistent disk. One statfs(2).
func inMemoryFS(path string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return false
	}
	return memoryFSType(st.Type)
}

// fdInMemory is inMemoryFS of a directory already opened: the one checked
// is the one used, whatever its name points to by now.
func fdInMemory(fd int) bool {
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		return false
	}
	return memoryFSType(st.Type)
}

func memoryFSType(t int64) bool { return t == unix.TMPFS_MAGIC || t == unix.RAMFS_MAGIC }

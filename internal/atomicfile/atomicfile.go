// Package atomicfile replaces files so that a crash at any moment leaves
// either the old content or the new, never a mix: the credentials file,
// keyring items and cache entries are all written through it.
package atomicfile

import (
	"os"
	"path/filepath"
	"runtime"
)

// Write replaces path with data at mode: a temporary file in the same
// directory (named by pattern, as for os.CreateTemp, so that readers of the
// directory can skip it), fsync, rename over path, fsync of the directory.
// On error the temporary file is removed and path is untouched. Until the
// rename the temporary file is locked, so that RemoveStale in any process
// can tell it from one a writer that died left behind.
func Write(path string, data []byte, mode os.FileMode, pattern string) (err error) {
	dir := filepath.Dir(path)
	f, err := createTemp(dir, pattern) // created 0600: never wider, even for a moment
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if mode != 0o600 && runtime.GOOS != "windows" {
		if err = f.Chmod(mode); err != nil {
			return err
		}
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = renameAndClose(f, tmp, path); err != nil {
		return err
	}
	return SyncDir(dir)
}

// SyncDir makes a rename or removal in dir durable. Windows cannot fsync a
// directory; its renames are durable once MoveFileEx returns.
func SyncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

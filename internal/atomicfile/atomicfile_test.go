package atomicfile

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestWriteReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "credentials")
	for _, tc := range []struct {
		data string
		mode os.FileMode
	}{
		{"first", 0o600},
		{"second, longer than the first", 0o600},
		{"narrower", 0o400},
	} {
		if err := Write(path, []byte(tc.data), tc.mode, ".credentials.tmp*"); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != tc.data {
			t.Fatalf("read back %q, %v; want %q", got, err, tc.data)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		// Windows has no mode bits to check: ACLs say who may read.
		if runtime.GOOS != "windows" && st.Mode().Perm() != tc.mode {
			t.Fatalf("mode %v, want %v", st.Mode().Perm(), tc.mode)
		}
		if tc.mode == 0o400 {
			os.Chmod(path, 0o600)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestWriteFailureLeavesOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := Write(path, []byte("old"), 0o600, ".f*"); err != nil {
		t.Fatal(err)
	}
	// Renaming a file over a directory fails after the temp file is written.
	if err := Write(dir, []byte("new"), 0o600, ".d*"); err == nil {
		t.Fatal("writing over a directory succeeded")
	}
	got, _ := os.ReadFile(path)
	entries, _ := os.ReadDir(dir)
	if string(got) != "old" || len(entries) != 1 {
		t.Fatalf("after a failed write: %q and %d entries", got, len(entries))
	}
}

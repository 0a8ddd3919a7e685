//go:build unix

package fsguard_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/kagi-cli/kagi/internal/fsguard"
)

func TestIsNullDevice(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "f")
	if err := os.WriteFile(regular, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]bool{os.DevNull: true, "/dev/zero": false, regular: false, dir: false}
	if os.Geteuid() == 0 {
		var null syscall.Stat_t
		if err := syscall.Stat(os.DevNull, &null); err != nil {
			t.Fatal(err)
		}
		made := filepath.Join(dir, "null")
		if err := syscall.Mknod(made, syscall.S_IFCHR|0o666, int(null.Rdev)); err == nil {
			cases[made] = true
		}
	}
	for path, want := range cases {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fsguard.IsNullDevice(fi); got != want {
			t.Errorf("IsNullDevice(%s) = %v, want %v", path, got, want)
		}
	}
}

//go:build unix

package fsguard_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/fsguard"
)

func TestReadRefusesWhatIsNotAFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, 2048), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := filepath.Join(dir, "ok")
	if err := os.WriteFile(ok, []byte("[default]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var nr *fsguard.NotRegularError
	var tl *fsguard.TooLargeError
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := fsguard.Read(fifo, 1024); !errors.As(err, &nr) || nr.Kind != "a FIFO" {
			t.Errorf("FIFO: got %v, want a NotRegularError naming a FIFO", err)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Read of a FIFO with no writer blocked")
	}
	if _, err := fsguard.Read("/dev/zero", 1024); !errors.As(err, &nr) || nr.Kind != "a character device" {
		t.Errorf("/dev/zero: got %v", err)
	}
	if _, err := fsguard.Read(dir, 1024); !errors.As(err, &nr) {
		t.Errorf("directory: got %v", err)
	}
	if _, err := fsguard.Read(big, 1024); !errors.As(err, &tl) || !fsguard.IsRefusal(err) {
		t.Errorf("2 KiB file with a 1 KiB bound: got %v", err)
	}
	if _, err := fsguard.Read(filepath.Join(dir, "missing"), 1024); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: got %v, want ErrNotExist", err)
	}
	if data, err := fsguard.Read(ok, 1024); err != nil || string(data) != "[default]\n" {
		t.Errorf("regular file: got %q, %v", data, err)
	}
}

func TestCheckNotWritable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "aws")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config")
	if err := os.WriteFile(cfg, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(cfg, link); err != nil {
		t.Fatal(err)
	}
	var we *fsguard.WritableError
	shared, ok := sharedGroup()
	if !ok {
		t.Log("no group to give the file but this user's private one: group-writable cases not checked")
	} else if err := os.Chown(cfg, -1, shared); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		fileMode, dirMode os.FileMode
		path              string
		refused           bool
	}{
		{0o600, 0o700, cfg, false},
		{0o644, 0o755, cfg, false},
		{0o664, 0o700, cfg, true},
		{0o666, 0o700, link, true},
		{0o600, 0o777, cfg, true},
		{0o600, 0o777 | fs.ModeSticky, cfg, false},
	} {
		if !ok && tc.fileMode&0o020 != 0 && tc.fileMode&0o002 == 0 && tc.dirMode&0o022 == 0 {
			continue
		}
		os.Chmod(cfg, tc.fileMode)
		os.Chmod(dir, tc.dirMode)
		err := fsguard.CheckNotWritable(tc.path, "config file")
		if got := errors.As(err, &we); got != tc.refused {
			t.Errorf("file %v dir %v (%s): got %v, refused want %v", tc.fileMode, tc.dirMode, filepath.Base(tc.path), err, tc.refused)
		}
		if tc.refused && (we.Hint() == "" || !fsguard.IsRefusal(err)) {
			t.Errorf("refusal without a fix: %v", err)
		}
	}
	os.Chmod(dir, 0o700)
}

// sharedGroup is a group this user can give a file that is not their
// private group (nogroup when root), so that group-writable means writable
// by others.
func sharedGroup() (int, bool) {
	gids, _ := os.Getgroups()
	if os.Getuid() == 0 {
		gids = append([]int{65534}, gids...)
	}
	for _, g := range gids {
		if !fsguard.PrivateGroup(g) {
			return g, true
		}
	}
	return 0, false
}

func TestPrivateGroupAcceptsGroupWritable(t *testing.T) {
	if !fsguard.PrivateGroup(os.Getgid()) {
		t.Skip("this user's primary group is not a private group")
	}
	f := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(f, []byte("x"), 0o664); err != nil {
		t.Fatal(err)
	}
	os.Chmod(f, 0o664)
	if err := fsguard.CheckNotWritable(f, "config file"); err != nil {
		t.Errorf("a group-writable file of this user's private group: %v", err)
	}
}

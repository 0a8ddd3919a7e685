//go:build unix

package credfile_test

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/credfile"
)

// TestDevicesFIFOsAndSocketsAreNeverReplaced: ~/.aws/credentials ->
// /dev/null is a common way to switch the file off, and a root `kagi
// write-credentials` used to replace /dev/null itself with a file of
// credentials. A credentials file that is, or links to, a device, a FIFO or
// a socket is refused, and nothing is created beside it.
//
// As root the device is one made here with mknod (a copy of /dev/null), so
// that the old code, run as root, could not replace the real one.
func TestDevicesFIFOsAndSocketsAreNeverReplaced(t *testing.T) {
	dir := t.TempDir()
	nodes := filepath.Join(dir, "nodes")
	if err := os.Mkdir(nodes, 0o700); err != nil {
		t.Fatal(err)
	}
	type target struct{ path, kind string }
	var targets []target
	sock := filepath.Join(nodes, "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	targets = append(targets, target{sock, "a socket"})
	if os.Geteuid() == 0 {
		var null syscall.Stat_t
		if err := syscall.Stat(os.DevNull, &null); err != nil {
			t.Fatal(err)
		}
		dev := filepath.Join(nodes, "null")
		if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, int(null.Rdev)); err != nil {
			t.Logf("mknod: %v; the device case is not run", err)
		} else {
			targets = append(targets, target{dev, "a character device"})
		}
	} else {
		targets = append(targets, target{os.DevNull, "a character device"})
	}

	fifo := filepath.Join(nodes, "fifo") // last: the old code blocked on it
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	targets = append(targets, target{fifo, "a FIFO"})

	write := func(path string) error {
		return credfile.SetTemporary(path, "p", []credfile.KV{{"aws_access_key_id", "ASIAIOSFODNN7EXAMPLE"}, {"aws_secret_access_key", "s"}, {"aws_session_token", "t"}}, "note")
	}
	for _, tg := range targets {
		before, err := os.Lstat(tg.path)
		if err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, "credentials")
		os.Remove(link)
		if err := os.Symlink(tg.path, link); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{link, tg.path} {
			for name, edit := range map[string]func() error{
				"SetTemporary": func() error { return write(path) },
				"RemoveKeys":   func() error { _, err := credfile.RemoveKeys(path, "p"); return err },
				"CheckTarget":  func() error { return credfile.CheckTarget(path) },
			} {
				done := make(chan error, 1)
				go func() { done <- edit() }()
				var err error
				select {
				case err = <-done:
				case <-time.After(10 * time.Second):
					t.Fatalf("%s of %s still running after 10s", name, path)
				}
				var nr *credfile.NotRegularError
				if !errors.As(err, &nr) || nr.Kind != tg.kind || nr.Target != tg.path || nr.Hint() == "" {
					t.Errorf("%s of %s (%s): got %v, want a NotRegularError", name, path, tg.kind, err)
				}
			}
		}
		after, err := os.Lstat(tg.path)
		if err != nil || !os.SameFile(before, after) || after.Mode() != before.Mode() {
			t.Errorf("%s was replaced or changed: %v, %v", tg.path, after, err)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("the link to %s was replaced: %v", tg.path, err)
		}
		if _, err := os.Lstat(tg.path + ".kagi.lock"); err == nil {
			t.Errorf("a lock file was made beside %s", tg.path)
		}
	}
	if entries, _ := os.ReadDir(nodes); len(entries) != len(targets)-btoi(os.Geteuid() != 0) {
		t.Errorf("files made beside the nodes: %v", entries)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

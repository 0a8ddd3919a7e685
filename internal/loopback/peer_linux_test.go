package loopback

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// The attack: another local user connects first. As root the test makes
// that user (nobody) for real; elsewhere it cannot, and says so.
func TestOtherUsersConnectionIsRefused(t *testing.T) {
	if os.Getuid() != 0 {
		if os.Getenv("KAGI_INTEROP_REQUIRED") != "" {
			t.Fatal("needs root to connect as another user")
		}
		t.Skip("needs root to connect as another user")
	}
	srv, got := server(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The test binary's directory is private: run a copy nobody can reach.
	dir, err := os.MkdirTemp("", "loopback-peer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	exe = dir + "/peer.test"
	if err := os.WriteFile(exe, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = []string{"LOOPBACK_TEST_GET=" + srv.URL}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper as nobody: %v: %s", err, out)
	}
	if strings.TrimSpace(string(out)) != "403" {
		t.Fatalf("another user's connection got %q, want 403", out)
	}
	var fe *ForeignError
	if err := <-got; !errors.As(err, &fe) || fe.UID != 65534 {
		t.Fatalf("CheckRequest: %v, want a ForeignError of uid 65534", err)
	}
}

func TestSocketTableParsing(t *testing.T) {
	dir := t.TempDir()
	tab := dir + "/tcp"
	// 127.0.0.1:40000 -> 127.0.0.1:50000 owned by 1234, and the server's end.
	body := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
		"   0: 0100007F:C350 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 1 1 0 20 4 30 10 -1\n" +
		"   1: 0100007F:9C40 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1234        0 2 1 0 20 4 30 10 -1\n"
	if err := os.WriteFile(tab, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	server := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 50000}
	client := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
	uid, err := peerUID([]string{tab}, server, client)
	if err != nil || uid != 1234 {
		t.Fatalf("uid %d, %v; want 1234", uid, err)
	}
	if _, err := peerUID([]string{tab}, server, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}); err == nil {
		t.Fatal("a connection in no table was not refused")
	}
	if uid, err := peerUID([]string{dir + "/none"}, server, client); err != nil || uid != -1 {
		t.Fatalf("no table: %d, %v; want -1 (cannot tell)", uid, err)
	}
}

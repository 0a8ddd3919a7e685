package interop

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// StartMoto starts moto_server (moto's standalone AWS mock, an STS that
// nobody here wrote) on a free loopback port and returns its URL. It is
// stopped when the test ends. Skips, or fails under KAGI_INTEROP_REQUIRED=1,
// when moto_server is missing.
func StartMoto(t testing.TB) string {
	t.Helper()
	bin := NeedTool(t, "moto_server")
	port := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Env = CleanEnv(t)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start moto_server: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	// moto_server takes a second or two to import its Python modules: poll
	// its reset endpoint until it answers, with a deadline.
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Post(url+"/moto-api/reset", "text/plain", nil)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not answer on %s within 30s: %v\n%s", url, err, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

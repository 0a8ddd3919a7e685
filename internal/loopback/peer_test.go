package loopback

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
)

// A helper process: GET the URL in LOOPBACK_TEST_GET and print the status.
func TestMain(m *testing.M) {
	if u := os.Getenv("LOOPBACK_TEST_GET"); u != "" {
		resp, err := http.Get(u)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		io.Copy(io.Discard, resp.Body)
		fmt.Println(resp.StatusCode)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func server(t *testing.T) (*httptest.Server, chan error) {
	t.Helper()
	got := make(chan error, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := CheckRequest(r)
		got <- err
		if err != nil {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		fmt.Fprintln(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func TestOwnConnectionIsAccepted(t *testing.T) {
	srv, got := server(t)
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := <-got; err != nil || resp.StatusCode != 200 {
		t.Fatalf("own connection: %d, %v", resp.StatusCode, err)
	}
}

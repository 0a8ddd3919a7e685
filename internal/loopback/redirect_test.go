package loopback

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

// Wait ends at once with the opener's failure when it comes before the
// browser fetched the link (no browser is coming: do not wait the full
// time), and ignores it after the fetch (the opener may end as it likes
// once the browser has been sent on).
func TestWaitEndsWhenTheOpenerFailsBeforeTheFetch(t *testing.T) {
	opener := errors.New("the browser opener \"xdg-open\" failed (exit status 3)")

	r, err := NewRedirect("https://example.com/secret")
	if err != nil {
		t.Fatal(err)
	}
	failed := make(chan error, 1)
	failed <- opener
	start := time.Now()
	if err := r.Wait(context.Background(), time.Minute, failed); err != opener {
		t.Fatalf("Wait: %v, want the opener's error", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("Wait took %s", took)
	}

	r, err = NewRedirect("https://example.com/secret")
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(r.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || !r.Fetched() {
		t.Fatalf("the fetch: %s, fetched %v", resp.Status, r.Fetched())
	}
	failed = make(chan error, 1)
	failed <- opener
	if err := r.Wait(context.Background(), time.Minute, failed); err != nil {
		t.Fatalf("Wait after the fetch: %v, want nil", err)
	}

	// Nothing fetched and no failure: the timeout.
	r, err = NewRedirect("https://example.com/secret")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Wait(context.Background(), time.Millisecond, make(chan error)); !errors.Is(err, ErrNotOpened) {
		t.Fatalf("Wait: %v, want ErrNotOpened", err)
	}
}

package loopback

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Redirect is a one-shot redirect to a secret URL from a listener on
// 127.0.0.1, so that a browser can be opened on it without the secret in
// the opener's argv (where every user of the machine can read it, in
// /proc/PID/cmdline or ps): the opener gets
// http://127.0.0.1:PORT/RANDOM instead, which answers one GET with a 302
// to the secret and then nothing (410), and stops listening when the
// browser has been sent on or the time is up. That loopback URL is in the
// browser's argv in turn: where the system tells who made a connection
// (Linux), one made by another user is refused (403) and spends nothing
// (CheckRequest). kagi login sends the browser to the console's sign-in
// link this way, and kagi sso login to the authorize or verification URL.
type Redirect struct {
	// URL is the loopback URL to open.
	URL string

	srv    *http.Server
	served chan struct{}
	once   sync.Once

	mu      sync.Mutex
	refused error // the last connection of another user, refused
}

// Refused is the last connection refused because another user made it
// (a *ForeignError), or nil: worth a warning, since that user
// read the link from the browser's argv.
func (r *Redirect) Refused() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refused
}

// NewRedirect listens on 127.0.0.1 for one request on a random path that
// is redirected to target.
func NewRedirect(target string) (*Redirect, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("a loopback listener for the browser: %v", err)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		ln.Close()
		return nil, err
	}
	path := "/" + base64.RawURLEncoding.EncodeToString(b)
	host := ln.Addr().String()
	r := &Redirect{URL: "http://" + host + path, served: make(chan struct{})}
	var mu sync.Mutex
	used := false
	r.srv = &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			h := w.Header()
			h.Set("Cache-Control", "no-store")
			h.Set("Referrer-Policy", "no-referrer")
			// The Host check keeps a page elsewhere from reaching the
			// listener through DNS rebinding.
			if req.Host != host || req.URL.Path != path || (req.Method != http.MethodGet && req.Method != http.MethodHead) {
				http.NotFound(w, req)
				return
			}
			// The link is in the browser's argv, which every user of the
			// machine can read: a connection another user made neither
			// learns the sign-in link nor spends it.
			if err := CheckRequest(req); err != nil {
				r.mu.Lock()
				r.refused = err
				r.mu.Unlock()
				http.Error(w, "kagi: this link is not yours", http.StatusForbidden)
				return
			}
			if req.Method == http.MethodHead {
				// A probe (a link preview, an opener checking the URL)
				// neither learns the link nor spends it.
				w.WriteHeader(http.StatusNoContent)
				return
			}
			mu.Lock()
			first := !used
			used = true
			mu.Unlock()
			if !first {
				http.Error(w, "kagi: this link has been used", http.StatusGone)
				return
			}
			h.Set("Location", target)
			w.WriteHeader(http.StatusFound)
			r.once.Do(func() { close(r.served) })
		}),
	}
	go func() { _ = r.srv.Serve(ln) }() // ends with Close
	return r, nil
}

// ErrNotOpened is Wait's error when no browser came for the link in time.
var ErrNotOpened = errors.New("no browser opened the sign-in link")

// Wait returns when the browser has been redirected (nil), the timeout has
// passed (ErrNotOpened), failed delivers before the link was fetched (that
// error: the opener gave up, nothing will come) or ctx is done; the
// listener is closed then. failed may be nil.
func (r *Redirect) Wait(ctx context.Context, timeout time.Duration, failed <-chan error) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	var err error
	for done := false; !done; {
		select {
		case <-r.served:
			done = true
		case <-t.C:
			err, done = ErrNotOpened, true
		case <-ctx.Done():
			err, done = ctx.Err(), true
		case ferr := <-failed:
			if !r.Fetched() {
				err, done = ferr, true
			}
			failed = nil // after the fetch, the opener's exit says nothing
		}
	}
	r.Close()
	return err
}

// Fetched reports whether the browser has been sent on. An opener can end
// only after its fetch was answered, so an opener that is seen to have
// ended while Fetched is false never fetched the link.
func (r *Redirect) Fetched() bool {
	select {
	case <-r.served:
		return true
	default:
		return false
	}
}

// Close stops the listener, letting an answer being written finish.
func (r *Redirect) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = r.srv.Shutdown(ctx)
}

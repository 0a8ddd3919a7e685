package sso

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/kagi-cli/kagi/internal/loopback"
)

// callback is the loopback listener the browser is redirected to with the
// authorization code (RFC 8252 section 7.3): 127.0.0.1 only, a port the
// system chooses, one request to the callback path answered, then closed.
type callback struct {
	ln    net.Listener
	srv   *http.Server
	state string
	host  string // "127.0.0.1:PORT", the only Host accepted
	once  sync.Once
	done  chan result
	// refused is told of each connection another user made (nil: none).
	refused func(error)
}

type result struct {
	code string
	err  error
}

// callbackPage is what the browser shows once the redirect arrived.
const (
	pageSignedIn = "<!doctype html><title>kagi</title><p>kagi: signed in. You can close this window.</p>\n"
	pageFailed   = "<!doctype html><title>kagi</title><p>kagi: the sign-in failed; see the terminal.</p>\n"
)

// listenCallback listens for the redirect of the sign-in with state;
// refused (may be nil) is told of each connection another user made.
func listenCallback(state string, refused func(error)) (*callback, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen on 127.0.0.1 for the sign-in redirect: %w", err)
	}
	c := &callback{ln: ln, state: state, host: ln.Addr().String(), done: make(chan result, 1), refused: refused}
	c.srv = &http.Server{
		Handler:           http.HandlerFunc(c.serve),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	c.srv.SetKeepAlivesEnabled(false)
	go c.srv.Serve(ln)
	return c, nil
}

func (c *callback) redirectURI() string { return "http://" + c.host + callbackPath }

// finish delivers the one result and stops accepting connections: the
// listener serves one redirect, right or wrong, then is gone.
func (c *callback) finish(r result) {
	c.once.Do(func() {
		c.done <- r
		c.ln.Close()
	})
}

func (c *callback) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	// A page on another site can make the browser send requests here; a
	// Host other than the listener's own (DNS rebinding) is not ours.
	if r.Host != c.host || r.URL.Path != callbackPath || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	// The authorize URL, with the state and this listener's port, is in
	// the browser's argv, where every user of the machine can read it:
	// a connection another user made (Linux tells) is refused and ends
	// nothing, so it can neither spoil the sign-in nor hand this process
	// an authorization code of that user's own sign-in (a login CSRF).
	if err := loopback.CheckRequest(r); err != nil {
		http.Error(w, "kagi: this sign-in is not yours", http.StatusForbidden)
		if c.refused != nil {
			c.refused(err)
		}
		return
	}
	q := r.URL.Query()
	got := q.Get("state")
	if subtle.ConstantTimeCompare([]byte(got), []byte(c.state)) != 1 {
		// Not the redirect of the sign-in this process started: refuse
		// it, and stop (a forged request is worth a look).
		http.Error(w, "kagi: this redirect does not belong to the sign-in in progress", http.StatusBadRequest)
		c.finish(result{err: errors.New("the redirect to the loopback listener carried the wrong state; nothing was signed in")})
		return
	}
	if e := q.Get("error"); e != "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, pageFailed)
		c.finish(result{err: fmt.Errorf("the sign-in was refused: %q", e)})
		return
	}
	code := q.Get("code")
	if code == "" {
		http.Error(w, "kagi: the redirect has no code", http.StatusBadRequest)
		c.finish(result{err: errors.New("the redirect to the loopback listener carried no authorization code")})
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, pageSignedIn)
	c.finish(result{code: code})
}

// wait returns the authorization code, or why there is none, once the
// redirect came, ctx is done, or the browser opener failed before the
// browser fetched the link (its *OpenerError: no browser is coming).
func (c *callback) wait(ctx context.Context, opener *openerWatch) (string, error) {
	for {
		select {
		case r := <-c.done:
			return r.code, r.err
		case <-ctx.Done():
			return "", ctx.Err()
		case err := <-opener.ch():
			if opener.unfetched() {
				return "", err
			}
			opener = nil
		}
	}
}

// close stops the listener, letting the answer to the one request go out.
func (c *callback) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if c.srv.Shutdown(ctx) != nil {
		c.srv.Close()
	}
}

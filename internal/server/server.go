// Package server serves temporary AWS credentials to SDKs from a loopback
// endpoint that refreshes them: in the ECS container format
// (AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN)
// or as the EC2 instance metadata service (IMDSv2), for tools that only know
// that.
//
// Whoever can reach the endpoint gets credentials, so every request must
// come from a loopback address, name the exact address the endpoint bound in
// its Host header (a web page whose DNS name was rebound to 127.0.0.1 sends
// its own name), and use the method the format calls for. The ECS handler
// also requires the random token, compared in constant time; the IMDS handler
// requires an IMDSv2 session token, which only a PUT can obtain.
package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/kagi-cli/kagi/internal/debug"
)

// TokenBytes is how much randomness an authorization token carries.
const TokenBytes = 32

// NewToken returns a random token for the ECS endpoint's Authorization
// header: TokenBytes bytes, base64url without padding (43 characters, safe
// in a header and an environment variable).
func NewToken() string {
	b := make([]byte, TokenBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Endpoint is an HTTP server on an ephemeral port of 127.0.0.1.
type Endpoint struct {
	host string
	srv  *http.Server
	done chan struct{}
	once sync.Once
}

// Start listens on 127.0.0.1 on a port the system picks and serves the
// handler that handler builds for the bound address ("127.0.0.1:PORT",
// which is what clients must send as Host), until Close or until ctx ends.
func Start(ctx context.Context, handler func(host string) http.Handler) (*Endpoint, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("credential endpoint: listen on 127.0.0.1: %w", err)
	}
	e := &Endpoint{host: ln.Addr().String(), done: make(chan struct{})}
	e.srv = &http.Server{
		Handler:           handler(e.host),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    16 << 10,
		// No WriteTimeout: a request may wait for an MFA code.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	go func() {
		defer close(e.done)
		_ = e.srv.Serve(ln) // ErrServerClosed after Close
	}()
	go func() {
		select {
		case <-ctx.Done():
			e.Close()
		case <-e.done:
		}
	}()
	return e, nil
}

// Host is the bound address, "127.0.0.1:PORT".
func (e *Endpoint) Host() string { return e.host }

// URL is the endpoint's base URL, "http://127.0.0.1:PORT/".
func (e *Endpoint) URL() string { return "http://" + e.host + "/" }

// Done is closed once the endpoint has stopped serving.
func (e *Endpoint) Done() <-chan struct{} { return e.done }

// Close stops the endpoint: it lets requests under way finish for a few
// seconds, then cuts them off, and returns when the server has stopped. It
// may be called more than once.
func (e *Endpoint) Close() {
	e.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if e.srv.Shutdown(ctx) != nil {
			_ = e.srv.Close()
		}
		<-e.done
	})
}

// refusal is why a request was turned away, or "" when it may go on.
func refusal(r *http.Request, host string) (status int, why string) {
	if !loopbackPeer(r.RemoteAddr) {
		return http.StatusForbidden, "peer is not on loopback"
	}
	if r.Host != host {
		// DNS rebinding: a page at evil.example whose name now resolves
		// to 127.0.0.1 reaches us with Host: evil.example:PORT.
		return http.StatusForbidden, "Host is not the address the endpoint bound"
	}
	return 0, ""
}

func loopbackPeer(remoteAddr string) bool {
	h, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// refuse answers a refused request. The reason goes to the client and the
// debug log: neither the token nor any header value is in it.
func refuse(w http.ResponseWriter, r *http.Request, log *debug.Log, status int, why string) {
	log.Printf("server: refused %s %q from %s: %s (%d)", r.Method, r.URL.Path, r.RemoteAddr, why, status)
	http.Error(w, why, status)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// errorText is what a client is told when there are no credentials to
// serve: the error's own text, which by kagi's rules carries no secret.
func errorText(err error) string {
	if errors.Is(err, context.Canceled) {
		return "the credential endpoint is shutting down"
	}
	return err.Error()
}

package awsemu

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// serveControl answers the control endpoints:
//
//	GET  /_emu/stats                    {"Action": count, ...}
//	GET  /_emu/requests                 the request log, a JSON array of Request
//	GET  /_emu/totp?serial=ARN[&fresh=1] the current (or a not yet used) code, text
//	GET  /_emu/faults                   the faults in force, JSON
//	POST /_emu/faults                   replace them with the JSON body (Faults)
//	GET  /_emu/github-oidc?audience=AUD  a GitHub Actions OIDC token (see GitHubActions)
//	POST /_emu/revoke                   end the temporary credentials of a principal:
//	                                    {"arn": USER-OR-ROLE-ARN, "how": "deny"|"forget"}
//	                                    (see Server.Revoke); answers {"revoked": N}
//	POST /_emu/sso/token                sign an Identity Center user in without a browser:
//	                                    {"user": NAME, "expires_in": SECONDS, "refresh": BOOL,
//	                                    "refresh_expires_in": SECONDS} (see SSOMint: user may be
//	                                    left out when the world has one; zero durations are the
//	                                    defaults, negative ones expired that long ago); answers
//	                                    MintedSSOToken: {"accessToken", "expiresIn", "expiresAt"}
//	                                    and, with refresh, "refreshToken", "clientId",
//	                                    "clientSecret", "clientSecretExpiresAt"
//	POST /_emu/sso/approve              approve a device authorization without a browser:
//	                                    {"user_code": CODE, "user": NAME} (see ApproveDevice)
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/_emu/github-oidc" && r.Method == http.MethodGet:
		s.serveGitHubOIDC(w, r)
	case r.URL.Path == "/_emu/stats" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, s.Stats())
	case r.URL.Path == "/_emu/requests" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, s.Requests())
	case r.URL.Path == "/_emu/totp" && r.Method == http.MethodGet:
		serial := r.URL.Query().Get("serial")
		totp := s.TOTP
		if r.URL.Query().Get("fresh") == "1" {
			totp = s.FreshTOTP
		}
		code, err := totp(serial)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, code)
	case r.URL.Path == "/_emu/faults" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, s.Faults())
	case r.URL.Path == "/_emu/faults" && r.Method == http.MethodPost:
		var f Faults
		dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			http.Error(w, "faults: "+err.Error(), http.StatusBadRequest)
			return
		}
		if err := s.SetFaults(f); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writeJSON(w, http.StatusOK, s.Faults())
	case r.URL.Path == "/_emu/revoke" && r.Method == http.MethodPost:
		var req struct {
			ARN string `json:"arn"`
			How string `json:"how"`
		}
		dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			http.Error(w, "revoke: "+err.Error(), http.StatusBadRequest)
			return
		}
		n, err := s.Revoke(req.ARN, req.How)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writeJSON(w, http.StatusOK, map[string]int{"revoked": n})
	case r.URL.Path == "/_emu/sso/token" && r.Method == http.MethodPost:
		s.serveMintSSOToken(w, r)
	case r.URL.Path == "/_emu/sso/approve" && r.Method == http.MethodPost:
		var req struct {
			UserCode string `json:"user_code"`
			User     string `json:"user"`
		}
		dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			http.Error(w, "sso approve: "+err.Error(), http.StatusBadRequest)
			return
		}
		if err := s.ApproveDevice(req.UserCode, req.User); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writeJSON(w, http.StatusOK, map[string]bool{"approved": true})
	default:
		http.NotFound(w, r)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// Start serves the emulator on addr, which must be a loopback address
// ("127.0.0.1:0" when empty; port 0 picks a free one), until stop is called
// or ctx ends. It returns the base URL, such as http://127.0.0.1:41234.
// stop waits for the server to finish and may be called more than once.
func (s *Server) Start(ctx context.Context, addr string) (url string, stop func(), err error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if err := checkLoopback(addr); err != nil {
		return "", nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // returns ErrServerClosed after Shutdown
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if srv.Shutdown(sctx) != nil {
				_ = srv.Close()
			}
			<-done
		})
	}
	go func() {
		select {
		case <-ctx.Done():
			stop()
		case <-done:
		}
	}()
	return "http://" + ln.Addr().String(), stop, nil
}

// checkLoopback refuses an address that is not on a loopback interface:
// the emulator accepts made-up keys and must not be reachable from outside.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("address %q is not a loopback address", addr)
}

// serveGitHubOIDC plays GitHub Actions' ID token endpoint: a bearer request
// token in, a signed JWT out as {"value": ...}.
func (s *Server) serveGitHubOIDC(w http.ResponseWriter, r *http.Request) {
	g := s.github
	if g == nil {
		http.Error(w, "the world has no github_actions", http.StatusNotFound)
		return
	}
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "bearer") || !hmac.Equal([]byte(token), []byte(g.RequestToken)) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
		return
	}
	aud := r.URL.Query().Get("audience")
	if aud == "" {
		owner, _, _ := strings.Cut(strings.TrimPrefix(g.Subject, "repo:"), "/")
		aud = "https://github.com/" + owner
	}
	claims := TokenClaims{Subject: g.Subject, Audience: aud, IssuedAt: s.clock(), Extra: g.Claims}
	jwt, err := s.MintToken(g.Issuer, claims)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"value": jwt})
}

// MintToken signs a web identity token for one of the server's OIDC
// issuers (see World.MintToken); IssuedAt defaults to the server's clock.
func (s *Server) MintToken(issuer string, c TokenClaims) (string, error) {
	if c.IssuedAt.IsZero() {
		c.IssuedAt = s.clock()
	}
	w := World{OIDC: s.oidc}
	return w.MintToken(issuer, c)
}

// serveMintSSOToken is POST /_emu/sso/token.
func (s *Server) serveMintSSOToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		User             string `json:"user"`
		ExpiresIn        int64  `json:"expires_in"`
		Refresh          bool   `json:"refresh"`
		RefreshExpiresIn int64  `json:"refresh_expires_in"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		http.Error(w, "sso token: "+err.Error(), http.StatusBadRequest)
		return
	}
	const limit = 90 * 24 * 3600
	for name, v := range map[string]int64{"expires_in": req.ExpiresIn, "refresh_expires_in": req.RefreshExpiresIn} {
		if v < -limit || v > limit {
			http.Error(w, fmt.Sprintf("sso token: %s %d is more than 90 days", name, v), http.StatusBadRequest)
			return
		}
	}
	tok, err := s.MintSSO(SSOMint{User: req.User, AccessTTL: time.Duration(req.ExpiresIn) * time.Second, Refresh: req.Refresh,
		SessionTTL: time.Duration(req.RefreshExpiresIn) * time.Second})
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	writeJSON(w, http.StatusOK, tok)
}

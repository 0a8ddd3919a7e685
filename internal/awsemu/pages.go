package awsemu

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The browser side of Identity Center sign-in: the authorization page
// (GET /authorize, what the AWS CLI v2 opens for the authorization-code
// flow with PKCE) and the device verification page (GET /device, the
// verificationUri of a device authorization). Each shows the signed-in
// user (a <select name="user"> when the world has several) and a form
// whose <button type="submit">Allow</button> approves; a Deny button
// refuses. No JavaScript: a headless browser, or a test posting the form,
// signs in the same way.
//
// Their requests are counted and logged as Authorize and AuthorizeConsent
// (GET and POST /authorize), DeviceVerification and DeviceConsent (GET and
// POST /device). Faults do not reach them.

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body>
<h1>{{.Title}}</h1>
{{if .Message}}<p id="message">{{.Message}}</p>{{end}}
{{if .Form}}<form method="post" action="{{.Action}}">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}{{if .UserCode}}<label>Code <input type="text" name="user_code" value="{{.UserCode}}"></label>
{{end}}{{if gt (len .Users) 1}}<label>User <select name="user">{{range .Users}}<option value="{{.}}">{{.}}</option>{{end}}</select></label>
{{else}}<input type="hidden" name="user" value="{{index .Users 0}}"><p>Signed in as {{index .Users 0}}</p>
{{end}}<button type="submit">Allow</button>
<button type="submit" name="deny" value="1">Deny</button>
</form>{{if .AutoAllow}}
<script>document.querySelector("form button[type=submit]").click();</script>{{end}}{{end}}
</body>
</html>
`))

type hiddenField struct{ Name, Value string }

type pageData struct {
	Title    string
	Message  string
	Form     bool
	Action   string
	Hidden   []hiddenField
	UserCode string
	Users    []string
	// AutoAllow clicks Allow on load (SSO.AutoAllow).
	AutoAllow bool
}

func (s *Server) renderPage(w http.ResponseWriter, status int, d pageData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_ = pageTemplate.Execute(w, d)
}

// servePages answers /authorize and /device; it reports false for other
// paths.
func (s *Server) servePages(w http.ResponseWriter, r *http.Request) bool {
	var action string
	switch {
	case r.URL.Path == "/authorize" && r.Method == http.MethodGet:
		action = "Authorize"
	case r.URL.Path == "/authorize" && r.Method == http.MethodPost:
		action = "AuthorizeConsent"
	case r.URL.Path == "/device" && r.Method == http.MethodGet:
		action = "DeviceVerification"
	case r.URL.Path == "/device" && r.Method == http.MethodPost:
		action = "DeviceConsent"
	default:
		return false
	}
	now := s.clock()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	log := Request{Time: now, Action: action, Service: "sso-oidc"}
	s.mu.Lock()
	s.stats[action]++
	s.mu.Unlock()
	if s.sso == nil {
		http.Error(rec, "the emulator's world has no sso", http.StatusNotFound)
	} else {
		r.Body = http.MaxBytesReader(rec, r.Body, maxBody)
		if err := r.ParseForm(); err != nil {
			s.renderPage(rec, http.StatusBadRequest, pageData{Title: "Bad request", Message: "The form could not be read."})
		} else if strings.HasPrefix(action, "Authorize") {
			log.Caller = s.authorizePage(rec, r, now, action == "AuthorizeConsent")
		} else {
			log.Caller = s.devicePage(rec, r, now, action == "DeviceConsent")
		}
	}
	log.Status = rec.status
	s.logRequest(log)
	return true
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (s *Server) userNames() []string {
	var names []string
	for _, u := range s.sso.cfg.Users {
		names = append(names, u.Name)
	}
	return names
}

// chosenUser is the user a consent form names; with one user the form
// may leave it out.
func (s *Server) chosenUser(r *http.Request) string {
	u := r.PostForm.Get("user")
	if u == "" && len(s.sso.cfg.Users) == 1 {
		u = s.sso.cfg.Users[0].Name
	}
	if s.sso.users[u] == nil {
		return ""
	}
	return u
}

// authorizePage shows the sign-in page for an authorization request, or
// (consent) issues the code and redirects to the client. Errors about the
// client or its redirect URI are shown, never redirected (RFC 6749
// 4.1.2.1); the others go back to the redirect URI as error=...&state=....
// It returns the user who consented, for the log.
func (s *Server) authorizePage(w http.ResponseWriter, r *http.Request, now time.Time, consent bool) string {
	p := r.Form
	if consent {
		p = r.PostForm
	}
	clientID, redirect, state := p.Get("client_id"), p.Get("redirect_uri"), p.Get("state")
	s.mu.Lock()
	defer s.mu.Unlock()
	cl := s.sso.clients[clientID]
	if cl == nil || !now.Before(cl.expires) {
		s.renderPage(w, http.StatusBadRequest, pageData{Title: "Sign-in failed", Message: "The application is not registered (invalid client_id)."})
		return ""
	}
	if redirect == "" || !cl.redirectRegistered(redirect) {
		s.renderPage(w, http.StatusBadRequest, pageData{Title: "Sign-in failed", Message: "The redirect_uri is not one the application registered."})
		return ""
	}
	back := func(q url.Values) {
		if state != "" {
			q.Set("state", state)
		}
		u, _ := url.Parse(redirect) // checked by redirectRegistered
		all := u.Query()
		for k, v := range q {
			all[k] = v
		}
		u.RawQuery = all.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
	fail := func(code, desc string) {
		back(url.Values{"error": {code}, "error_description": {desc}})
	}
	scopes := strings.Fields(strings.ReplaceAll(p.Get("scopes")+" "+p.Get("scope"), ",", " "))
	switch {
	case p.Get("response_type") != "code":
		fail("unsupported_response_type", "response_type must be code")
		return ""
	case !cl.allows(grantAuthCode) || len(cl.grantTypes) == 0:
		fail("unauthorized_client", "the client did not register the authorization_code grant")
		return ""
	case p.Get("code_challenge") == "":
		fail("invalid_request", "code_challenge is required")
		return ""
	case p.Get("code_challenge_method") != "S256":
		fail("invalid_request", "code_challenge_method must be S256")
		return ""
	}
	for _, sc := range scopes {
		if !contains(cl.scopes, sc) {
			fail("invalid_scope", "scope "+sc+" was not registered")
			return ""
		}
	}
	if !consent {
		var hidden []hiddenField
		for _, k := range []string{"response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method", "scopes"} {
			v := p.Get(k)
			if k == "scopes" {
				v = strings.Join(scopes, " ")
			}
			if v != "" {
				hidden = append(hidden, hiddenField{k, v})
			}
		}
		s.renderPage(w, http.StatusOK, pageData{Title: "Allow " + cl.name + " to access your data?", Form: true,
			Action: "/authorize", Hidden: hidden, Users: s.userNames(), AutoAllow: s.sso.cfg.AutoAllow})
		return ""
	}
	if p.Get("deny") != "" {
		fail("access_denied", "the user denied the request")
		return ""
	}
	user := s.chosenUser(r)
	if user == "" {
		s.renderPage(w, http.StatusBadRequest, pageData{Title: "Sign-in failed", Message: "No such user."})
		return ""
	}
	code := newToken("ac")
	s.sso.codes[code] = &authCode{clientID: cl.id, redirectURI: redirect, challenge: p.Get("code_challenge"), scopes: scopes,
		user: user, expires: now.Add(ssoCodeLifetime)}
	back(url.Values{"code": {code}})
	return user
}

// devicePage shows the verification page for a user code, or (consent)
// approves or denies its device authorization.
func (s *Server) devicePage(w http.ResponseWriter, r *http.Request, now time.Time, consent bool) string {
	code := normalizeUserCode(r.Form.Get("user_code"))
	s.mu.Lock()
	defer s.mu.Unlock()
	if !consent {
		s.renderPage(w, http.StatusOK, pageData{Title: "Authorize request", Form: true, Action: "/device",
			UserCode: code, Users: s.userNames(), Message: "Confirm that this code matches the one shown in your terminal.",
			AutoAllow: s.sso.cfg.AutoAllow && code != ""})
		return ""
	}
	d := s.sso.byUser[code]
	if d == nil || d.status != "pending" || !now.Before(d.expires) {
		s.renderPage(w, http.StatusBadRequest, pageData{Title: "Authorization failed", Message: "The code is not valid or has expired."})
		return ""
	}
	if r.PostForm.Get("deny") != "" {
		d.status = "denied"
		s.renderPage(w, http.StatusOK, pageData{Title: "Request denied", Message: "You may close this window."})
		return ""
	}
	user := s.chosenUser(r)
	if user == "" {
		s.renderPage(w, http.StatusBadRequest, pageData{Title: "Authorization failed", Message: "No such user."})
		return ""
	}
	d.status, d.user = "approved", user
	s.renderPage(w, http.StatusOK, pageData{Title: "Request approved", Message: "You may close this window and return to your terminal."})
	return user
}

// normalizeUserCode accepts a user code as typed: any case, with or
// without its hyphen, with spaces around.
func normalizeUserCode(c string) string {
	c = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(c), "-", ""))
	if len(c) == 8 {
		return c[:4] + "-" + c[4:]
	}
	return c
}

// ApproveDevice approves the pending device authorization of userCode for
// user (empty: the world's only user), as the verification page's Allow
// does, for tests that drive the device code flow without a browser. It is
// what POST /_emu/sso/approve does; it is not counted as a DeviceConsent.
func (s *Server) ApproveDevice(userCode, user string) error {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sso == nil {
		return fmt.Errorf("the world has no sso")
	}
	if user == "" && len(s.sso.cfg.Users) == 1 {
		user = s.sso.cfg.Users[0].Name
	}
	if s.sso.users[user] == nil {
		return fmt.Errorf("sso: no user %q", user)
	}
	d := s.sso.byUser[normalizeUserCode(userCode)]
	if d == nil || d.status != "pending" || !now.Before(d.expires) {
		return fmt.Errorf("sso: no pending device authorization with user code %q", userCode)
	}
	d.status, d.user = "approved", user
	return nil
}

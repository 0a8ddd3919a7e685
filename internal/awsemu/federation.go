package awsemu

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// The AWS console's sign-in through the federation endpoint, as a custom
// identity broker (and aws-vault, and `kagi login`) uses it:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_enable-console-custom-url.html
//
//	GET /federation?Action=getSigninToken&Session=JSON[&SessionDuration=S]
//	    JSON is {"sessionId","sessionKey","sessionToken"}: temporary
//	    credentials. Answers {"SigninToken": TOKEN}.
//	GET /federation?Action=login&Issuer=URL&Destination=URL&SigninToken=TOKEN
//	    Checks the token (known, unused, at most 15 minutes old), opens a
//	    console session for the credentials' ARN and redirects (302) to
//	    /_emu/console?destination=URL, setting the session's cookie.
//	GET /_emu/console
//	    The emulator's stand-in for the console: the signed-in ARN and the
//	    destination asked for, from the session the cookie names (kept by
//	    the server, never in the URL).
//
// Each request is counted and logged as getSigninToken, login or Console,
// never with a credential or a token. Faults do not reach them.
//
// What AWS answers to a refusal is not documented beyond the status. What
// is known and modelled: credentials from GetSessionToken (and long-term
// keys) are refused: aws-vault saw "400 Bad Request" at getSigninToken
// (99designs/aws-vault#106, which is why it calls GetFederationToken for a
// user without a role), and the sign-in page says "Only federation tokens
// or assume role tokens may be used for federated login. Please contact
// your administrator." (99designs/aws-vault#1191). SessionDuration is
// refused for GetFederationToken credentials ("Do not use the
// SessionDuration HTTP parameter if you got the temporary credentials with
// GetFederationToken. Doing so will cause the operation to fail.") and for
// a role assumed with anything but an IAM user's long-term keys ("When you
// use DurationSeconds in an AssumeRole* operation, you must call it as an
// IAM user with long-term credentials. Otherwise, the call to the
// federation endpoint in step 3 fails."): role chaining, and IAM Identity
// Center's role credentials, which the portal issues. The emulator answers
// each with 400 and a one-line text/plain body saying why.

// consoleKind is what the federation endpoint makes of a credential.
type consoleKind int

const (
	// consoleNone: long-term keys and GetSessionToken credentials, refused.
	consoleNone consoleKind = iota
	// consoleRole: a role assumed with an IAM user's long-term keys, or
	// with a web identity: SessionDuration allowed.
	consoleRole
	// consoleChained: a role assumed with temporary credentials (an MFA
	// session or another role): no SessionDuration.
	consoleChained
	// consoleFederation: GetFederationToken: no SessionDuration; the
	// console session lasts as long as the credentials.
	consoleFederation
	// consoleSSO: IAM Identity Center role credentials: no SessionDuration.
	consoleSSO
)

// roleConsole is the kind of a role session assumed by caller.
func roleConsole(caller *credential) consoleKind {
	if caller.temporary() {
		return consoleChained
	}
	return consoleRole
}

// Limits of the federation endpoint and of GetFederationToken.
const (
	// SigninTokenLifetime is how long a sign-in token can be used: "The
	// token is valid for 15 minutes after it's issued."
	SigninTokenLifetime = 15 * time.Minute
	consoleSessionMin   = 900
	consoleSessionMax   = 43200
	federationMin       = 900
	federationMax       = 129600 // 36 hours, for IAM users
	federationDefault   = 43200
	// ConsoleCookie is the name of the emulator console's session cookie.
	ConsoleCookie = "awsemu-console"
)

const (
	msgOnlyFederationOrRole = "Only federation tokens or assume role tokens may be used for federated login. Please contact your administrator."
	msgDurationNotAllowed   = "SessionDuration cannot be used with these credentials: only for a role assumed with an IAM user's long-term credentials"
)

type signinToken struct {
	arn     string
	keyID   string
	issued  time.Time
	expires time.Time // of the console session it opens
	used    bool
}

type consoleSession struct {
	arn     string
	expires time.Time
}

type consoleState struct {
	tokens   map[string]*signinToken
	sessions map[string]consoleSession // by cookie
}

func newConsoleState() *consoleState {
	return &consoleState{tokens: map[string]*signinToken{}, sessions: map[string]consoleSession{}}
}

func (s *Server) getFederationToken(c *call, caller *credential) (any, *apiError) {
	if caller.temporary() {
		return nil, accessDenied("Cannot call GetFederationToken with session credentials")
	}
	name := c.params.Get("Name")
	switch {
	case name == "":
		return nil, validationError("1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
	case len(name) < 2:
		return nil, validationError(fmt.Sprintf("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 2", name))
	case len(name) > 32:
		return nil, validationError(fmt.Sprintf("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must have length less than or equal to 32", name))
	case !validSessionName(name):
		return nil, validationError(fmt.Sprintf("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", name))
	}
	dur, aerr := durationParam(c.params, federationMin, federationMax, federationDefault)
	if aerr != nil {
		return nil, aerr
	}
	// The session policy is intersected with the user's own; the emulator
	// models no permissions, so it only checks that it is a JSON object.
	if p := c.params.Get("Policy"); p != "" {
		var doc map[string]any
		if json.Unmarshal([]byte(p), &doc) != nil {
			return nil, &apiError{status: http.StatusBadRequest, code: "MalformedPolicyDocument", message: "The policy is not in the valid JSON format."}
		}
	}
	if caller.principal.user == nil {
		return nil, accessDenied("Only IAM users can call GetFederationToken")
	}
	p := principal{account: caller.principal.account, federated: name}
	id, cred := s.issue(c.now, dur, credential{principal: p, console: consoleFederation})
	return getFederationTokenResult{
		Credentials:   credXML(id, cred),
		FederatedUser: federatedUserXML{FederatedUserID: p.userID(), Arn: p.arn()},
	}, nil
}

type federatedUserXML struct {
	FederatedUserID string `xml:"FederatedUserId"`
	Arn             string `xml:"Arn"`
}

type getFederationTokenResult struct {
	XMLName          xml.Name         `xml:"GetFederationTokenResult"`
	Credentials      credentialsXML   `xml:"Credentials"`
	FederatedUser    federatedUserXML `xml:"FederatedUser"`
	PackedPolicySize int              `xml:"PackedPolicySize"`
}

// serveFederation answers /federation and /_emu/console; it reports
// false for other paths.
func (s *Server) serveFederation(w http.ResponseWriter, r *http.Request) bool {
	if r.URL.Path != "/federation" && r.URL.Path != "/_emu/console" {
		return false
	}
	now := s.clock()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	log := Request{Time: now, Service: "signin"}
	r.Body = http.MaxBytesReader(rec, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		log.Action = "federation"
		http.Error(rec, "The request could not be read", http.StatusBadRequest)
	} else if r.URL.Path == "/_emu/console" {
		log.Action = "Console"
		log.Caller = s.consolePage(rec, r, now)
	} else {
		log.Action = r.Form.Get("Action")
		switch log.Action {
		case "getSigninToken":
			log.Caller, log.Code = s.getSigninToken(rec, r, now)
		case "login":
			log.Caller, log.Code = s.consoleLogin(rec, r, now)
		default:
			log.Code = "InvalidAction"
			http.Error(rec, "Unknown Action", http.StatusBadRequest)
		}
	}
	s.mu.Lock()
	if log.Action != "" {
		s.stats[log.Action]++
	}
	s.mu.Unlock()
	log.Status = rec.status
	s.logRequest(log)
	return true
}

// refuse answers 400 with a one-line reason, and returns code for the log.
func refuse(w http.ResponseWriter, code, msg string) (string, string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintln(w, msg)
	return "", code
}

// getSigninToken exchanges temporary credentials for a sign-in token.
func (s *Server) getSigninToken(w http.ResponseWriter, r *http.Request, now time.Time) (caller, code string) {
	var sess struct {
		ID    string `json:"sessionId"`
		Key   string `json:"sessionKey"`
		Token string `json:"sessionToken"`
	}
	if json.Unmarshal([]byte(r.Form.Get("Session")), &sess) != nil || sess.ID == "" || sess.Key == "" {
		return refuse(w, "MalformedSession", "The Session parameter is missing or is not JSON with sessionId, sessionKey and sessionToken")
	}
	var duration time.Duration
	if v := r.Form.Get("SessionDuration"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < consoleSessionMin || n > consoleSessionMax {
			return refuse(w, "InvalidSessionDuration", fmt.Sprintf("SessionDuration must be an integer from %d to %d", consoleSessionMin, consoleSessionMax))
		}
		duration = time.Duration(n) * time.Second
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cred := s.keys[sess.ID]
	if cred == nil || !hmac.Equal([]byte(cred.secret), []byte(sess.Key)) || !hmac.Equal([]byte(cred.token), []byte(sess.Token)) {
		return refuse(w, "InvalidClientTokenId", "The security token included in the request is invalid.")
	}
	arn := cred.principal.arn()
	if cred.temporary() && !now.Before(cred.expires) {
		_, code := refuse(w, "ExpiredToken", "The security token included in the request is expired")
		return arn, code
	}
	if cred.revoked {
		_, code := refuse(w, "AccessDenied", "The credentials were revoked")
		return arn, code
	}
	if cred.console == consoleNone {
		_, code := refuse(w, "NotFederationOrRoleToken", msgOnlyFederationOrRole)
		return arn, code
	}
	if duration > 0 && cred.console != consoleRole {
		_, code := refuse(w, "SessionDurationNotAllowed", msgDurationNotAllowed)
		return arn, code
	}
	expires := cred.expires
	if duration > 0 {
		expires = now.Add(duration)
	}
	token := randomString(base64.RawURLEncoding, 300)
	for s.console.tokens[token] != nil {
		token = randomString(base64.RawURLEncoding, 300)
	}
	s.console.tokens[token] = &signinToken{arn: arn, keyID: sess.ID, issued: now, expires: expires}
	// Forget tokens no one can use any more.
	for t, st := range s.console.tokens {
		if now.Sub(st.issued) > SigninTokenLifetime {
			delete(s.console.tokens, t)
		}
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]string{"SigninToken": token})
	return arn, ""
}

var consoleTemplate = template.Must(template.New("console").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body>
<h1>{{.Title}}</h1>
{{if .ARN}}<p>Signed in as <code id="arn">{{.ARN}}</code></p>
<p>Destination <code id="destination">{{.Destination}}</code></p>
<p>Session ends <time id="expires">{{.Expires}}</time></p>
{{end}}{{if .Message}}<p id="message">{{.Message}}</p>{{end}}
</body>
</html>
`))

type consoleData struct {
	Title, ARN, Destination, Expires, Message string
}

func renderConsole(w http.ResponseWriter, status int, d consoleData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_ = consoleTemplate.Execute(w, d)
}

// consoleLogin spends a sign-in token and opens a console session.
func (s *Server) consoleLogin(w http.ResponseWriter, r *http.Request, now time.Time) (caller, code string) {
	token, dest := r.Form.Get("SigninToken"), r.Form.Get("Destination")
	fail := func(code, msg string) (string, string) {
		renderConsole(w, http.StatusBadRequest, consoleData{Title: "Sign-in failed", Message: msg})
		return caller, code
	}
	if dest == "" {
		return fail("MissingDestination", "The Destination parameter is missing")
	}
	if u, err := url.Parse(dest); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fail("InvalidDestination", "The Destination parameter is not a URL")
	}
	s.mu.Lock()
	st := s.console.tokens[token]
	switch {
	case token == "" || st == nil:
		s.mu.Unlock()
		return fail("InvalidSigninToken", "The sign-in token is invalid.")
	case st.used:
		caller = st.arn
		s.mu.Unlock()
		return fail("SigninTokenUsed", "The sign-in token has been used already.")
	case now.Sub(st.issued) > SigninTokenLifetime:
		caller = st.arn
		s.mu.Unlock()
		return fail("ExpiredSigninToken", "The sign-in token has expired: it can be used for 15 minutes after it is issued.")
	}
	st.used = true
	caller = st.arn
	cookie := randomString(base64.RawURLEncoding, 43)
	s.console.sessions[cookie] = consoleSession{arn: st.arn, expires: st.expires}
	for c, cs := range s.console.sessions {
		if !now.Before(cs.expires) {
			delete(s.console.sessions, c)
		}
	}
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: ConsoleCookie, Value: cookie, Path: "/_emu/console", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/_emu/console?destination="+url.QueryEscape(dest), http.StatusFound)
	return caller, ""
}

// consolePage shows the console session the cookie names.
func (s *Server) consolePage(w http.ResponseWriter, r *http.Request, now time.Time) string {
	c, err := r.Cookie(ConsoleCookie)
	var sess consoleSession
	ok := false
	if err == nil {
		s.mu.Lock()
		sess, ok = s.console.sessions[c.Value]
		s.mu.Unlock()
	}
	if !ok || !now.Before(sess.expires) {
		renderConsole(w, http.StatusUnauthorized, consoleData{Title: "Not signed in", Message: "No console session: sign in through the federation endpoint."})
		return ""
	}
	renderConsole(w, http.StatusOK, consoleData{Title: "AWS console (awsemu)", ARN: sess.arn,
		Destination: r.URL.Query().Get("destination"), Expires: sess.expires.UTC().Format(time.RFC3339)})
	return sess.arn
}

package awsemu

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// SSO is IAM Identity Center: a start URL (the AWS access portal) in a
// region, and the users who sign in there with the accounts and permission
// sets (roles) assigned to each.
//
// The emulator serves the OIDC service (sso-oidc: /client/register,
// /device_authorization, /token, the /authorize sign-in page and the /device
// verification page) and the portal (sso: /federation/credentials,
// /assignment/accounts, /assignment/roles, /logout) on its one loopback
// server, so that the AWS SDKs reach both through AWS_ENDPOINT_URL.
type SSO struct {
	StartURL string    `json:"start_url"`
	Region   string    `json:"region"`
	Users    []SSOUser `json:"users"`
	// AutoAllow (an addition to the brief's world shape) makes the sign-in
	// and device pages click their own Allow button once loaded (a line of
	// JavaScript), as a person at the browser would at once: a headless
	// browser that only opens the URL then completes the flow. The first
	// user of the select is the one signed in.
	AutoAllow bool `json:"auto_allow,omitempty"`
}

// SSOUser is an Identity Center user: Name is what the user signs in as
// (an email address, usually) and the role session name of every role
// credential the portal issues to the user.
type SSOUser struct {
	Name        string          `json:"name"`
	Assignments []SSOAssignment `json:"assignments,omitempty"`
}

// SSOAssignment gives a user a permission set (Role) in an account.
// AccountName and AccountEmail (optional; an addition to the brief's world
// shape) are what ListAccounts shows.
type SSOAssignment struct {
	Account      string `json:"account"`
	AccountName  string `json:"account_name,omitempty"`
	AccountEmail string `json:"account_email,omitempty"`
	Role         string `json:"role"`
}

// SSORoleName is the IAM role Identity Center provisions in an account for
// the permission set role: AWSReservedSSO_<role>_<16 hex digits>. The
// digits are derived from the account and the permission set, so they are
// the same in every run of the emulator.
func SSORoleName(account, role string) string {
	sum := sha256.Sum256([]byte("sso-role\x00" + account + "\x00" + role))
	return "AWSReservedSSO_" + role + "_" + hex.EncodeToString(sum[:8])
}

// SSORoleARN is the ARN of that role, under the path Identity Center uses:
// arn:aws:iam::ACCOUNT:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_...
// for an instance in us-east-1, with the region after sso.amazonaws.com/
// for one elsewhere. A world role that names this ARN (or the account's
// root) among its trust principals may be assumed with the portal's role
// credentials.
func SSORoleARN(region, account, role string) string {
	path := "aws-reserved/sso.amazonaws.com/"
	if region != "us-east-1" {
		path += region + "/"
	}
	return "arn:aws:iam::" + account + ":role/" + path + SSORoleName(account, role)
}

func (s *SSO) validate() error {
	if !strings.HasPrefix(s.StartURL, "https://") {
		return fmt.Errorf("sso: start_url %q does not start with https://", s.StartURL)
	}
	if !validRegion(s.Region) {
		return fmt.Errorf("sso: region %q is not a region name", s.Region)
	}
	if len(s.Users) == 0 {
		return fmt.Errorf("sso: no users")
	}
	names := map[string]bool{}
	for i, u := range s.Users {
		if u.Name == "" {
			return fmt.Errorf("sso.users[%d]: no name", i)
		}
		if !validSessionName(u.Name) || len(u.Name) < 2 || len(u.Name) > 64 {
			return fmt.Errorf("sso.users[%d]: name %q cannot be a role session name", i, u.Name)
		}
		if names[u.Name] {
			return fmt.Errorf("sso.users[%d]: user %q appears twice", i, u.Name)
		}
		names[u.Name] = true
		seen := map[string]bool{}
		for j, a := range u.Assignments {
			if !isAccount(a.Account) {
				return fmt.Errorf("sso.users[%d].assignments[%d]: account %q is not 12 digits", i, j, a.Account)
			}
			if a.Role == "" || !validSessionName(a.Role) || len(a.Role) > 32 {
				return fmt.Errorf("sso.users[%d].assignments[%d]: role %q is not a permission set name", i, j, a.Role)
			}
			if seen[a.Account+"/"+a.Role] {
				return fmt.Errorf("sso.users[%d].assignments[%d]: %s in %s appears twice", i, j, a.Role, a.Account)
			}
			seen[a.Account+"/"+a.Role] = true
		}
	}
	return nil
}

// Lifetimes Identity Center gives by default: an access token for an hour
// when the client registered scopes (and so holds a refresh token), else for
// the whole session; a session (and its refresh tokens) for eight hours;
// role credentials for the permission set's one-hour default; a device code
// and an authorization code for ten minutes; a client registration for 90
// days.
const (
	ssoAccessTokenDefault = time.Hour
	ssoSessionDefault     = 8 * time.Hour
	ssoRoleCredentials    = time.Hour
	ssoCodeLifetime       = 10 * time.Minute
	ssoClientLifetime     = 90 * 24 * time.Hour
	ssoDeviceInterval     = 1 // seconds between device-code polls
)

// ssoSession is one sign-in: its access and refresh tokens end with it.
type ssoSession struct {
	user    string
	expires time.Time // the refresh token lifetime
	ended   bool      // logged out, or an authorization code replayed
}

type ssoAccessToken struct {
	session *ssoSession
	expires time.Time
}

type ssoRefreshToken struct {
	session  *ssoSession
	clientID string
	scopes   []string
}

// ssoState is what the Identity Center side of the server holds: all of
// it under Server.mu.
type ssoState struct {
	cfg     SSO
	users   map[string]*SSOUser
	access  map[string]*ssoAccessToken
	refresh map[string]*ssoRefreshToken
	clients map[string]*oidcClient
	devices map[string]*deviceAuth // by device code
	byUser  map[string]*deviceAuth // by user code
	codes   map[string]*authCode
}

func newSSOState(cfg SSO) *ssoState {
	st := &ssoState{
		users:   map[string]*SSOUser{},
		access:  map[string]*ssoAccessToken{},
		refresh: map[string]*ssoRefreshToken{},
		clients: map[string]*oidcClient{},
		devices: map[string]*deviceAuth{},
		byUser:  map[string]*deviceAuth{},
		codes:   map[string]*authCode{},
	}
	st.cfg = cfg
	st.cfg.Users = nil
	for _, u := range cfg.Users {
		u := u
		u.Assignments = append([]SSOAssignment(nil), u.Assignments...)
		st.cfg.Users = append(st.cfg.Users, u)
	}
	for i := range st.cfg.Users {
		st.users[st.cfg.Users[i].Name] = &st.cfg.Users[i]
	}
	return st
}

// newToken returns an opaque token with a prefix, as Identity Center's
// tokens have ("aoa" access, "aor" refresh), and 96 random characters.
func newToken(prefix string) string {
	return prefix + randomString(base64.RawURLEncoding, 96)
}

// signIn starts a session for user and returns its access token, and a
// refresh token for clientID when withRefresh. Call with s.mu held.
func (s *Server) signIn(now time.Time, user, clientID string, scopes []string, withRefresh bool, accessTTL time.Duration) (access string, accessExp time.Time, refresh string) {
	st := s.sso
	life := ssoSessionDefault
	if n := s.faults.SSORefreshTokenSeconds; n > 0 {
		life = time.Duration(n) * time.Second
	}
	if accessTTL > life {
		life = accessTTL // a minted token asked to outlive the default session
	}
	sess := &ssoSession{user: user, expires: now.Add(life)}
	access, accessExp = s.newAccessToken(now, sess, withRefresh, accessTTL)
	if withRefresh {
		refresh = newToken("aor")
		st.refresh[refresh] = &ssoRefreshToken{session: sess, clientID: clientID, scopes: scopes}
	}
	return access, accessExp, refresh
}

// newAccessToken issues an access token of sess: for ttl when positive,
// else the sso_access_token_seconds fault, else an hour (a client with a
// refresh token) or the session's remaining life (one without); never
// beyond the session. Call with s.mu held.
func (s *Server) newAccessToken(now time.Time, sess *ssoSession, refreshable bool, ttl time.Duration) (string, time.Time) {
	if ttl <= 0 {
		switch {
		case s.faults.SSOAccessTokenSeconds > 0:
			ttl = time.Duration(s.faults.SSOAccessTokenSeconds) * time.Second
		case refreshable:
			ttl = ssoAccessTokenDefault
		default:
			ttl = sess.expires.Sub(now)
		}
	}
	exp := now.Add(ttl)
	if exp.After(sess.expires) {
		exp = sess.expires
	}
	tok := newToken("aoa")
	s.sso.access[tok] = &ssoAccessToken{session: sess, expires: exp}
	return tok, exp
}

// MintSSOToken signs user in without a browser and returns an access token
// the portal accepts, valid for ttl; zero gives the lifetime CreateToken
// would give, a negative ttl a token that expired that long ago. It is what
// POST /_emu/sso/token does.
func (s *Server) MintSSOToken(user string, ttl time.Duration) (string, error) {
	tok, err := s.MintSSO(SSOMint{User: user, AccessTTL: ttl})
	return tok.AccessToken, err
}

// MintSSOTokenWithRefresh is MintSSO with Refresh set.
func (s *Server) MintSSOTokenWithRefresh(user string, ttl time.Duration) (MintedSSOToken, error) {
	return s.MintSSO(SSOMint{User: user, AccessTTL: ttl, Refresh: true})
}

// SSOMint says what MintSSO makes.
type SSOMint struct {
	// User signs in; empty: the world's only user.
	User string
	// AccessTTL is the access token's lifetime: zero for what CreateToken
	// would give, negative for a token that expired that long ago.
	AccessTTL time.Duration
	// Refresh also registers a client (scopes sso:account:access, all
	// three grant types, redirect URI http://127.0.0.1/oauth/callback) and
	// issues a refresh token for it.
	Refresh bool
	// SessionTTL is the session's (the refresh token's) lifetime: zero for
	// a sign-in's (eight hours, or the sso_refresh_token_seconds fault, and
	// at least AccessTTL), negative for a session that ended that long ago,
	// so that neither token works.
	SessionTTL time.Duration
}

// MintedSSOToken is what the control endpoint POST /_emu/sso/token
// returns: the fields of a token as the AWS CLI v2 caches them. The client
// and the refresh token are there when refresh was asked for.
type MintedSSOToken struct {
	AccessToken           string `json:"accessToken"`
	ExpiresIn             int64  `json:"expiresIn"`
	ExpiresAt             string `json:"expiresAt"`
	RefreshToken          string `json:"refreshToken,omitempty"`
	ClientID              string `json:"clientId,omitempty"`
	ClientSecret          string `json:"clientSecret,omitempty"`
	ClientSecretExpiresAt int64  `json:"clientSecretExpiresAt,omitempty"`
}

// MintSSO signs a user in without a browser, as m says: a test can start
// from any state of a token cache (fresh, access token expired with the
// refresh token good, both expired).
func (s *Server) MintSSO(m SSOMint) (MintedSSOToken, error) {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sso == nil {
		return MintedSSOToken{}, fmt.Errorf("the world has no sso")
	}
	if m.User == "" && len(s.sso.cfg.Users) == 1 {
		m.User = s.sso.cfg.Users[0].Name
	}
	if s.sso.users[m.User] == nil {
		return MintedSSOToken{}, fmt.Errorf("sso: no user %q", m.User)
	}
	var out MintedSSOToken
	clientID := ""
	scopes := []string(nil)
	if m.Refresh {
		c := s.registerClientLocked(now, "awsemu", []string{"sso:account:access"}, []string{grantAuthCode, grantRefresh, grantDeviceCode},
			[]string{"http://127.0.0.1/oauth/callback"}, "")
		clientID, scopes = c.id, c.scopes
		out.ClientID, out.ClientSecret, out.ClientSecretExpiresAt = c.id, c.secret, c.expires.Unix()
	}
	access, exp, refresh := s.signIn(now, m.User, clientID, scopes, m.Refresh, max(m.AccessTTL, 0))
	at := s.sso.access[access]
	if m.SessionTTL != 0 {
		at.session.expires = now.Add(m.SessionTTL)
		if exp.After(at.session.expires) {
			exp = at.session.expires
		}
	}
	if m.AccessTTL < 0 {
		exp = now.Add(m.AccessTTL)
	}
	at.expires = exp
	out.AccessToken, out.RefreshToken = access, refresh
	out.ExpiresIn = int64(exp.Sub(now) / time.Second)
	// ExpiresAt is rounded down, so that a client trusting it is never late.
	out.ExpiresAt = exp.UTC().Format(time.RFC3339)
	return out, nil
}

// ssoError is an error answer of the portal or the OIDC service.
type ssoError struct {
	status  int
	typ     string // UnauthorizedException, InvalidGrantException, ...
	message string
	oauth   string // OIDC: the OAuth error code ("invalid_grant"); empty for the portal
}

func portalError(status int, typ, msg string) *ssoError {
	return &ssoError{status: status, typ: typ, message: msg}
}

// Messages as the portal words them.
const (
	msgSSOUnauthorized = "Session token not found or invalid"
	msgSSONoAccess     = "No access"
)

func ssoUnauthorized() *ssoError {
	return portalError(http.StatusUnauthorized, "UnauthorizedException", msgSSOUnauthorized)
}

// jsonCall is one request to the portal or the OIDC service.
type jsonCall struct {
	r       *http.Request
	body    []byte
	now     time.Time
	action  string
	service string
	log     Request
}

// ssoRoute maps a request to a portal or OIDC action; ok is false for
// paths that are not theirs.
func ssoRoute(r *http.Request) (action, service string, ok bool) {
	switch {
	case r.URL.Path == "/federation/credentials":
		return "GetRoleCredentials", "sso", true
	case r.URL.Path == "/assignment/accounts":
		return "ListAccounts", "sso", true
	case r.URL.Path == "/assignment/roles":
		return "ListAccountRoles", "sso", true
	case r.URL.Path == "/logout":
		return "Logout", "sso", true
	case r.URL.Path == "/client/register":
		return "RegisterClient", "sso-oidc", true
	case r.URL.Path == "/device_authorization":
		return "StartDeviceAuthorization", "sso-oidc", true
	case r.URL.Path == "/token":
		return "CreateToken", "sso-oidc", true
	}
	return "", "", false
}

// ssoMethods are the HTTP methods of the JSON actions.
var ssoMethods = map[string]string{
	"GetRoleCredentials":       http.MethodGet,
	"ListAccounts":             http.MethodGet,
	"ListAccountRoles":         http.MethodGet,
	"Logout":                   http.MethodPost,
	"RegisterClient":           http.MethodPost,
	"StartDeviceAuthorization": http.MethodPost,
	"CreateToken":              http.MethodPost,
}

// serveSSO answers the portal and OIDC actions: it counts and logs them as
// serveAPI does the query APIs, and applies the faults.
func (s *Server) serveSSO(w http.ResponseWriter, r *http.Request, action, service string) {
	c := &jsonCall{r: r, now: s.clock(), action: action, service: service}
	c.log = Request{Time: c.now, Action: action, Service: service}
	result, serr := s.handleSSO(c)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-Requestid", newRequestID())
	h.Set("Date", s.clock().UTC().Format(http.TimeFormat))
	status := http.StatusOK
	var body any = result
	if serr != nil {
		status = serr.status
		c.log.Code = serr.typ
		if service == "sso-oidc" {
			// As the OIDC service answers: the type only in the header,
			// the OAuth error in the body.
			h.Set("X-Amzn-Errortype", serr.typ+":http://internal.amazon.com/coral/com.amazonaws.sso.oidc/")
			body = map[string]string{"error": serr.oauth, "error_description": serr.message}
		} else {
			h.Set("X-Amzn-Errortype", serr.typ)
			body = map[string]string{"__type": "com.amazonaws.switchboard.portal#" + serr.typ, "message": serr.message}
		}
	}
	out, err := json.Marshal(body)
	if err != nil {
		status, out = http.StatusInternalServerError, []byte(`{"message":"emulator: cannot encode the response"}`)
	}
	if result == nil && serr == nil {
		out = nil // Logout: an empty body
	}
	c.log.Status = status
	s.logRequest(c.log)
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

func (s *Server) logRequest(l Request) {
	s.mu.Lock()
	if len(s.requests) >= maxRequests {
		s.requests = append(s.requests[:0], s.requests[1:]...)
	}
	s.requests = append(s.requests, l)
	s.mu.Unlock()
}

func (s *Server) handleSSO(c *jsonCall) (any, *ssoError) {
	s.mu.Lock()
	s.stats[c.action]++
	faults := s.faults
	s.mu.Unlock()
	if faults.appliesTo(c.action) {
		if aerr := s.injectFaults(c.r.Context(), &call{now: c.now}, faults); aerr != nil {
			switch aerr.code {
			case "Throttling":
				return nil, &ssoError{status: http.StatusTooManyRequests, typ: "TooManyRequestsException", message: "Too many requests", oauth: "slow_down"}
			case "ServiceUnavailable":
				return nil, &ssoError{status: http.StatusServiceUnavailable, typ: "ServiceUnavailableException", message: aerr.message, oauth: "server_error"}
			default:
				return nil, &ssoError{status: http.StatusInternalServerError, typ: "InternalServerException", message: "An internal error occurred", oauth: "server_error"}
			}
		}
	}
	if c.r.Method != ssoMethods[c.action] {
		return nil, &ssoError{status: http.StatusMethodNotAllowed, typ: "UnknownOperationException", message: "Method not allowed", oauth: "invalid_request"}
	}
	if s.sso == nil {
		return nil, &ssoError{status: http.StatusNotFound, typ: "UnknownOperationException", message: "the emulator's world has no sso", oauth: "invalid_request"}
	}
	body, err := readBody(c.r)
	if err != nil {
		return nil, &ssoError{status: http.StatusBadRequest, typ: "InvalidRequestException", message: "Could not read the request body", oauth: "invalid_request"}
	}
	c.body = body
	switch c.action {
	case "GetRoleCredentials":
		return s.getRoleCredentials(c)
	case "ListAccounts":
		return s.listAccounts(c)
	case "ListAccountRoles":
		return s.listAccountRoles(c)
	case "Logout":
		return s.logout(c)
	case "RegisterClient":
		return s.registerClient(c)
	case "StartDeviceAuthorization":
		return s.startDeviceAuthorization(c)
	case "CreateToken":
		return s.createToken(c)
	}
	return nil, &ssoError{status: http.StatusNotFound, typ: "UnknownOperationException", message: "Unknown operation"}
}

// bearer checks the x-amz-sso_bearer_token header and returns the user it
// belongs to. Call without s.mu.
func (s *Server) bearer(c *jsonCall) (*SSOUser, *ssoError) {
	tok := c.r.Header.Get("X-Amz-Sso_bearer_token")
	if tok == "" {
		return nil, ssoUnauthorized()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	at := s.sso.access[tok]
	if at == nil || at.session.ended || !c.now.Before(at.expires) {
		return nil, ssoUnauthorized()
	}
	u := s.sso.users[at.session.user]
	c.log.Caller = u.Name
	return u, nil
}

// roleCredentialsJSON is the portal's RoleCredentials: expiration in
// milliseconds since the epoch.
type roleCredentialsJSON struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	SessionToken    string `json:"sessionToken"`
	Expiration      int64  `json:"expiration"`
}

func (s *Server) getRoleCredentials(c *jsonCall) (any, *ssoError) {
	q := c.r.URL.Query()
	account, role := q.Get("account_id"), q.Get("role_name")
	if aerr := requireParams(map[string]string{"accountId": account, "roleName": role}); aerr != nil {
		return nil, aerr
	}
	u, serr := s.bearer(c)
	if serr != nil {
		return nil, serr
	}
	if !assigned(u, account, role) {
		return nil, portalError(http.StatusForbidden, "ForbiddenException", msgSSONoAccess)
	}
	name := SSORoleName(account, role)
	p := principal{account: account, roleARN: SSORoleARN(s.sso.cfg.Region, account, role), role: name, session: u.Name}
	id, cred := s.issue(c.now, ssoRoleCredentials, credential{principal: p, console: consoleSSO})
	return map[string]any{"roleCredentials": roleCredentialsJSON{
		AccessKeyID: id, SecretAccessKey: cred.secret, SessionToken: cred.token, Expiration: cred.expires.UnixMilli(),
	}}, nil
}

func assigned(u *SSOUser, account, role string) bool {
	for _, a := range u.Assignments {
		if a.Account == account && (role == "" || a.Role == role) {
			return true
		}
	}
	return false
}

// requireParams answers InvalidRequestException for the first empty one,
// in a stable order.
func requireParams(params map[string]string) *ssoError {
	for _, k := range []string{"accountId", "roleName"} {
		if v, ok := params[k]; ok && v == "" {
			return portalError(http.StatusBadRequest, "InvalidRequestException", fmt.Sprintf("%s is required", k))
		}
	}
	return nil
}

// page reads next_token and max_result: the index to start at and the page
// size (1..100; 20 when not given, so that a world with many accounts
// pages).
func page(q url.Values) (start, size int, serr *ssoError) {
	size = 20
	if v := q.Get("max_result"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return 0, 0, portalError(http.StatusBadRequest, "InvalidRequestException",
				fmt.Sprintf("1 validation error detected: Value '%s' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100", v))
		}
		size = n
	}
	if v := q.Get("next_token"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(b), "awsemu-page:"))
		if err != nil || err2 != nil || !strings.HasPrefix(string(b), "awsemu-page:") || n < 0 {
			return 0, 0, portalError(http.StatusBadRequest, "InvalidRequestException", "Invalid next token")
		}
		start = n
	}
	return start, size, nil
}

func nextToken(start, size, total int) string {
	if start+size >= total {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte("awsemu-page:" + strconv.Itoa(start+size)))
}

type accountInfoJSON struct {
	AccountID    string `json:"accountId"`
	AccountName  string `json:"accountName,omitempty"`
	EmailAddress string `json:"emailAddress,omitempty"`
}

type roleInfoJSON struct {
	AccountID string `json:"accountId"`
	RoleName  string `json:"roleName"`
}

func (s *Server) listAccounts(c *jsonCall) (any, *ssoError) {
	start, size, serr := page(c.r.URL.Query())
	if serr != nil {
		return nil, serr
	}
	u, serr := s.bearer(c)
	if serr != nil {
		return nil, serr
	}
	var all []accountInfoJSON
	seen := map[string]bool{}
	for _, a := range u.Assignments {
		if seen[a.Account] {
			continue
		}
		seen[a.Account] = true
		all = append(all, accountInfoJSON{AccountID: a.Account, AccountName: a.AccountName, EmailAddress: a.AccountEmail})
	}
	out := map[string]any{"accountList": window(all, start, size)}
	if t := nextToken(start, size, len(all)); t != "" {
		out["nextToken"] = t
	}
	return out, nil
}

func (s *Server) listAccountRoles(c *jsonCall) (any, *ssoError) {
	q := c.r.URL.Query()
	account := q.Get("account_id")
	if serr := requireParams(map[string]string{"accountId": account}); serr != nil {
		return nil, serr
	}
	start, size, serr := page(q)
	if serr != nil {
		return nil, serr
	}
	u, serr := s.bearer(c)
	if serr != nil {
		return nil, serr
	}
	if !assigned(u, account, "") {
		return nil, portalError(http.StatusForbidden, "ForbiddenException", msgSSONoAccess)
	}
	var all []roleInfoJSON
	for _, a := range u.Assignments {
		if a.Account == account {
			all = append(all, roleInfoJSON{AccountID: a.Account, RoleName: a.Role})
		}
	}
	out := map[string]any{"roleList": window(all, start, size)}
	if t := nextToken(start, size, len(all)); t != "" {
		out["nextToken"] = t
	}
	return out, nil
}

func window[T any](all []T, start, size int) []T {
	if start > len(all) {
		start = len(all)
	}
	end := min(start+size, len(all))
	return append([]T{}, all[start:end]...)
}

// logout ends the session of the token: its access tokens and refresh
// tokens stop working; role credentials already issued do not (as in AWS,
// they last until they expire).
func (s *Server) logout(c *jsonCall) (any, *ssoError) {
	if _, serr := s.bearer(c); serr != nil {
		return nil, serr
	}
	s.mu.Lock()
	if at := s.sso.access[c.r.Header.Get("X-Amz-Sso_bearer_token")]; at != nil {
		at.session.ended = true
	}
	s.mu.Unlock()
	return nil, nil
}

// validRegion is the shape of a region name: us-east-1, eu-central-2,
// us-gov-west-1.
func validRegion(r string) bool {
	parts := strings.Split(r, "-")
	if len(parts) < 3 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
			return false
		}
	}
	return true
}

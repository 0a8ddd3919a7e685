package awsemu

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The OAuth grant types of the Identity Center OIDC service.
const (
	grantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"
	grantAuthCode   = "authorization_code"
	grantRefresh    = "refresh_token"
)

// oidcClient is a client registration (RegisterClient).
type oidcClient struct {
	id, secret   string
	name         string
	scopes       []string
	grantTypes   []string // empty: any grant
	redirectURIs []string
	issuerURL    string
	issued       time.Time
	expires      time.Time
}

// allows reports whether the client may use grant: a client that
// registered grant types is held to them.
func (c *oidcClient) allows(grant string) bool {
	return len(c.grantTypes) == 0 || contains(c.grantTypes, grant)
}

// refreshable reports whether tokens issued to the client come with a
// refresh token: it registered scopes (as the AWS CLI does for an
// sso-session) and may use the refresh_token grant.
func (c *oidcClient) refreshable() bool { return len(c.scopes) > 0 && c.allows(grantRefresh) }

// deviceAuth is a device authorization (StartDeviceAuthorization).
type deviceAuth struct {
	deviceCode, userCode string
	clientID             string
	expires              time.Time
	status               string // pending, approved, denied, consumed
	user                 string
	lastPoll             time.Time
}

// authCode is an authorization code the sign-in page issued.
type authCode struct {
	clientID    string
	redirectURI string
	challenge   string
	scopes      []string
	user        string
	expires     time.Time
	used        bool
	session     *ssoSession // the sign-in it was exchanged for
}

func oidcErr(status int, typ, oauth, msg string) *ssoError {
	return &ssoError{status: status, typ: typ, oauth: oauth, message: msg}
}

func invalidRequest(msg string) *ssoError {
	return oidcErr(http.StatusBadRequest, "InvalidRequestException", "invalid_request", msg)
}

func invalidClient() *ssoError {
	return oidcErr(http.StatusUnauthorized, "InvalidClientException", "invalid_client", "Invalid client provided")
}

func invalidGrant(msg string) *ssoError {
	return oidcErr(http.StatusBadRequest, "InvalidGrantException", "invalid_grant", msg)
}

func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		return nil, fmt.Errorf("body too large or unreadable")
	}
	return body, nil
}

// decodeJSON reads the request body into v; unknown members are ignored,
// as a service ignores what a newer client sends.
func decodeJSON(body []byte, v any) *ssoError {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return invalidRequest("The request body is not valid JSON")
	}
	return nil
}

type registerClientRequest struct {
	ClientName   string   `json:"clientName"`
	ClientType   string   `json:"clientType"`
	Scopes       []string `json:"scopes"`
	RedirectURIs []string `json:"redirectUris"`
	GrantTypes   []string `json:"grantTypes"`
	IssuerURL    string   `json:"issuerUrl"`
}

func (s *Server) registerClient(c *jsonCall) (any, *ssoError) {
	var req registerClientRequest
	if serr := decodeJSON(c.body, &req); serr != nil {
		return nil, serr
	}
	switch {
	case req.ClientName == "":
		return nil, invalidRequest("clientName is required")
	case req.ClientType == "":
		return nil, invalidRequest("clientType is required")
	case req.ClientType != "public":
		return nil, oidcErr(http.StatusBadRequest, "InvalidClientMetadataException", "invalid_client_metadata",
			fmt.Sprintf("Invalid client type %s", req.ClientType))
	}
	for _, g := range req.GrantTypes {
		if g != grantDeviceCode && g != grantAuthCode && g != grantRefresh {
			return nil, oidcErr(http.StatusBadRequest, "InvalidClientMetadataException", "invalid_client_metadata",
				fmt.Sprintf("Invalid grant type %s", g))
		}
	}
	for _, sc := range req.Scopes {
		if !validScope(sc) {
			return nil, oidcErr(http.StatusBadRequest, "InvalidScopeException", "invalid_scope", fmt.Sprintf("Invalid scope %s", sc))
		}
	}
	if contains(req.GrantTypes, grantAuthCode) && len(req.RedirectURIs) == 0 {
		return nil, oidcErr(http.StatusBadRequest, "InvalidRedirectUriException", "invalid_redirect_uri",
			"redirectUris are required for the authorization_code grant")
	}
	for _, u := range req.RedirectURIs {
		if !loopbackRedirect(u) {
			return nil, oidcErr(http.StatusBadRequest, "InvalidRedirectUriException", "invalid_redirect_uri",
				fmt.Sprintf("Invalid redirect uri %s", u))
		}
	}
	s.mu.Lock()
	cl := s.registerClientLocked(c.now, req.ClientName, req.Scopes, req.GrantTypes, req.RedirectURIs, req.IssuerURL)
	s.mu.Unlock()
	base := "http://" + c.r.Host
	out := map[string]any{
		"clientId":              cl.id,
		"clientSecret":          cl.secret,
		"clientIdIssuedAt":      cl.issued.Unix(),
		"clientSecretExpiresAt": cl.expires.Unix(),
	}
	if contains(req.GrantTypes, grantAuthCode) {
		out["authorizationEndpoint"] = base + "/authorize"
		out["tokenEndpoint"] = base + "/token"
	}
	return out, nil
}

// validScope is Identity Center's scope shape: sso:account:access,
// codewhisperer:completions, openid, ... (letters, digits, ":", "_", ".",
// "-", "/").
func validScope(sc string) bool {
	if sc == "" || len(sc) > 256 {
		return false
	}
	for _, r := range sc {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(":_.-/", r)) {
			return false
		}
	}
	return true
}

// loopbackRedirect reports whether u is a redirect URI Identity Center
// accepts for a public client: http on a loopback host (RFC 8252 7.3).
func loopbackRedirect(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "http" || p.User != nil || p.Fragment != "" {
		return false
	}
	host := p.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redirectRegistered reports whether the redirect URI of an authorization
// request matches one the client registered: the same scheme, host and path
// (and query); the port may differ, as RFC 8252 7.3 asks of loopback
// redirects, since the client picks a free port each time.
func (c *oidcClient) redirectRegistered(u string) bool {
	if !loopbackRedirect(u) {
		return false
	}
	got, _ := url.Parse(u)
	for _, r := range c.redirectURIs {
		want, err := url.Parse(r)
		if err == nil && want.Hostname() == got.Hostname() && want.Path == got.Path && want.RawQuery == got.RawQuery &&
			(want.Port() == "" || want.Port() == got.Port()) {
			return true
		}
	}
	return false
}

// registerClientLocked makes a client registration. Call with s.mu held.
func (s *Server) registerClientLocked(now time.Time, name string, scopes, grants, redirects []string, issuer string) *oidcClient {
	cl := &oidcClient{
		id:           randomString(base64.RawURLEncoding, 22),
		secret:       newToken("eyJ"),
		name:         name,
		scopes:       append([]string(nil), scopes...),
		grantTypes:   append([]string(nil), grants...),
		redirectURIs: append([]string(nil), redirects...),
		issuerURL:    issuer,
		issued:       now.Truncate(time.Second),
		expires:      now.Add(ssoClientLifetime).Truncate(time.Second),
	}
	s.sso.clients[cl.id] = cl
	return cl
}

// client checks a client id and secret. Call with s.mu held.
func (s *Server) client(now time.Time, id, secret string) (*oidcClient, *ssoError) {
	cl := s.sso.clients[id]
	if cl == nil || !hmac.Equal([]byte(cl.secret), []byte(secret)) || !now.Before(cl.expires) {
		return nil, invalidClient()
	}
	return cl, nil
}

type startDeviceAuthorizationRequest struct {
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	StartURL     string `json:"startUrl"`
}

func (s *Server) startDeviceAuthorization(c *jsonCall) (any, *ssoError) {
	var req startDeviceAuthorizationRequest
	if serr := decodeJSON(c.body, &req); serr != nil {
		return nil, serr
	}
	switch {
	case req.ClientID == "":
		return nil, invalidRequest("clientId is required")
	case req.ClientSecret == "":
		return nil, invalidRequest("clientSecret is required")
	case req.StartURL == "":
		return nil, invalidRequest("startUrl is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cl, serr := s.client(c.now, req.ClientID, req.ClientSecret)
	if serr != nil {
		return nil, serr
	}
	if !cl.allows(grantDeviceCode) {
		return nil, oidcErr(http.StatusBadRequest, "UnauthorizedClientException", "unauthorized_client", "Client is not authorized to use the device code grant")
	}
	if strings.TrimSuffix(req.StartURL, "/") != strings.TrimSuffix(s.sso.cfg.StartURL, "/") {
		return nil, invalidRequest(fmt.Sprintf("Invalid start url %s", req.StartURL))
	}
	d := &deviceAuth{
		deviceCode: newToken("dc"),
		userCode:   newUserCode(),
		clientID:   cl.id,
		expires:    c.now.Add(ssoCodeLifetime).Truncate(time.Second),
		status:     "pending",
	}
	for s.sso.byUser[d.userCode] != nil {
		d.userCode = newUserCode()
	}
	s.sso.devices[d.deviceCode] = d
	s.sso.byUser[d.userCode] = d
	verify := "http://" + c.r.Host + "/device"
	return map[string]any{
		"deviceCode":              d.deviceCode,
		"userCode":                d.userCode,
		"verificationUri":         verify,
		"verificationUriComplete": verify + "?user_code=" + url.QueryEscape(d.userCode),
		"expiresIn":               int64(ssoCodeLifetime / time.Second),
		"interval":                ssoDeviceInterval,
	}, nil
}

// newUserCode is eight letters as XXXX-XXXX, from an alphabet without
// letters that read alike.
func newUserCode() string {
	const alphabet = "BCDFGHJKLMNPQRSTVWXZ"
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	out := make([]byte, 0, 9)
	for i, v := range b {
		if i == 4 {
			out = append(out, '-')
		}
		out = append(out, alphabet[int(v)%len(alphabet)])
	}
	return string(out)
}

type createTokenRequest struct {
	ClientID     string   `json:"clientId"`
	ClientSecret string   `json:"clientSecret"`
	GrantType    string   `json:"grantType"`
	DeviceCode   string   `json:"deviceCode"`
	Code         string   `json:"code"`
	RefreshToken string   `json:"refreshToken"`
	Scope        []string `json:"scope"`
	RedirectURI  string   `json:"redirectUri"`
	CodeVerifier string   `json:"codeVerifier"`
}

func (s *Server) createToken(c *jsonCall) (any, *ssoError) {
	var req createTokenRequest
	if serr := decodeJSON(c.body, &req); serr != nil {
		return nil, serr
	}
	switch {
	case req.ClientID == "":
		return nil, invalidRequest("clientId is required")
	case req.ClientSecret == "":
		return nil, invalidRequest("clientSecret is required")
	case req.GrantType == "":
		return nil, invalidRequest("grantType is required")
	}
	c.log.Grant = req.GrantType
	s.mu.Lock()
	defer s.mu.Unlock()
	cl, serr := s.client(c.now, req.ClientID, req.ClientSecret)
	if serr != nil {
		return nil, serr
	}
	switch req.GrantType {
	case grantDeviceCode, grantAuthCode, grantRefresh:
	default:
		return nil, oidcErr(http.StatusBadRequest, "UnsupportedGrantTypeException", "unsupported_grant_type",
			fmt.Sprintf("Unsupported grant type %s", req.GrantType))
	}
	if !cl.allows(req.GrantType) {
		return nil, oidcErr(http.StatusBadRequest, "UnauthorizedClientException", "unauthorized_client",
			fmt.Sprintf("Client is not authorized to use the grant type %s", req.GrantType))
	}
	for _, sc := range req.Scope {
		if !contains(cl.scopes, sc) {
			return nil, oidcErr(http.StatusBadRequest, "InvalidScopeException", "invalid_scope", fmt.Sprintf("Invalid scope %s", sc))
		}
	}
	switch req.GrantType {
	case grantDeviceCode:
		return s.deviceCodeGrant(c, cl, req)
	case grantAuthCode:
		return s.authCodeGrant(c, cl, req)
	default:
		return s.refreshGrant(c, cl, req)
	}
}

// tokenResponse is CreateToken's answer.
func tokenResponse(now time.Time, access string, exp time.Time, refresh string) map[string]any {
	out := map[string]any{"accessToken": access, "tokenType": "Bearer", "expiresIn": int64(exp.Sub(now) / time.Second)}
	if refresh != "" {
		out["refreshToken"] = refresh
	}
	return out
}

// deviceCodeGrant: call with s.mu held.
func (s *Server) deviceCodeGrant(c *jsonCall, cl *oidcClient, req createTokenRequest) (any, *ssoError) {
	if req.DeviceCode == "" {
		return nil, invalidRequest("deviceCode is required")
	}
	d := s.sso.devices[req.DeviceCode]
	if d == nil || d.clientID != cl.id || d.status == "consumed" {
		return nil, invalidGrant("Invalid device code provided")
	}
	if !c.now.Before(d.expires) {
		return nil, oidcErr(http.StatusBadRequest, "ExpiredTokenException", "expired_token", "Device code has expired")
	}
	switch d.status {
	case "denied":
		return nil, oidcErr(http.StatusBadRequest, "AccessDeniedException", "access_denied", "Device authorization was denied")
	case "pending":
		last := d.lastPoll
		d.lastPoll = c.now
		if !last.IsZero() && c.now.Sub(last) < ssoDeviceInterval*time.Second {
			return nil, oidcErr(http.StatusBadRequest, "SlowDownException", "slow_down", "Client is polling too fast")
		}
		return nil, oidcErr(http.StatusBadRequest, "AuthorizationPendingException", "authorization_pending", "Authorization is still pending")
	}
	d.status = "consumed"
	c.log.Caller = d.user
	access, exp, refresh := s.signIn(c.now, d.user, cl.id, cl.scopes, cl.refreshable(), 0)
	return tokenResponse(c.now, access, exp, refresh), nil
}

// authCodeGrant: call with s.mu held.
func (s *Server) authCodeGrant(c *jsonCall, cl *oidcClient, req createTokenRequest) (any, *ssoError) {
	switch {
	case req.Code == "":
		return nil, invalidRequest("code is required")
	case req.RedirectURI == "":
		return nil, invalidRequest("redirectUri is required")
	case req.CodeVerifier == "":
		return nil, invalidRequest("codeVerifier is required")
	}
	ac := s.sso.codes[req.Code]
	if ac == nil || ac.clientID != cl.id {
		return nil, invalidGrant("Invalid authorization code provided")
	}
	if ac.used {
		// RFC 6749 4.1.2: a code presented twice revokes what it gave.
		if ac.session != nil {
			ac.session.ended = true
		}
		return nil, invalidGrant("Invalid authorization code provided")
	}
	ac.used = true
	switch {
	case !c.now.Before(ac.expires):
		return nil, invalidGrant("Authorization code has expired")
	case req.RedirectURI != ac.redirectURI:
		return nil, invalidGrant("Redirect uri does not match the authorization request")
	case !validVerifier(req.CodeVerifier):
		return nil, invalidGrant("Invalid code verifier")
	}
	sum := sha256.Sum256([]byte(req.CodeVerifier))
	if !hmac.Equal([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(ac.challenge)) {
		return nil, invalidGrant("Code verifier does not match the code challenge")
	}
	c.log.Caller = ac.user
	access, exp, refresh := s.signIn(c.now, ac.user, cl.id, cl.scopes, cl.refreshable(), 0)
	ac.session = s.sso.access[access].session
	return tokenResponse(c.now, access, exp, refresh), nil
}

// validVerifier is RFC 7636 4.1: 43 to 128 unreserved characters.
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r)) {
			return false
		}
	}
	return true
}

// refreshGrant rotates the refresh token: the one presented stops working.
// Call with s.mu held.
func (s *Server) refreshGrant(c *jsonCall, cl *oidcClient, req createTokenRequest) (any, *ssoError) {
	if req.RefreshToken == "" {
		return nil, invalidRequest("refreshToken is required")
	}
	rt := s.sso.refresh[req.RefreshToken]
	if rt == nil || rt.clientID != cl.id || rt.session.ended || !c.now.Before(rt.session.expires) {
		return nil, invalidGrant("Invalid refresh token provided")
	}
	delete(s.sso.refresh, req.RefreshToken)
	c.log.Caller = rt.session.user
	access, exp := s.newAccessToken(c.now, rt.session, true, 0)
	refresh := newToken("aor")
	s.sso.refresh[refresh] = &ssoRefreshToken{session: rt.session, clientID: cl.id, scopes: rt.scopes}
	return tokenResponse(c.now, access, exp, refresh), nil
}

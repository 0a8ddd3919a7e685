package awsemu

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is the emulator, an http.Handler. Make one with New; it is safe
// for concurrent use.
type Server struct {
	now     func() time.Time
	started time.Time
	// offset is the clock_offset_seconds fault in nanoseconds, atomic so
	// that clock needs no lock (it is called with mu held).
	offset atomic.Int64

	mu       sync.Mutex
	faults   Faults
	users    map[string]*userState // by user ARN
	roles    map[string]Role       // by role ARN
	oidc     []OIDCProvider
	github   *GitHubActions
	sso      *ssoState              // nil when the world has no sso
	console  *consoleState          // sign-in tokens and console sessions (federation.go)
	keys     map[string]*credential // by access key id, long-term and issued
	devices  map[string]*userState  // by MFA serial
	used     map[string]map[int64]bool
	stats    map[string]int
	requests []Request
	admitted []time.Time // requests let through in the last second, for throttle_tps
}

// Option configures a Server.
type Option func(*Server)

// WithClock makes the server read the time from now instead of time.Now:
// signature skew, TOTP steps, expirations, throttling windows and the Date
// header all follow it.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// Request is one entry of the request log: never a secret, a token or an MFA
// code. Caller is the ARN the request was authenticated as (empty when it
// was not); Code is the error code of a refusal.
type Request struct {
	Time        time.Time `json:"time"`
	Action      string    `json:"action"`
	Service     string    `json:"service,omitempty"`
	AccessKeyID string    `json:"access_key_id,omitempty"`
	Caller      string    `json:"caller,omitempty"`
	Status      int       `json:"status"`
	Code        string    `json:"code,omitempty"`
	// Role is what an AssumeRole or AssumeRoleWithWebIdentity asked for
	// (an addition to the brief's log shape), so tests can see what a
	// client sent that the emulator does not otherwise model: session tags,
	// source identity. nil for other actions.
	Role *RoleRequest `json:"role,omitempty"`
	// Grant is the grantType of an Identity Center CreateToken
	// ("refresh_token", "authorization_code",
	// "urn:ietf:params:oauth:grant-type:device_code"), so tests can count
	// refreshes apart from sign-ins. For the portal and OIDC calls Caller is
	// the Identity Center user's name.
	Grant string `json:"grant,omitempty"`
}

// RoleRequest is the parameters of one role request, as sent. ExternalID
// is recorded: AWS documents it as an identifier, not a secret.
type RoleRequest struct {
	RoleARN           string            `json:"role_arn"`
	RoleSessionName   string            `json:"role_session_name"`
	DurationSeconds   string            `json:"duration_seconds,omitempty"`
	ExternalID        string            `json:"external_id,omitempty"`
	SourceIdentity    string            `json:"source_identity,omitempty"`
	Tags              map[string]string `json:"tags,omitempty"`
	TransitiveTagKeys []string          `json:"transitive_tag_keys,omitempty"`
}

// roleRequest reads the role parameters of an AssumeRole-like call.
func roleRequest(p url.Values) *RoleRequest {
	rr := &RoleRequest{RoleARN: p.Get("RoleArn"), RoleSessionName: p.Get("RoleSessionName"), DurationSeconds: p.Get("DurationSeconds"),
		ExternalID: p.Get("ExternalId"), SourceIdentity: p.Get("SourceIdentity")}
	for i := 1; ; i++ {
		k, ok := p[fmt.Sprintf("Tags.member.%d.Key", i)]
		if !ok {
			break
		}
		if rr.Tags == nil {
			rr.Tags = map[string]string{}
		}
		rr.Tags[k[0]] = p.Get(fmt.Sprintf("Tags.member.%d.Value", i))
	}
	for i := 1; ; i++ {
		k := p.Get(fmt.Sprintf("TransitiveTagKeys.member.%d", i))
		if k == "" {
			break
		}
		rr.TransitiveTagKeys = append(rr.TransitiveTagKeys, k)
	}
	return rr
}

// maxRequests bounds the request log; the oldest entries go first.
const maxRequests = 10000

// userState is a user of the world plus what IAM calls changed.
type userState struct {
	User
	keyIDs  []string             // current access keys, in creation order
	created map[string]time.Time // key id → CreateDate
	totpKey []byte
}

// principal is who a credential acts as: an IAM user, or a session of a
// role.
type principal struct {
	account string
	user    *userState // nil for role sessions
	roleARN string
	role    string // role name
	session string
	// federated is the name of a GetFederationToken session (user nil,
	// no role): arn:aws:sts::ACCOUNT:federated-user/NAME.
	federated string
}

func (p principal) arn() string {
	if p.federated != "" {
		return "arn:aws:sts::" + p.account + ":federated-user/" + p.federated
	}
	if p.user != nil {
		return p.user.ARN()
	}
	return "arn:aws:sts::" + p.account + ":assumed-role/" + p.role + "/" + p.session
}

// userID is the UserId GetCallerIdentity returns: AIDA... for a user,
// AROA...:SESSION for a role session.
func (p principal) userID() string {
	if p.federated != "" {
		return p.account + ":" + p.federated // as GetCallerIdentity shows a federated user
	}
	if p.user != nil {
		return uniqueID("AIDA", p.user.ARN())
	}
	return uniqueID("AROA", p.roleARN) + ":" + p.session
}

// credential is an access key the server accepts: a user's long-term key
// (token empty) or one it issued.
type credential struct {
	secret    string
	token     string
	expires   time.Time
	principal principal
	// mfa is aws:MultiFactorAuthPresent for requests signed with it.
	mfa bool
	// fromSessionToken marks GetSessionToken credentials.
	fromSessionToken bool
	sourceIdentity   string
	// console is what the federation endpoint makes of the credential
	// (federation.go); consoleNone for long-term keys and GetSessionToken.
	console consoleKind
	// revoked models AWS's "revoke active sessions": an inline policy that
	// denies every action to credentials issued before a time (the
	// condition aws:TokenIssueTime). See Server.Revoke.
	revoked bool
	// usableFrom is when a key made by CreateAccessKey starts to work
	// (the new_key_delay_ms fault); lastUsed is what GetAccessKeyLastUsed
	// says of a long-term key. See iamkeys.go.
	usableFrom time.Time
	lastUsed   *keyUse
}

func (c *credential) temporary() bool { return c.token != "" }

// New returns an emulator serving w. The world is copied: later changes to w
// do not reach the server. New panics if w is invalid; use ParseWorld or
// World.Validate first.
func New(w *World, opts ...Option) *Server {
	if err := w.Validate(); err != nil {
		panic("awsemu: " + err.Error())
	}
	s := &Server{
		now:     time.Now,
		faults:  w.Faults,
		users:   map[string]*userState{},
		roles:   map[string]Role{},
		keys:    map[string]*credential{},
		devices: map[string]*userState{},
		console: newConsoleState(),
		used:    map[string]map[int64]bool{},
		stats:   map[string]int{},
	}
	for _, o := range opts {
		o(s)
	}
	s.offset.Store(w.Faults.clockOffset())
	s.started = s.clock()
	for _, u := range w.Users {
		us := &userState{User: u, created: map[string]time.Time{}}
		us.AccessKeys = nil // the live set is keyIDs and s.keys
		s.users[u.ARN()] = us
		for _, k := range u.AccessKeys {
			us.keyIDs = append(us.keyIDs, k.ID)
			us.created[k.ID] = k.created(s.started)
			s.keys[k.ID] = &credential{secret: k.Secret, principal: principal{account: u.Account, user: us}}
		}
		if u.MFA != nil {
			mfa := *u.MFA
			us.MFA = &mfa
			us.totpKey, _ = decodeTOTPSecret(mfa.TOTPSecret) // checked by Validate
			s.devices[mfa.Serial] = us
		}
	}
	for _, r := range w.Roles {
		r.Trust.Principals = append([]string(nil), r.Trust.Principals...)
		r.Trust.Subjects = append([]string(nil), r.Trust.Subjects...)
		s.roles[r.ARN] = r
	}
	s.oidc = append([]OIDCProvider(nil), w.OIDC...)
	if w.SSO != nil {
		s.sso = newSSOState(*w.SSO)
	}
	if g := w.GitHubActions; g != nil {
		gh := *g
		gh.Claims = map[string]any{}
		for k, v := range g.Claims {
			gh.Claims[k] = v
		}
		s.github = &gh
	}
	return s
}

// SetFaults replaces the faults in force.
func (s *Server) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	f.Actions = append([]string(nil), f.Actions...)
	s.mu.Lock()
	s.faults = f
	s.offset.Store(f.clockOffset())
	s.mu.Unlock()
	return nil
}

// clock is the server's time: its clock (see WithClock) moved by the
// clock_offset_seconds fault. Everything that reads the time reads it here.
func (s *Server) clock() time.Time {
	return s.now().Add(time.Duration(s.offset.Load()))
}

// Faults returns the faults in force.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults
	f.Actions = append([]string(nil), f.Actions...)
	return f
}

// Stats returns how many requests named each Action, refused or not.
func (s *Server) Stats() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.stats))
	for k, v := range s.stats {
		out[k] = v
	}
	return out
}

// Requests returns the request log, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// TOTP returns the code of the MFA device serial at the current time step,
// used or not.
func (s *Server) TOTP(serial string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.devices[serial]
	if !ok {
		return "", fmt.Errorf("no MFA device %q", serial)
	}
	return hotp(u.totpKey, totpCounter(s.clock())), nil
}

// FreshTOTP returns a code of the MFA device serial that the server would
// accept now: the current step's, or the next step's when the current one
// has been used. Both used is an error (advance the clock by 30 seconds).
func (s *Server) FreshTOTP(serial string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.devices[serial]
	if !ok {
		return "", fmt.Errorf("no MFA device %q", serial)
	}
	c := totpCounter(s.clock())
	for _, step := range []int64{c, c + 1} {
		if !s.used[serial][step] {
			return hotp(u.totpKey, step), nil
		}
	}
	return "", fmt.Errorf("MFA device %q: the current and next codes are both used; wait for the next 30-second step", serial)
}

// ServeHTTP answers the STS and IAM query APIs and, under /_emu/, the
// control endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.serveFederation(w, r) {
		return
	}
	if strings.HasPrefix(r.URL.Path, "/_emu/") {
		s.serveControl(w, r)
		return
	}
	if action, service, ok := ssoRoute(r); ok {
		s.serveSSO(w, r, action, service)
		return
	}
	if s.servePages(w, r) {
		return
	}
	s.serveAPI(w, r)
}

// call is one API request on its way through.
type call struct {
	r       *http.Request
	body    []byte
	params  url.Values
	action  string
	service string
	now     time.Time
	log     Request
}

// maxBody is far above any STS or IAM request kagi makes.
const maxBody = 1 << 20

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	c := &call{r: r, now: s.clock()}
	c.log.Time = c.now
	result, aerr := s.handle(r.Context(), c)
	requestID := newRequestID()
	ns := stsNamespace
	if c.service == "iam" {
		ns = iamNamespace
	}
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("X-Amzn-Requestid", requestID)
	// The Date header carries the emulator's clock, as AWS's carries its
	// own: SDKs that correct clock skew read it.
	h.Set("Date", s.clock().UTC().Format(http.TimeFormat))
	var body any
	status := http.StatusOK
	if aerr != nil {
		status = aerr.status
		er := errorResponse{XMLName: xml.Name{Space: ns, Local: "ErrorResponse"}, RequestID: requestID}
		er.Error.Type = "Sender"
		if aerr.status >= 500 {
			er.Error.Type = "Receiver"
		}
		er.Error.Code, er.Error.Message = aerr.code, aerr.message
		body = er
		c.log.Code = aerr.code
	} else {
		body = envelope{
			XMLName:  xml.Name{Space: ns, Local: c.action + "Response"},
			Result:   result,
			Metadata: responseMetadata{RequestID: requestID},
		}
	}
	out, err := xml.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		out = []byte("<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>emulator: cannot encode the response</Message></Error></ErrorResponse>")
		c.log.Code = "InternalFailure"
	}
	c.log.Status = status
	s.mu.Lock()
	if len(s.requests) >= maxRequests {
		s.requests = append(s.requests[:0], s.requests[1:]...)
	}
	s.requests = append(s.requests, c.log)
	s.mu.Unlock()
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

// handle reads the request, counts it, applies faults, authenticates it and
// runs its action.
func (s *Server) handle(ctx context.Context, c *call) (any, *apiError) {
	r := c.r
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		return nil, &apiError{status: http.StatusBadRequest, code: "MalformedInput", message: "Could not read the request body"}
	}
	c.body = body
	c.params = r.URL.Query()
	if r.Method == http.MethodPost {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, &apiError{status: http.StatusBadRequest, code: "MalformedQueryString", message: "The request body is not form-encoded"}
		}
		for k, v := range form {
			c.params[k] = append(c.params[k], v...)
		}
	}
	c.action = c.params.Get("Action")
	c.log.Action = c.action
	if c.action == "AssumeRole" || c.action == "AssumeRoleWithWebIdentity" {
		c.log.Role = roleRequest(c.params)
	}
	spec, known := actions(c.action)
	c.service = spec.service
	if !known {
		c.service = scopeService(r) // for the error's namespace
	}
	c.log.Service = c.service

	s.mu.Lock()
	if c.action != "" {
		s.stats[c.action]++
	}
	faults := s.faults
	s.mu.Unlock()

	if faults.appliesTo(c.action) {
		if aerr := s.injectFaults(ctx, c, faults); aerr != nil {
			return nil, aerr
		}
	}
	if c.action == "" {
		return nil, &apiError{status: http.StatusBadRequest, code: "MissingAction", message: "Missing Action"}
	}
	if !known || c.params.Get("Version") != spec.version {
		return nil, &apiError{status: http.StatusBadRequest, code: "InvalidAction",
			message: fmt.Sprintf("Could not find operation %s for version %s", c.action, c.params.Get("Version"))}
	}
	var caller *credential
	if !spec.unsigned {
		cred, aerr := s.authenticate(ctx, c)
		if aerr != nil {
			return nil, aerr
		}
		if aerr := s.noteKeyUse(c, cred); aerr != nil {
			return nil, aerr
		}
		caller = cred
		c.log.Caller = cred.principal.arn()
		s.mu.Lock()
		revoked := cred.revoked
		s.mu.Unlock()
		// GetCallerIdentity needs no permission, so no deny reaches it.
		// https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
		if revoked && c.action != "GetCallerIdentity" {
			on := ""
			if role := c.params.Get("RoleArn"); role != "" {
				on = " on resource: " + role
			}
			return nil, accessDenied(fmt.Sprintf("User: %s is not authorized to perform: %s:%s%s with an explicit deny in an identity-based policy",
				cred.principal.arn(), c.service, c.action, on))
		}
		if aerr := federatedLimits(c, cred); aerr != nil {
			return nil, aerr
		}
	}
	return spec.run(s, c, caller)
}

// federatedLimits: GetFederationToken credentials "cannot call any IAM
// operations using the AWS CLI or the AWS API" and "cannot call any AWS
// STS operations except GetCallerIdentity" (STS API reference,
// GetFederationToken). IAM answers as it does for a token it does not
// know (AWS support, jantman/awslimitchecker#139); STS denies.
// GetSessionToken and GetFederationToken refuse every session credential
// with their own message.
func federatedLimits(c *call, cred *credential) *apiError {
	switch {
	case cred.principal.federated == "":
		return nil
	case c.action == "GetCallerIdentity", c.action == "GetSessionToken", c.action == "GetFederationToken":
		return nil
	}
	if c.service == "iam" {
		return invalidClientTokenID()
	}
	return accessDenied(fmt.Sprintf("User: %s is not authorized to perform: sts:%s", cred.principal.arn(), c.action))
}

// injectFaults applies latency, then throttling, then the error rate.
func (s *Server) injectFaults(ctx context.Context, c *call, f Faults) *apiError {
	if f.LatencyMS > 0 {
		t := time.NewTimer(time.Duration(f.LatencyMS) * time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return &apiError{status: http.StatusServiceUnavailable, code: "ServiceUnavailable", message: "Request cancelled"}
		}
	}
	if f.ThrottleTPS > 0 {
		s.mu.Lock()
		cut := c.now.Add(-time.Second)
		kept := s.admitted[:0]
		for _, t := range s.admitted {
			if t.After(cut) {
				kept = append(kept, t)
			}
		}
		s.admitted = kept
		throttled := float64(len(kept)) >= f.ThrottleTPS
		if !throttled {
			s.admitted = append(s.admitted, c.now)
		}
		s.mu.Unlock()
		if throttled {
			return &apiError{status: http.StatusBadRequest, code: "Throttling", message: "Rate exceeded"}
		}
	}
	if f.ErrorRate > 0 && mrand.Float64() < f.ErrorRate {
		return &apiError{status: http.StatusInternalServerError, code: "InternalFailure",
			message: "The request processing has failed because of an unknown error, exception or failure."}
	}
	return nil
}

// actionSpec says where an action belongs and how to run it.
type actionSpec struct {
	service  string
	version  string
	unsigned bool
	run      func(s *Server, c *call, caller *credential) (any, *apiError)
}

func actions(action string) (actionSpec, bool) {
	sts := func(run func(*Server, *call, *credential) (any, *apiError)) actionSpec {
		return actionSpec{service: "sts", version: stsVersion, run: run}
	}
	iam := func(run func(*Server, *call, *credential) (any, *apiError)) actionSpec {
		return actionSpec{service: "iam", version: iamVersion, run: run}
	}
	switch action {
	case "GetCallerIdentity":
		return sts((*Server).getCallerIdentity), true
	case "GetSessionToken":
		return sts((*Server).getSessionToken), true
	case "GetFederationToken":
		return sts((*Server).getFederationToken), true
	case "AssumeRole":
		return sts((*Server).assumeRole), true
	case "AssumeRoleWithWebIdentity":
		spec := sts((*Server).assumeRoleWithWebIdentity)
		spec.unsigned = true
		return spec, true
	case "GetUser":
		return iam((*Server).getUser), true
	case "ListMFADevices":
		return iam((*Server).listMFADevices), true
	case "ListAccessKeys":
		return iam((*Server).listAccessKeys), true
	case "CreateAccessKey":
		return iam((*Server).createAccessKey), true
	case "DeleteAccessKey":
		return iam((*Server).deleteAccessKey), true
	case "GetAccessKeyLastUsed":
		return iam((*Server).getAccessKeyLastUsed), true
	}
	return actionSpec{}, false
}

// scopeService is the service of the Authorization header's credential
// scope, or "".
func scopeService(r *http.Request) string {
	a, err := parseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return ""
	}
	return a.service
}

// randomString returns n characters of enc's alphabet from crypto/rand.
func randomString(enc *base64.Encoding, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return enc.EncodeToString(b)[:n]
}

// newKeyID returns an access key id: prefix (AKIA, ASIA) and 16 characters
// of A-Z2-7, as AWS's look.
func newKeyID(prefix string) string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return prefix + base32.StdEncoding.EncodeToString(b)[:16]
}

func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// uniqueID derives a stable IAM unique id (AIDA..., AROA...) from an ARN.
func uniqueID(prefix, arn string) string {
	sum := sha256Sum([]byte(arn))
	return prefix + base32.StdEncoding.EncodeToString(sum[:])[:17]
}

// Ways Revoke can end the temporary credentials of a principal.
const (
	// RevokeDeny is how AWS revokes sessions ("Revoke active sessions" on a
	// role, or the same policy attached to a user): every request signed
	// with credentials issued before now is refused with AccessDenied and
	// "explicit deny", except GetCallerIdentity, which needs no permission.
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html
	RevokeDeny = "deny"
	// RevokeForget makes STS forget the credentials, so that requests
	// signed with them are refused with InvalidClientTokenId, as for a
	// token STS does not recognise.
	RevokeForget = "forget"
)

// Revoke ends the temporary credentials issued so far to arn: an IAM
// user's ARN for its GetSessionToken sessions, a role's ARN for every
// session of the role. Long-term keys are not touched, nor credentials
// issued later. It returns how many credentials it ended.
//
// Deleting an access key (IAM DeleteAccessKey) does not do this: in AWS
// temporary credentials stay valid until they expire whatever becomes of
// the key that made them.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access.html
func (s *Server) Revoke(arn, how string) (int, error) {
	if how != RevokeDeny && how != RevokeForget {
		return 0, fmt.Errorf("revoke: unknown way %q (want %q or %q)", how, RevokeDeny, RevokeForget)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, c := range s.keys {
		if !c.temporary() {
			continue
		}
		p := c.principal
		if p.roleARN != arn && (p.user == nil || p.user.ARN() != arn) {
			continue
		}
		if how == RevokeForget {
			delete(s.keys, id)
		} else {
			c.revoked = true
		}
		n++
	}
	return n, nil
}

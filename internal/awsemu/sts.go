package awsemu

import (
	"crypto/hmac"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Limits from the STS API reference.
const (
	sessionTokenMin     = 900
	sessionTokenMax     = 129600 // 36 hours, for IAM users
	sessionTokenDefault = 43200
	assumeRoleMin       = 900
	assumeRoleDefault   = 3600
	assumeRoleCeiling   = 43200 // what the API accepts before looking at the role
	roleChainingMax     = 3600
	defaultRoleMax      = 3600
)

const (
	msgMFAInvalidCode = "MultiFactorAuthentication failed with invalid MFA one time pass code."
	msgMFAUnknown     = "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user."
	msgRoleChaining   = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
	msgRoleMaxSession = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
)

func (s *Server) getCallerIdentity(c *call, caller *credential) (any, *apiError) {
	p := caller.principal
	return getCallerIdentityResult{Arn: p.arn(), UserID: p.userID(), Account: p.account}, nil
}

func (s *Server) getSessionToken(c *call, caller *credential) (any, *apiError) {
	if caller.temporary() {
		return nil, accessDenied("Cannot call GetSessionToken with session credentials")
	}
	dur, aerr := durationParam(c.params, sessionTokenMin, sessionTokenMax, sessionTokenDefault)
	if aerr != nil {
		return nil, aerr
	}
	serial, code := c.params.Get("SerialNumber"), c.params.Get("TokenCode")
	mfa := serial != "" || code != ""
	if mfa {
		if aerr := s.checkMFA(caller.principal, serial, code, c.now); aerr != nil {
			return nil, aerr
		}
	}
	id, cred := s.issue(c.now, dur, credential{principal: caller.principal, mfa: mfa, fromSessionToken: true})
	return getSessionTokenResult{Credentials: credXML(id, cred)}, nil
}

func (s *Server) assumeRole(c *call, caller *credential) (any, *apiError) {
	roleARN, session := c.params.Get("RoleArn"), c.params.Get("RoleSessionName")
	if aerr := checkRoleParams(roleARN, session); aerr != nil {
		return nil, aerr
	}
	dur, aerr := durationParam(c.params, assumeRoleMin, assumeRoleCeiling, assumeRoleDefault)
	if aerr != nil {
		return nil, aerr
	}
	denied := accessDenied(fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.principal.arn(), roleARN))

	// An MFA code in the call is checked (and spent) before the trust
	// policy is evaluated, as it is part of authenticating the caller.
	mfa := caller.mfa
	if serial, code := c.params.Get("SerialNumber"), c.params.Get("TokenCode"); serial != "" || code != "" {
		if aerr := s.checkMFA(caller.principal, serial, code, c.now); aerr != nil {
			return nil, aerr
		}
		mfa = true
	}

	s.mu.Lock()
	role, ok := s.roles[roleARN]
	s.mu.Unlock()
	if !ok || !admits(role.Trust.Principals, caller.principal) {
		return nil, denied
	}
	t := role.Trust
	if t.ExternalID != "" && !hmac.Equal([]byte(c.params.Get("ExternalId")), []byte(t.ExternalID)) {
		return nil, denied
	}
	if t.SessionName != "" {
		want, ok := expandSessionName(t.SessionName, caller.principal)
		if !ok || session != want {
			return nil, denied
		}
	}
	if t.RequireMFA && !mfa {
		return nil, denied
	}
	// Role chaining: a role session assuming a role is capped at one hour
	// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-role-chaining).
	if caller.principal.user == nil && dur > roleChainingMax*time.Second {
		return nil, validationError(msgRoleChaining)
	}
	if dur > roleMax(role) {
		return nil, validationError(msgRoleMaxSession)
	}

	account, name, _ := parseRoleARN(roleARN) // checked by Validate
	p := principal{account: account, roleARN: roleARN, role: name, session: session}
	source := caller.sourceIdentity
	if source == "" {
		source = c.params.Get("SourceIdentity")
	}
	id, cred := s.issue(c.now, dur, credential{principal: p, mfa: mfa, sourceIdentity: source, console: roleConsole(caller)})
	return assumeRoleResult{
		SourceIdentity:  source,
		AssumedRoleUser: assumedRoleUserXML{Arn: p.arn(), AssumedRoleID: p.userID()},
		Credentials:     credXML(id, cred),
	}, nil
}

func (s *Server) assumeRoleWithWebIdentity(c *call, _ *credential) (any, *apiError) {
	roleARN, session, token := c.params.Get("RoleArn"), c.params.Get("RoleSessionName"), c.params.Get("WebIdentityToken")
	if aerr := checkRoleParams(roleARN, session); aerr != nil {
		return nil, aerr
	}
	if len(token) < 4 {
		return nil, validationError(fmt.Sprintf("1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4"))
	}
	dur, aerr := durationParam(c.params, assumeRoleMin, assumeRoleCeiling, assumeRoleDefault)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	providers := s.oidc
	role, ok := s.roles[roleARN]
	s.mu.Unlock()
	wi, aerr := verifyToken(token, providers, c.now)
	if aerr != nil {
		return nil, aerr
	}
	account, name, _ := parseRoleARN(roleARN)
	c.log.Caller = wi.provider.ProviderARN(account)
	denied := accessDenied("Not authorized to perform sts:AssumeRoleWithWebIdentity")
	if !ok || !contains(role.Trust.Principals, wi.provider.ProviderARN(account)) || !subjectAllowed(role.Trust.Subjects, wi.subject) {
		return nil, denied
	}
	// A web identity carries no MFA, external id or IAM user name, so trust
	// conditions on them cannot hold.
	t := role.Trust
	if t.RequireMFA || t.ExternalID != "" {
		return nil, denied
	}
	if t.SessionName != "" {
		if want, ok := expandSessionName(t.SessionName, principal{}); !ok || session != want {
			return nil, denied
		}
	}
	if dur > roleMax(role) {
		return nil, validationError(msgRoleMaxSession)
	}
	p := principal{account: account, roleARN: roleARN, role: name, session: session}
	id, cred := s.issue(c.now, dur, credential{principal: p, console: consoleRole})
	return assumeRoleWithWebIdentityResult{
		SubjectFromWebIdentityToken: wi.subject,
		Audience:                    wi.audience,
		AssumedRoleUser:             assumedRoleUserXML{Arn: p.arn(), AssumedRoleID: p.userID()},
		Credentials:                 credXML(id, cred),
		Provider:                    wi.provider.Issuer,
	}, nil
}

// checkMFA checks code against the MFA device serial of the caller: RFC 6238
// with one step of tolerance either side, each step's code good once.
func (s *Server) checkMFA(p principal, serial, code string, now time.Time) *apiError {
	if serial == "" {
		return validationError("1 validation error detected: Value null at 'serialNumber' failed to satisfy constraint: Member must not be null")
	}
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return validationError(fmt.Sprintf("1 validation error detected: Value at 'tokenCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\d]* and have length 6"))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.devices[serial]
	if u == nil || p.user != u {
		return accessDenied(msgMFAUnknown)
	}
	c := totpCounter(now)
	for _, step := range []int64{c - 1, c, c + 1} {
		if s.used[serial][step] || !hmac.Equal([]byte(hotp(u.totpKey, step)), []byte(code)) {
			continue
		}
		if s.used[serial] == nil {
			s.used[serial] = map[int64]bool{}
		}
		s.used[serial][step] = true
		// Forget steps that can no longer be presented.
		for old := range s.used[serial] {
			if old < c-1 {
				delete(s.used[serial], old)
			}
		}
		return nil
	}
	return accessDenied(msgMFAInvalidCode)
}

// issue makes and remembers a temporary credential from tmpl, valid for d
// (or the lifetime fault, when set) from now.
func (s *Server) issue(now time.Time, d time.Duration, tmpl credential) (string, *credential) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := s.faults.CredentialLifetimeSeconds; l > 0 {
		d = time.Duration(l) * time.Second
	}
	cred := tmpl
	cred.secret = randomString(base64.RawStdEncoding, 40)
	cred.token = randomString(base64.RawStdEncoding, 256)
	// AWS's Expiration has whole seconds; so that a client may trust it to
	// the second, the credential expires exactly then.
	cred.expires = now.Add(d).Truncate(time.Second)
	id := newKeyID("ASIA")
	for s.keys[id] != nil {
		id = newKeyID("ASIA")
	}
	s.keys[id] = &cred
	return id, &cred
}

func credXML(id string, c *credential) credentialsXML {
	return credentialsXML{AccessKeyID: id, SecretAccessKey: c.secret, SessionToken: c.token, Expiration: awsTime(c.expires)}
}

// admits reports whether a trust policy's principals include p.
func admits(principals []string, p principal) bool {
	for _, pr := range principals {
		switch {
		case pr == "*",
			pr == "arn:aws:iam::"+p.account+":root",
			p.user != nil && pr == p.user.ARN(),
			p.user == nil && (pr == p.roleARN || pr == p.arn()):
			return true
		}
	}
	return false
}

// expandSessionName resolves the trust's required session name for p;
// "${aws:username}" has no value for a role session.
func expandSessionName(rule string, p principal) (string, bool) {
	if !strings.Contains(rule, "${aws:username}") {
		return rule, true
	}
	if p.user == nil {
		return "", false
	}
	return strings.ReplaceAll(rule, "${aws:username}", p.user.Name), true
}

func roleMax(r Role) time.Duration {
	if r.MaxSessionDuration == 0 {
		return defaultRoleMax * time.Second
	}
	return time.Duration(r.MaxSessionDuration) * time.Second
}

// checkRoleParams validates RoleArn and RoleSessionName as the STS API
// does before it looks at any role.
func checkRoleParams(roleARN, session string) *apiError {
	switch {
	case roleARN == "":
		return validationError("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	case len(roleARN) < 20 || len(roleARN) > 2048:
		return validationError(fmt.Sprintf("1 validation error detected: Value '%s' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20", roleARN))
	case session == "":
		return validationError("1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null")
	case len(session) < 2:
		return validationError(fmt.Sprintf("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2", session))
	case len(session) > 64:
		return validationError(fmt.Sprintf("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64", session))
	case !validSessionName(session):
		return validationError(fmt.Sprintf("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", session))
	}
	return nil
}

// validSessionName is the pattern [\w+=,.@-]*.
func validSessionName(s string) bool {
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.ContainsRune("_+=,.@-", c):
		default:
			return false
		}
	}
	return true
}

// durationParam reads DurationSeconds: def when absent, else an integer in
// [min, max].
func durationParam(p url.Values, min, max, def int) (time.Duration, *apiError) {
	v := p.Get("DurationSeconds")
	if v == "" {
		return time.Duration(def) * time.Second, nil
	}
	n, err := strconv.Atoi(v)
	switch {
	case err != nil:
		return 0, &apiError{status: http.StatusBadRequest, code: "ValidationError",
			message: fmt.Sprintf("Value '%s' for parameter DurationSeconds is invalid. Must be an integer.", v)}
	case n < min:
		return 0, validationError(fmt.Sprintf("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to %d", n, min))
	case n > max:
		return 0, validationError(fmt.Sprintf("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to %d", n, max))
	}
	return time.Duration(n) * time.Second, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

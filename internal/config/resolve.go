package config

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Request is what the user asked for: a profile (or none) and the flags of
// exec/export. Zero values mean "not set".
type Request struct {
	// Profile is the profile to resolve. "" means AWS_PROFILE, then
	// AWS_DEFAULT_PROFILE, and with neither, environment mode: credentials
	// from the environment, a role from --role-arn or AWS_ROLE_ARN.
	Profile string
	Env     Env

	Region, RoleARN, SessionName, ExternalID, MFASerial string
	Duration                                            time.Duration
	// NoSession skips GetSessionToken: the MFA code goes to the first
	// AssumeRole instead, and a profile that assumes no role yields its
	// long-term keys as they are.
	NoSession bool
	// Tags (--session-tag) are added to the final role's session tags,
	// replacing a profile's value for the same key; TransitiveTags
	// (--transitive-tag) are added to its transitive keys.
	Tags           map[string]string
	TransitiveTags []string
	SourceIdentity string // --source-identity, for the final role
	// OIDC names an identity provider to fetch a web identity token from
	// (environment mode only): OIDCGitHub.
	OIDC string
}

// OIDCGitHub is --oidc github: the token comes from GitHub Actions' OIDC
// endpoint (ACTIONS_ID_TOKEN_REQUEST_URL, ACTIONS_ID_TOKEN_REQUEST_TOKEN),
// for the audience sts.amazonaws.com.
const OIDCGitHub = "github"

// UsernameSessionName as a role_session_name (or --session-name) means the
// caller's IAM user name, looked up at run time; organisations require it
// with sts:RoleSessionName = ${aws:username} in trust policies.
const UsernameSessionName = "${aws:username}"

// Chain is what a profile resolves to: credentials from Source, then an MFA
// session when there is one, then each of Roles in turn.
type Chain struct {
	Profile string // the profile asked for; "" in environment mode
	Region  string // "" when none is configured
	Source  Source
	MFA     *MFASession // the session step (with or without MFA); nil when there is none
	Roles   []RoleHop   // in the order assumed; empty: the source (or MFA session) is the result
	// STSEndpoint is a custom STS endpoint URL, "" for AWS's own.
	STSEndpoint string
	// SSOEndpoint is a custom IAM Identity Center portal endpoint URL for
	// an SSO source, "" for AWS's own (portal.sso.REGION.amazonaws.com).
	SSOEndpoint string
	// STSRegionalEndpoints is "regional", "legacy" or "" (SDK default).
	STSRegionalEndpoints string
	// SettingsOnly: the profile has settings and none about credentials
	// (no keys, role, source, helper, IAM Identity Center or MFA setting;
	// only region, output, endpoints and the like), so its chain is
	// keyring keys only by default. Without stored keys it is a settings
	// profile (a [default] with a region, aws-vault's profiles), not a
	// profile missing its keys.
	SettingsOnly bool
	Reasons      []Reason // why each step was chosen, in order
	// Profiles are every profile whose settings were read (through
	// source_profile and include_profile too), sorted: the warnings a
	// command prints are theirs (Files.WarningsFor).
	Profiles []string
}

// SourceKind is where the first credentials of a chain come from.
type SourceKind int

const (
	// KeyringKeys are long-term keys stored by `kagi add` under Source.Profile.
	KeyringKeys SourceKind = iota + 1
	// SharedKeys are aws_access_key_id/aws_secret_access_key in the
	// credentials (or config) file; temporary when Source.Temporary.
	SharedKeys
	// Environment is AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY(/AWS_SESSION_TOKEN).
	Environment
	// WebIdentity is a token file exchanged for Roles[0] with AssumeRoleWithWebIdentity.
	WebIdentity
	// Process is credential_process.
	Process
	// InstanceMetadata is credential_source = Ec2InstanceMetadata.
	InstanceMetadata
	// ContainerMetadata is credential_source = EcsContainer.
	ContainerMetadata
	// SSO is IAM Identity Center: GetRoleCredentials of Source.SSORoleName
	// in Source.SSOAccountID with an access token for Source.SSO.
	SSO
)

// String is the short name `kagi list` shows.
func (k SourceKind) String() string {
	switch k {
	case KeyringKeys:
		return "keyring"
	case SharedKeys:
		return "file"
	case Environment:
		return "env"
	case WebIdentity:
		return "web-identity"
	case Process:
		return "process"
	case InstanceMetadata:
		return "ec2"
	case ContainerMetadata:
		return "ecs"
	case SSO:
		return "sso"
	}
	return "unknown"
}

// Source is the start of a chain.
type Source struct {
	Kind SourceKind
	// Profile whose keys (KeyringKeys, SharedKeys) or settings are used;
	// "" in environment mode.
	Profile              string
	CredentialProcess    string // Process
	WebIdentityTokenFile string // WebIdentity; the role is Roles[0]
	// WebIdentityTokenProcess is aws-vault's web_identity_token_process: a
	// command whose stdout is the token (WebIdentity, instead of the file).
	WebIdentityTokenProcess string
	// OIDC is the identity provider the token is fetched from (OIDCGitHub)
	// for a WebIdentity source with neither file nor process.
	OIDC string
	// Temporary is set for SharedKeys with an aws_session_token.
	Temporary bool
	// SSO is where an SSO source signs in; SSOAccountID and SSORoleName
	// are the account and permission set (role) it gets credentials for.
	SSO          *SSOSession
	SSOAccountID string
	SSORoleName  string
	File         string // where the deciding setting is, when in a file
	Line         int
}

// LongTerm reports whether the source is an IAM user's long-term keys, the
// only credentials GetSessionToken accepts.
func (s Source) LongTerm() bool {
	return s.Kind == KeyringKeys || s.Kind == SharedKeys && !s.Temporary
}

// MFASession is one GetSessionToken, cached and reused by every role hop
// after it: with an MFA code when Serial is set, and without one for a
// profile whose long-term keys assume no role, so that those keys are never
// what kagi hands out (aws-vault's rule).
type MFASession struct {
	Serial   string        // "": GetSessionToken without MFA
	Duration time.Duration // mfa_session_duration, default 12h
	Process  string        // mfa_process: a command whose stdout is the code
	// ProcessProfile is where mfa_process was found, for its errors.
	ProcessProfile string
	Profile        string // where mfa_serial was found ("" for --mfa-serial)
}

// RoleHop is one AssumeRole (or AssumeRoleWithWebIdentity for Roles[0] of a
// WebIdentity source).
type RoleHop struct {
	Profile, RoleARN, SessionName, ExternalID, SourceIdentity string
	// SessionNameIsUsername: the session name is the caller's IAM user name.
	SessionNameIsUsername bool
	Duration              time.Duration // 0 = STS default (1h)
	// MFASerial is set when the MFA code must be passed to this AssumeRole
	// itself (--no-session, or a source that cannot get an MFA session).
	MFASerial  string
	MFAProcess string
	// MFAProcessProfile is where mfa_process was found, for its errors.
	MFAProcessProfile string
	Tags              map[string]string
	TransitiveTags    []string
	Chained           bool // the caller is itself a role: STS caps the session at 1h
	File              string
	Line              int
}

// Reason records why a step of the chain was chosen, for --debug.
type Reason struct {
	Step    string // "profile", "include", "source", "mfa", "session", "role", "region", "endpoint", "ignored"
	Profile string
	Why     string
	File    string
	Line    int
}

func (r Reason) String() string {
	s := r.Step + ": "
	if r.Profile != "" {
		s += fmt.Sprintf("profile %q: ", r.Profile)
	}
	s += r.Why
	if r.File != "" {
		s += fmt.Sprintf(" (%s:%d)", r.File, r.Line)
	}
	return s
}

// setting is one value of a profile's merged view and where it came from.
type setting struct {
	value   string
	file    string
	line    int
	profile string // the profile whose section holds it (differs via include_profile)
	key     *Key
}

func (s setting) set() bool { return s.value != "" }

// view is a profile's settings: its own sections (credentials file first,
// as the SDKs read them), then whatever its include_profile chain adds.
type view struct {
	name string
	keys map[string]setting
}

func (v *view) get(key string) setting { return v.keys[key] }

type resolver struct {
	fs      *Files
	req     Request
	env     Env
	views   map[string]*view
	lent    map[string]map[string]setting // what each profile lends through include_profile
	reasons []Reason
}

func (r *resolver) note(step, profile, why string, at setting) {
	r.reasons = append(r.reasons, Reason{Step: step, Profile: profile, Why: why, File: at.file, Line: at.line})
}

func (r *resolver) errAt(at setting, profile, key, problem, next string) *SettingError {
	value := at.value
	switch key {
	case "credential_process", "web_identity_token_process", "mfa_process":
		// A helper's command line can hold a secret (oathtool --totp -b
		// SEED): the file and line name it instead.
		value = ""
	}
	return &SettingError{File: at.file, Line: at.line, Profile: profile, Key: key, Value: value, Problem: problem, NextStep: next}
}

// Resolve decides the chain for req. It reads nothing but fs and req.Env.
func Resolve(fs *Files, req Request) (*Chain, error) {
	if fs == nil {
		fs = &Files{}
	}
	r := &resolver{fs: fs, req: req, env: req.Env, views: map[string]*view{}, lent: map[string]map[string]setting{}}
	name, from := req.Profile, ""
	switch {
	case name != "":
	case r.env.get("AWS_PROFILE") != "":
		name, from = r.env.get("AWS_PROFILE"), "AWS_PROFILE"
		r.note("profile", name, "named by AWS_PROFILE", setting{})
	case r.env.get("AWS_DEFAULT_PROFILE") != "":
		name, from = r.env.get("AWS_DEFAULT_PROFILE"), "AWS_DEFAULT_PROFILE"
		r.note("profile", name, "named by AWS_DEFAULT_PROFILE", setting{})
	}
	var (
		c   *Chain
		err error
	)
	if name == "" {
		c, err = r.environmentMode()
	} else {
		c, err = r.profileMode(name)
	}
	if unk, ok := err.(*UnknownProfileError); ok && unk.Name == name {
		unk.From = from
	}
	if err != nil {
		return nil, err
	}
	c.Reasons = r.reasons
	for n := range r.views {
		c.Profiles = append(c.Profiles, n)
	}
	for n := range r.lent {
		if r.views[n] == nil {
			c.Profiles = append(c.Profiles, n)
		}
	}
	sort.Strings(c.Profiles)
	return c, nil
}

// own returns the keys of name's own sections: credentials file, then config.
func (r *resolver) ownSections(name string) []*Section {
	var out []*Section
	if s := r.fs.Credentials.Profile(name); s != nil {
		out = append(out, s)
	}
	if s := r.fs.Config.Profile(name); s != nil {
		out = append(out, s)
	}
	return out
}

func (r *resolver) fileOf(s *Section) string {
	if r.fs.Credentials != nil && r.fs.Credentials.Profile(s.Name) == s {
		return r.fs.Credentials.Path
	}
	return r.fs.Config.Path
}

// isKeyMaterial: keys identify a profile's own credentials; include_profile
// does not carry them, so a template never lends its keys to the profiles
// that include it.
func isKeyMaterial(k string) bool {
	return k == "aws_access_key_id" || k == "aws_secret_access_key" || k == "aws_session_token" || k == "aws_security_token"
}

// SettingsProfiles are the profiles among chains (nil entries skipped)
// that are settings profiles: SettingsOnly, no keys stored for them
// (stored), and no other chain starting from their keys. Such a profile
// is not a profile missing its keys: doctor does not blame it, and the
// picker does not offer it. Used as another profile's source it does need
// keys, and is not one.
func SettingsProfiles(chains []*Chain, stored func(profile string) bool) map[string]bool {
	usedAsSource := map[string]bool{}
	for _, c := range chains {
		if c != nil && c.Source.Kind == KeyringKeys && c.Source.Profile != c.Profile {
			usedAsSource[c.Source.Profile] = true
		}
	}
	out := map[string]bool{}
	for _, c := range chains {
		if c != nil && c.SettingsOnly && !stored(c.Profile) && !usedAsSource[c.Profile] {
			out[c.Profile] = true
		}
	}
	return out
}

// onlySettings reports whether v holds settings and none of them is about
// credentials (where they come from, a role to assume, how a session is
// made): only region, output, cli_pager, endpoint_url, services, retry
// and S3 settings, which are for the tools, not for kagi's chain. An empty
// section is not one: it names a profile and nothing else, and what it can
// be for is the keys `kagi add` stores.
func onlySettings(v *view) bool {
	n := 0
	for k, at := range v.keys {
		if !at.set() {
			continue
		}
		n++
		switch {
		case isKeyMaterial(k), strings.HasPrefix(k, "sso_"), strings.HasPrefix(k, "mfa_"):
			return false
		}
		switch k {
		case "role_arn", "source_profile", "credential_source", "credential_process",
			"web_identity_token_file", "web_identity_token_process",
			"role_session_name", "external_id", "duration_seconds",
			"session_tags", "transitive_session_tags", "source_identity":
			return false
		}
	}
	return n > 0
}

// view builds (once per Resolve) the merged settings of name. include_profile
// is aws-vault's: the included profile's config-file keys fill in what the
// including profile does not set, recursively. It is a textual merge, not a
// hop; a loop is an error.
func (r *resolver) view(name string) (*view, error) {
	if v := r.views[name]; v != nil {
		return v, nil
	}
	v := &view{name: name, keys: map[string]setting{}}
	for _, s := range r.ownSections(name) {
		if s.Err != nil {
			return nil, s.Err
		}
		file := r.fileOf(s)
		for _, k := range s.Keys {
			if _, ok := v.keys[k.Name]; !ok {
				v.keys[k.Name] = setting{value: k.Value, file: file, line: k.Line, profile: s.Name, key: k}
			}
		}
	}
	if inc := v.get("include_profile"); inc.set() {
		lent, err := r.included(name, inc)
		if err != nil {
			return nil, err
		}
		for k, at := range lent {
			if _, ok := v.keys[k]; !ok {
				v.keys[k] = at
			}
		}
		r.note("include", name, fmt.Sprintf("settings not set here come from profile %q", inc.value), inc)
	}
	r.views[name] = v
	return v, nil
}

// included returns what include_profile inc (set in profile origin) lends:
// the included profile's config-file keys, then, where those are silent,
// what its own include_profile lends, and so on. Each profile's share is
// computed once per Resolve, so a long chain costs one pass; a loop is
// found with a visited set on the way down.
func (r *resolver) included(origin string, inc setting) (map[string]setting, error) {
	visited := map[string]int{origin: 0}
	path := []string{origin}
	var (
		stack []*Section
		base  map[string]setting
	)
	for inc.set() {
		next := inc.value
		if m, ok := r.lent[next]; ok {
			base = m
			break
		}
		if i, seen := visited[next]; seen {
			return nil, &CycleError{Path: append(append([]string{}, path[i:]...), next), Via: "include_profile", File: inc.file, Line: inc.line}
		}
		s := r.fs.Config.Profile(next)
		if s == nil {
			return nil, &SettingError{File: inc.file, Line: inc.line, Profile: inc.profile, Key: "include_profile", Value: next,
				Problem: "no such profile in the config file", Err: r.unknown(next)}
		}
		if s.Err != nil {
			return nil, s.Err
		}
		visited[next] = len(path)
		path = append(path, next)
		stack = append(stack, s)
		inc = setting{}
		if k := s.Key("include_profile"); k != nil {
			inc = setting{value: k.Value, file: r.fs.Config.Path, line: k.Line, profile: next, key: k}
		}
	}
	for i := len(stack) - 1; i >= 0; i-- {
		s := stack[i]
		m := make(map[string]setting, len(s.Keys)+len(base))
		for _, k := range s.Keys {
			if !isKeyMaterial(k.Name) {
				m[k.Name] = setting{value: k.Value, file: r.fs.Config.Path, line: k.Line, profile: s.Name, key: k}
			}
		}
		for k, at := range base {
			if _, ok := m[k]; !ok {
				m[k] = at
			}
		}
		r.lent[s.Name] = m
		base = m
	}
	return base, nil
}

func (r *resolver) unknown(name string) *UnknownProfileError {
	e := &UnknownProfileError{Name: name}
	if s := r.fs.Config.Section(IgnoredSection, name); s != nil {
		e.Ignored, e.File, e.Line = true, r.fs.Config.Path, s.Line
		return e
	}
	e.Suggestion = suggest(name, r.fs.ProfileNames())
	return e
}

// staticSource is the source of a profile that assumes no role itself, or
// names itself as source_profile. As the AWS CLI orders its providers: keys
// in the credentials file, then credential_process, then keys in the config
// file. ok is false when there is none of those.
func (r *resolver) staticSource(v *view) (Source, bool, error) {
	id, secret := v.get("aws_access_key_id"), v.get("aws_secret_access_key")
	proc := v.get("credential_process")
	keys := func() (Source, bool, error) {
		if !secret.set() {
			return Source{}, false, &SettingError{File: id.file, Line: id.line, Profile: v.name, Key: "aws_access_key_id",
				Problem:  "aws_secret_access_key is missing",
				NextStep: fmt.Sprintf("add aws_secret_access_key to the profile, or remove both and store the keys with `kagi add %s`", v.name)}
		}
		tok := v.get("aws_session_token")
		if !tok.set() {
			tok = v.get("aws_security_token")
		}
		why := "long-term keys in the file"
		if tok.set() {
			why = "temporary keys (with aws_session_token) in the file"
		}
		r.note("source", v.name, why, id)
		return Source{Kind: SharedKeys, Profile: v.name, Temporary: tok.set(), File: id.file, Line: id.line}, true, nil
	}
	credsPath := ""
	if r.fs.Credentials != nil {
		credsPath = r.fs.Credentials.Path
	}
	if id.set() && id.file == credsPath {
		return keys()
	}
	if proc.set() {
		r.note("source", v.name, "credential_process", proc)
		return Source{Kind: Process, Profile: v.name, CredentialProcess: proc.value, File: proc.file, Line: proc.line}, true, nil
	}
	if id.set() {
		return keys()
	}
	return Source{}, false, nil
}

// credentialSourceKind maps credential_source values, matched exactly as
// the AWS CLI matches them.
func credentialSourceKind(s string) (SourceKind, bool) {
	switch s {
	case "Environment":
		return Environment, true
	case "Ec2InstanceMetadata":
		return InstanceMetadata, true
	case "EcsContainer":
		return ContainerMetadata, true
	}
	return 0, false
}

func (r *resolver) credentialSource(v *view, cs setting) (Source, error) {
	kind, ok := credentialSourceKind(cs.value)
	if !ok {
		next := "valid values are Environment, Ec2InstanceMetadata and EcsContainer"
		for _, k := range [...]string{"Environment", "Ec2InstanceMetadata", "EcsContainer"} {
			if strings.EqualFold(k, cs.value) {
				next = fmt.Sprintf("write credential_source = %s (the AWS CLI matches case)", k)
			}
		}
		return Source{}, r.errAt(cs, v.name, "credential_source", "unknown credential source", next)
	}
	r.note("source", v.name, "credential_source = "+cs.value, cs)
	return Source{Kind: kind, Profile: v.name, File: cs.file, Line: cs.line}, nil
}

// profileMode resolves a named profile.
func (r *resolver) profileMode(name string) (*Chain, error) {
	if !r.fs.HasProfile(name) {
		return nil, r.unknown(name)
	}
	if r.req.OIDC != "" {
		return nil, &SettingError{Key: "--oidc", Value: r.req.OIDC, Problem: fmt.Sprintf("works without a profile, and profile %q was named", name),
			NextStep: "unset AWS_PROFILE and drop the PROFILE argument; give the role with --role-arn or AWS_ROLE_ARN"}
	}
	for _, k := range []string{"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"} {
		if r.env.get(k) != "" {
			// EKS and GitHub Actions set these for their own reasons; a named
			// profile says what the user wants.
			r.note("ignored", name, k+" is set but a profile was named; the profile decides the chain", setting{})
		}
	}
	var (
		src   Source
		hops  []string // profiles with a role_arn, from the one asked for down to the source
		order []string // every profile walked, in the same order
	)
	visited := map[string]int{}
	cur := name
	settingsOnly := false
walk:
	for {
		visited[cur] = len(order)
		order = append(order, cur)
		v, err := r.view(cur)
		if err != nil {
			return nil, err
		}
		role, sp, cs := v.get("role_arn"), v.get("source_profile"), v.get("credential_source")
		sso := firstSSOKey(v)
		wit, witp := v.get("web_identity_token_file"), v.get("web_identity_token_process")
		if wit.set() && witp.set() {
			return nil, r.errAt(witp, cur, "web_identity_token_process", fmt.Sprintf("web_identity_token_file (line %d) is set too", wit.line),
				"keep only one: the file the platform writes, or the command that prints the token")
		}
		if witp.set() {
			wit = witp
		}
		var next setting
		if role.set() {
			hops = append(hops, cur)
			if sso.set() && (!sp.set() && !cs.set() || sp.value == cur) {
				return nil, r.errAt(sso, cur, sso.key.Name,
					"is set in a profile with role_arn; the AWS CLI refuses a role whose source is the same profile's IAM Identity Center settings",
					fmt.Sprintf("keep the sso_* settings in a profile of their own and set source_profile = THAT_PROFILE in profile %q", cur))
			}
			if sso.set() {
				r.note("ignored", cur, sso.key.Name+": role_arn with a source is used, as by the AWS CLI and the Go SDK", sso)
			}
			if sp.set() && cs.set() {
				return nil, &SettingError{File: cs.file, Line: cs.line, Profile: cur, Key: "credential_source", Value: cs.value,
					Problem:  fmt.Sprintf("both source_profile (line %d) and credential_source are set; the AWS CLI refuses this too", sp.line),
					NextStep: "keep only one: source_profile for keys from another profile, credential_source for the environment or instance"}
			}
			switch {
			case sp.set() && sp.value == cur:
				// The AWS CLI's rule: a profile naming itself uses its own keys.
				r.note("source", cur, "source_profile names the profile itself: its own keys are the source", sp)
				s, ok, err := r.staticSource(v)
				if err != nil {
					return nil, err
				}
				if !ok {
					r.note("source", cur, "no keys in the files: long-term keys from the keyring", sp)
					s = Source{Kind: KeyringKeys, Profile: cur, File: sp.file, Line: sp.line}
				}
				src = s
				break walk
			case sp.set():
				if wit.set() {
					r.note("ignored", cur, wit.key.Name+": source_profile is used, as by the AWS CLI", wit)
				}
				r.note("role", cur, fmt.Sprintf("role_arn with source_profile %q", sp.value), sp)
				next = sp
			case cs.set():
				s, err := r.credentialSource(v, cs)
				if err != nil {
					return nil, err
				}
				src = s
				break walk
			case wit.set():
				r.note("source", cur, wit.key.Name+": AssumeRoleWithWebIdentity", wit)
				src = Source{Kind: WebIdentity, Profile: cur, File: wit.file, Line: wit.line}
				if witp.set() {
					src.WebIdentityTokenProcess = wit.value
				} else {
					src.WebIdentityTokenFile = wit.value
				}
				break walk
			default:
				return nil, &SettingError{File: role.file, Line: role.line, Profile: cur, Key: "role_arn", Value: role.value,
					Problem:  "the role has no source of credentials to assume it with",
					NextStep: fmt.Sprintf("add source_profile = NAME (a profile with keys) or credential_source = Environment to profile %q", cur)}
			}
		} else {
			if wit.set() {
				return nil, r.errAt(wit, cur, wit.key.Name, "needs role_arn, the role to exchange the token for",
					"add role_arn = arn:aws:iam::ACCOUNT:role/NAME to the profile")
			}
			if sso.set() {
				s, err := r.ssoOnly(v, sso, sp, cs)
				if err != nil {
					return nil, err
				}
				src = s
				break walk
			}
			s, ok, err := r.staticSource(v)
			if err != nil {
				return nil, err
			}
			switch {
			case ok:
				src = s
				break walk
			case sp.set() && sp.value != cur:
				// aws-vault's reading: without role_arn, source_profile lends
				// its credentials (and MFA) to this profile.
				r.note("source", cur, fmt.Sprintf("no role_arn: the credentials of source_profile %q are used", sp.value), sp)
				next = sp
			case cs.set():
				s, err := r.credentialSource(v, cs)
				if err != nil {
					return nil, err
				}
				src = s
				break walk
			default:
				r.note("source", cur, "no role_arn and no keys in the files: long-term keys from the keyring", setting{})
				src = Source{Kind: KeyringKeys, Profile: cur}
				settingsOnly = cur == name && onlySettings(v)
				break walk
			}
		}
		if i, seen := visited[next.value]; seen {
			return nil, &CycleError{Path: append(append([]string{}, order[i:]...), next.value), Via: "source_profile", File: next.file, Line: next.line}
		}
		if !r.fs.HasProfile(next.value) {
			return nil, &SettingError{File: next.file, Line: next.line, Profile: cur, Key: "source_profile", Value: next.value,
				Problem: "no such profile", Err: r.unknown(next.value)}
		}
		cur = next.value
	}

	r.envKeysIgnored(name, src)
	top, err := r.view(name)
	if err != nil {
		return nil, err
	}
	c := &Chain{Profile: name, Source: src, SettingsOnly: settingsOnly}
	for i := len(hops) - 1; i >= 0; i-- {
		v, _ := r.view(hops[i])
		// Identity Center's credentials are a role session: a role assumed
		// from them is chained (STS caps it at an hour).
		hop, err := r.hop(v, v.get("role_arn"), len(c.Roles) > 0 || src.Kind == SSO)
		if err != nil {
			return nil, err
		}
		c.Roles = append(c.Roles, hop)
	}
	if err := r.flagRole(c, top); err != nil {
		return nil, err
	}
	if err := r.finalHopFlags(c); err != nil {
		return nil, err
	}
	if err := checkWebIdentityHop(c); err != nil {
		return nil, err
	}
	if err := r.mfa(c, order); err != nil {
		return nil, err
	}
	if err := r.region(c, top); err != nil {
		return nil, err
	}
	return c, nil
}

// hop builds one AssumeRole from a profile's settings.
func (r *resolver) hop(v *view, role setting, chained bool) (RoleHop, error) {
	if p := checkRoleARN(role.value); p != "" {
		return RoleHop{}, r.errAt(role, v.name, "role_arn", p, "")
	}
	h := RoleHop{Profile: v.name, RoleARN: role.value, Chained: chained, File: role.file, Line: role.line}
	if at := v.get("role_session_name"); at.set() {
		if err := r.setSessionName(&h, at.value, func(p string) error { return r.errAt(at, v.name, "role_session_name", p, "") }); err != nil {
			return h, err
		}
	}
	if at := v.get("external_id"); at.set() {
		if p := checkExternalID(at.value); p != "" {
			return h, r.errAt(at, v.name, "external_id", p, "")
		}
		h.ExternalID = at.value
	}
	if at := v.get("source_identity"); at.set() {
		if p := checkSessionName(at.value); p != "" {
			return h, r.errAt(at, v.name, "source_identity", p, "")
		}
		h.SourceIdentity = at.value
	}
	if at := v.get("duration_seconds"); at.set() {
		d, p := parseSeconds(at.value)
		if p == "" {
			p = checkRoleDuration(d, chained)
		}
		if p != "" {
			next := ""
			if chained {
				next = "set duration_seconds = 3600 or less on this profile"
			}
			return h, r.errAt(at, v.name, "duration_seconds", p, next)
		}
		h.Duration = d
	}
	if at := v.get("session_tags"); at.set() {
		tags, p := parseTags(at.value)
		if p == "" {
			p = checkTags(tags)
		}
		if p != "" {
			return h, r.errAt(at, v.name, "session_tags", p, "")
		}
		h.Tags = tags
	}
	if at := v.get("transitive_session_tags"); at.set() {
		h.TransitiveTags = parseList(at.value)
		if p := checkTransitive(h.Tags, h.TransitiveTags); p != "" {
			return h, r.errAt(at, v.name, "transitive_session_tags", p, "list only keys that session_tags sets")
		}
	}
	return h, nil
}

func (r *resolver) setSessionName(h *RoleHop, name string, fail func(string) error) error {
	if name == UsernameSessionName {
		h.SessionName, h.SessionNameIsUsername = "", true
		return nil
	}
	if p := checkSessionName(name); p != "" {
		return fail(p)
	}
	h.SessionName, h.SessionNameIsUsername = name, false
	return nil
}

// flagRole applies --role-arn: it replaces the final hop's role, or adds a
// hop when the profile assumes none.
func (r *resolver) flagRole(c *Chain, top *view) error {
	arn := r.req.RoleARN
	if arn == "" {
		return nil
	}
	if p := checkRoleARN(arn); p != "" {
		return &SettingError{Key: "--role-arn", Value: arn, Problem: p}
	}
	if n := len(c.Roles); n > 0 {
		r.note("role", c.Roles[n-1].Profile, fmt.Sprintf("--role-arn replaces role_arn %q", c.Roles[n-1].RoleARN), setting{})
		c.Roles[n-1].RoleARN = arn
		c.Roles[n-1].File, c.Roles[n-1].Line = "", 0
		return nil
	}
	r.note("role", top.name, "--role-arn adds a role to assume", setting{})
	hop, err := r.hop(top, setting{value: arn}, c.Source.Kind == SSO)
	if err != nil {
		return err
	}
	c.Roles = append(c.Roles, hop)
	return nil
}

// finalHopFlags applies --session-name (or AWS_ROLE_SESSION_NAME),
// --external-id and --duration to the role the user asked for.
func (r *resolver) finalHopFlags(c *Chain) error {
	n := len(c.Roles)
	set := func(flag, what string) bool {
		if n == 0 {
			r.note("ignored", c.Profile, flag+" is set but no role is assumed", setting{})
			return false
		}
		r.note("role", c.Roles[n-1].Profile, what, setting{})
		return true
	}
	name, from := r.req.SessionName, "--session-name"
	if name == "" {
		name, from = r.env.get("AWS_ROLE_SESSION_NAME"), "AWS_ROLE_SESSION_NAME"
	}
	if name != "" && set(from, "session name from "+from) {
		if err := r.setSessionName(&c.Roles[n-1], name, func(p string) error {
			return &SettingError{Key: from, Value: name, Problem: p}
		}); err != nil {
			return err
		}
	}
	if id := r.req.ExternalID; id != "" && set("--external-id", "external ID from --external-id") {
		if p := checkExternalID(id); p != "" {
			return &SettingError{Key: "--external-id", Value: id, Problem: p}
		}
		c.Roles[n-1].ExternalID = id
	}
	if err := r.flagTags(c); err != nil {
		return err
	}
	if d := r.req.Duration; d != 0 && n > 0 {
		h := &c.Roles[n-1]
		if p := checkRoleDuration(d, h.Chained); p != "" {
			return &SettingError{Profile: h.Profile, Key: "--duration", Value: d.String(), Problem: p}
		}
		r.note("role", h.Profile, "duration from --duration", setting{})
		h.Duration = d
	}
	return nil
}

// flagTags applies --session-tag, --transitive-tag and --source-identity to
// the final role: flag tags replace a profile's tag of the same key, flag
// transitive keys are added to the profile's.
func (r *resolver) flagTags(c *Chain) error {
	n := len(c.Roles)
	if len(r.req.Tags) == 0 && len(r.req.TransitiveTags) == 0 && r.req.SourceIdentity == "" {
		return nil
	}
	if n == 0 {
		r.note("ignored", c.Profile, "--session-tag, --transitive-tag and --source-identity are set but no role is assumed", setting{})
		return nil
	}
	h := &c.Roles[n-1]
	if len(r.req.Tags) > 0 {
		tags := make(map[string]string, len(h.Tags)+len(r.req.Tags))
		for k, v := range h.Tags {
			tags[k] = v
		}
		for k, v := range r.req.Tags {
			if p := checkTag(k, v); p != "" {
				return &SettingError{Key: "--session-tag", Value: k, Problem: p}
			}
			tags[k] = v
		}
		h.Tags = tags
		r.note("role", h.Profile, fmt.Sprintf("%d session tags from --session-tag", len(r.req.Tags)), setting{})
	}
	if len(r.req.TransitiveTags) > 0 {
		h.TransitiveTags = append(append([]string(nil), h.TransitiveTags...), r.req.TransitiveTags...)
		r.note("role", h.Profile, "transitive tag keys from --transitive-tag", setting{})
	}
	if p := checkTags(h.Tags); p != "" {
		return &SettingError{Profile: h.Profile, Key: "--session-tag", Problem: p}
	}
	if p := checkTransitive(h.Tags, h.TransitiveTags); p != "" {
		return &SettingError{Profile: h.Profile, Key: "--transitive-tag", Problem: p, NextStep: "a transitive key must also be given with --session-tag KEY=VALUE (or in session_tags)"}
	}
	if id := r.req.SourceIdentity; id != "" {
		if p := checkSessionName(id); p != "" {
			return &SettingError{Key: "--source-identity", Value: id, Problem: p}
		}
		h.SourceIdentity = id
		r.note("role", h.Profile, "source identity from --source-identity", setting{})
	}
	return nil
}

// checkWebIdentityHop refuses what AssumeRoleWithWebIdentity cannot carry:
// it has no parameter for session tags, a source identity or an external
// id (tags and source identity come from the token's own claims), and
// sending a hop's settings nowhere would be a silent surprise.
func checkWebIdentityHop(c *Chain) error {
	if c.Source.Kind != WebIdentity || len(c.Roles) == 0 {
		return nil
	}
	h := c.Roles[0]
	what := ""
	switch {
	case len(h.Tags) > 0 || len(h.TransitiveTags) > 0:
		what = "session tags"
	case h.SourceIdentity != "":
		what = "source identity"
	case h.ExternalID != "":
		what = "external id"
	default:
		return nil
	}
	return &SettingError{File: h.File, Line: h.Line, Profile: h.Profile, Key: "role_arn", Value: h.RoleARN,
		Problem:  "is assumed with a web identity token, and AssumeRoleWithWebIdentity takes no " + what,
		NextStep: "the identity provider puts " + what + " in the token's claims; or set them on a role assumed from this one"}
}

// envKeysIgnored notes, for --debug, that keys in the environment play no
// part in a profile whose source is not credential_source = Environment:
// the trap of seed article 002 is SDKs doing the opposite, and a user
// should see which way kagi went.
func (r *resolver) envKeysIgnored(name string, src Source) {
	if src.Kind == Environment || r.env.get("AWS_ACCESS_KEY_ID") == "" {
		return
	}
	r.note("ignored", name, fmt.Sprintf("AWS_ACCESS_KEY_ID is set, but the profile's source is %s, not credential_source = Environment: the environment keys are not used", src.Kind), setting{})
}

// mfa decides the MFA session. mfa_serial (and mfa_process,
// mfa_session_duration) is taken from the first profile that sets it,
// walking from the profile asked for down to the source: a role profile's
// own mfa_serial wins, and one without inherits its source profile's.
func (r *resolver) mfa(c *Chain, order []string) error {
	find := func(key string) (setting, string) {
		for _, p := range order {
			v, _ := r.view(p)
			if at := v.get(key); at.set() {
				return at, p
			}
		}
		return setting{}, ""
	}
	serial, serialProfile := find("mfa_serial")
	if r.req.MFASerial != "" {
		if p := checkMFASerial(r.req.MFASerial); p != "" {
			return &SettingError{Key: "--mfa-serial", Value: r.req.MFASerial, Problem: p}
		}
		serial, serialProfile = setting{value: r.req.MFASerial}, ""
		r.note("mfa", "", "MFA device from --mfa-serial", setting{})
	} else if serial.set() {
		if p := checkMFASerial(serial.value); p != "" {
			return r.errAt(serial, serialProfile, "mfa_serial", p, "")
		}
		if serialProfile != c.Profile {
			r.note("mfa", c.Profile, fmt.Sprintf("mfa_serial inherited from profile %q", serialProfile), serial)
		}
	}
	proc, procProfile := find("mfa_process")
	// A source of long-term user keys is never the last step: with MFA,
	// the session carries it; without, a profile that assumes no role still
	// gets a session, so the keys themselves never reach a child or stdout
	// (aws-vault does the same). --no-session is the way to the keys.
	if c.Source.LongTerm() && !r.req.NoSession && (serial.set() || len(c.Roles) == 0) {
		m := &MFASession{Serial: serial.value, Duration: defaultMFADuration, Profile: serialProfile}
		if serial.set() {
			m.Process, m.ProcessProfile = proc.value, procProfile
		}
		if at, p := find("mfa_session_duration"); at.set() {
			d, prob := parseFlexDuration(at.value)
			if prob == "" {
				prob = checkMFADuration(d)
			}
			if prob != "" {
				return r.errAt(at, p, "mfa_session_duration", prob, "")
			}
			m.Duration = d
		}
		if d := r.req.Duration; d != 0 && len(c.Roles) == 0 {
			if p := checkMFADuration(d); p != "" {
				return &SettingError{Profile: c.Profile, Key: "--duration", Value: d.String(), Problem: p}
			}
			m.Duration = d
		}
		c.MFA = m
		if serial.set() {
			r.note("mfa", c.Profile, "long-term keys and mfa_serial: one GetSessionToken with MFA, reused by every role", serial)
		} else {
			r.note("session", c.Profile, "long-term keys, no role and no mfa_serial: one GetSessionToken without MFA, so the keys themselves are not handed out (--no-session hands them out)", setting{file: c.Source.File, line: c.Source.Line})
		}
		return nil
	}
	if !serial.set() {
		if r.req.Duration != 0 && len(c.Roles) == 0 {
			r.note("ignored", c.Profile, "--duration is set but there is no role or session to apply it to", setting{})
		}
		return nil
	}
	switch {
	case len(c.Roles) > 0 && c.Source.Kind != WebIdentity:
		c.Roles[0].MFASerial, c.Roles[0].MFAProcess, c.Roles[0].MFAProcessProfile = serial.value, proc.value, procProfile
		why := "the source cannot get an MFA session: the MFA code goes to AssumeRole"
		if r.req.NoSession {
			why = "--no-session: the MFA code goes to AssumeRole"
		}
		r.note("mfa", c.Roles[0].Profile, why, serial)
	default:
		r.note("ignored", c.Profile, "mfa_serial applies to nothing here (no role to pass it to, no MFA session)", serial)
	}
	return nil
}

// region sets the region and STS endpoint settings: flag, then environment,
// then the profile asked for (its own settings and include_profile's, not
// its source profiles', as the AWS CLI reads them).
func (r *resolver) region(c *Chain, top *view) error {
	switch {
	case r.req.Region != "":
		c.Region = r.req.Region
		r.note("region", "", "from --region", setting{})
	case r.env.get("AWS_REGION") != "":
		c.Region = r.env.get("AWS_REGION")
		r.note("region", "", "from AWS_REGION", setting{})
	case r.env.get("AWS_DEFAULT_REGION") != "":
		c.Region = r.env.get("AWS_DEFAULT_REGION")
		r.note("region", "", "from AWS_DEFAULT_REGION", setting{})
	case top != nil && top.get("region").set():
		at := top.get("region")
		c.Region = at.value
		why := "from the profile"
		if at.profile != top.name {
			why = fmt.Sprintf("from profile %q through include_profile", at.profile)
		}
		r.note("region", top.name, why, at)
	}
	ignore := strings.EqualFold(r.env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true")
	if top != nil && !ignore {
		ignore = strings.EqualFold(top.get("ignore_configured_endpoint_urls").value, "true")
	}
	if !ignore {
		var err error
		if c.STSEndpoint, err = r.endpoint(top, "STS", "sts"); err != nil {
			return err
		}
		if c.Source.Kind == SSO {
			if c.SSOEndpoint, err = r.endpoint(top, "SSO", "sso"); err != nil {
				return err
			}
		}
	}
	at := setting{value: r.env.get("AWS_STS_REGIONAL_ENDPOINTS")}
	key := "AWS_STS_REGIONAL_ENDPOINTS"
	if !at.set() && top != nil {
		at, key = top.get("sts_regional_endpoints"), "sts_regional_endpoints"
	}
	if at.set() {
		if at.value != "regional" && at.value != "legacy" {
			prof := ""
			if at.file != "" {
				prof = top.name
			}
			return r.errAt(at, prof, key, "want regional or legacy", "")
		}
		c.STSRegionalEndpoints = at.value
	}
	return nil
}

// endpoint is the configured endpoint URL of a service ("" for AWS's
// own), in botocore's order: AWS_ENDPOINT_URL_<ID>, AWS_ENDPOINT_URL, the
// service's sub-section of the profile's [services NAME] section
// (`services = NAME`), the profile's endpoint_url. id is the service's
// identifier as the variable spells it (STS, SSO), key as the sub-section
// does (sts, sso).
func (r *resolver) endpoint(top *view, id, key string) (string, error) {
	if v := r.env.get("AWS_ENDPOINT_URL_" + id); v != "" {
		r.note("endpoint", "", id+" endpoint from AWS_ENDPOINT_URL_"+id, setting{})
		return v, nil
	}
	if v := r.env.get("AWS_ENDPOINT_URL"); v != "" {
		r.note("endpoint", "", id+" endpoint from AWS_ENDPOINT_URL", setting{})
		return v, nil
	}
	if top == nil {
		return "", nil
	}
	if s := r.fs.Config.Section(ServicesSection, top.get("services").value); s != nil && s.Err != nil {
		return "", s.Err
	}
	if at := r.servicesEndpoint(top, key); at.set() {
		r.note("endpoint", top.name, id+" endpoint from the [services] section", at)
		return at.value, nil
	}
	if at := top.get("endpoint_url"); at.set() {
		r.note("endpoint", top.name, id+" endpoint from endpoint_url", at)
		return at.value, nil
	}
	return "", nil
}

// servicesEndpoint reads "services = NAME" and the endpoint_url of its
// [services NAME] section's key sub-section.
func (r *resolver) servicesEndpoint(v *view, key string) setting {
	name := v.get("services")
	if !name.set() {
		return setting{}
	}
	s := r.fs.Config.Section(ServicesSection, name.value)
	k := s.Key(key).SubKey("endpoint_url")
	if k == nil || k.Value == "" {
		return setting{}
	}
	return setting{value: k.Value, file: r.fs.Config.Path, line: k.Line}
}

// environmentMode resolves with no profile: a role from --role-arn or
// AWS_ROLE_ARN (required), assumed with the first source the SDKs' default
// chain would find in the environment: keys, then a web identity token,
// then container credentials, then instance metadata. --oidc github puts a
// token fetched from GitHub Actions first. Region and endpoint settings
// still come from [default], as the SDKs read them.
func (r *resolver) environmentMode() (*Chain, error) {
	r.note("profile", "", "no profile named and AWS_PROFILE unset: environment mode", setting{})
	arn, from := r.req.RoleARN, "--role-arn"
	if arn == "" {
		arn, from = r.env.get("AWS_ROLE_ARN"), "AWS_ROLE_ARN"
	}
	if arn == "" {
		return nil, &NoRoleError{}
	}
	if p := checkRoleARN(arn); p != "" {
		return nil, &SettingError{Key: from, Value: arn, Problem: p}
	}
	c := &Chain{Roles: []RoleHop{{RoleARN: arn}}}
	hasKeys := r.env.get("AWS_ACCESS_KEY_ID") != "" || r.env.get("AWS_SECRET_ACCESS_KEY") != ""
	tokenFile := r.env.get("AWS_WEB_IDENTITY_TOKEN_FILE")
	switch {
	case r.req.OIDC != "":
		if r.req.OIDC != OIDCGitHub {
			return nil, &SettingError{Key: "--oidc", Value: r.req.OIDC, Problem: "unknown identity provider",
				NextStep: "kagi fetches tokens from github (GitHub Actions); elsewhere write the token to a file and set AWS_WEB_IDENTITY_TOKEN_FILE"}
		}
		for _, k := range []string{"ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"} {
			if r.env.get(k) == "" {
				return nil, &SettingError{Key: "--oidc", Value: r.req.OIDC, Problem: k + " is not set",
					NextStep: "--oidc github works inside a GitHub Actions job whose workflow grants `permissions: id-token: write`"}
			}
		}
		c.Source = Source{Kind: WebIdentity, OIDC: OIDCGitHub}
		r.note("source", "", "--oidc github: a token from GitHub Actions, AssumeRoleWithWebIdentity of the role from "+from, setting{})
		if hasKeys {
			r.note("ignored", "", "AWS_ACCESS_KEY_ID is set, but --oidc github asks for a web identity: the environment keys are not used", setting{})
		}
	case hasKeys:
		c.Source = Source{Kind: Environment}
		r.note("source", "", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, assuming the role from "+from, setting{})
		if tokenFile != "" {
			r.note("ignored", "", "AWS_WEB_IDENTITY_TOKEN_FILE: keys in the environment come first, as in the SDKs' default chain", setting{})
		}
	case tokenFile != "":
		c.Source = Source{Kind: WebIdentity, WebIdentityTokenFile: tokenFile}
		envRole := r.env.get("AWS_ROLE_ARN")
		if from == "--role-arn" && envRole != "" && envRole != arn {
			// EKS and similar platforms set AWS_ROLE_ARN to the role their
			// token is for; --role-arn is then a role to go on to from it.
			if p := checkRoleARN(envRole); p != "" {
				return nil, &SettingError{Key: "AWS_ROLE_ARN", Value: envRole, Problem: p}
			}
			c.Roles = []RoleHop{{RoleARN: envRole}, {RoleARN: arn, Chained: true}}
			r.note("source", "", "AWS_WEB_IDENTITY_TOKEN_FILE: AssumeRoleWithWebIdentity of AWS_ROLE_ARN, then --role-arn from that session", setting{})
		} else {
			r.note("source", "", "AWS_WEB_IDENTITY_TOKEN_FILE: AssumeRoleWithWebIdentity of the role from "+from, setting{})
		}
	case r.env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != "" || r.env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI") != "":
		c.Source = Source{Kind: ContainerMetadata}
		r.note("source", "", "no keys in the environment: container credentials (AWS_CONTAINER_CREDENTIALS_*), assuming the role from "+from, setting{})
	default:
		c.Source = Source{Kind: InstanceMetadata}
		r.note("source", "", "no keys, token file or container credentials in the environment: instance metadata, assuming the role from "+from, setting{})
	}
	if err := r.finalHopFlags(c); err != nil {
		return nil, err
	}
	if c.Source.Kind == WebIdentity && c.Roles[0].SessionNameIsUsername {
		return nil, &SettingError{Key: "-u/--username-session", Problem: "a web identity has no IAM user name to use as the session name",
			NextStep: "drop -u, or give a name with --session-name or AWS_ROLE_SESSION_NAME"}
	}
	if err := checkWebIdentityHop(c); err != nil {
		return nil, err
	}
	if err := r.mfa(c, nil); err != nil {
		return nil, err
	}
	var top *view
	if r.fs.HasProfile("default") {
		v, err := r.view("default")
		if err != nil {
			r.note("ignored", "default", "cannot read region from profile default: "+err.Error(), setting{})
		} else {
			top = v
		}
	}
	if err := r.region(c, top); err != nil {
		return nil, err
	}
	return c, nil
}

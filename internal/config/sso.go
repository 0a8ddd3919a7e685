package config

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// SSOSession is where an IAM Identity Center sign-in happens: an
// [sso-session NAME] section, or the sso_start_url and sso_region of a
// legacy profile.
type SSOSession struct {
	Name     string   // [sso-session NAME]; "" for a legacy profile (sso_start_url in the profile)
	StartURL string   // sso_start_url
	Region   string   // sso_region
	Scopes   []string // sso_registration_scopes (comma separated in the file); nil when unset
	File     string   // where it is defined, for errors
	Line     int
}

// CacheKey is the AWS CLI v2 token cache file's base name without ".json":
// hex(sha1(Name)) for a session, hex(sha1(StartURL)) for a legacy profile,
// as botocore's SSOTokenProvider and the Go SDK's ssocreds name it.
func (s SSOSession) CacheKey() string {
	k := s.Name
	if k == "" {
		k = s.StartURL
	}
	sum := sha1.Sum([]byte(k))
	return hex.EncodeToString(sum[:])
}

// LoginHint is the command that signs in to s: `kagi sso login
// --sso-session NAME`, or `kagi sso login --profile PROFILE` for a legacy
// profile (which has no session name to give).
func (s SSOSession) LoginHint(profile string) string {
	if s.Name != "" {
		return "kagi sso login --sso-session " + s.Name
	}
	return "kagi sso login --profile " + profile
}

// ssoKeys are the settings that make a profile an Identity Center profile;
// the first two say it gets role credentials (botocore's trigger).
var ssoKeys = [...]string{"sso_account_id", "sso_role_name", "sso_session", "sso_start_url", "sso_region"}

var accountIDRe = regexp.MustCompile(`^[0-9]{12}$`)

// firstSSOKey is the first sso_* setting of v, in file order; !set() when
// the profile has none.
func firstSSOKey(v *view) setting {
	var first setting
	for _, k := range ssoKeys {
		if at := v.get(k); at.set() && (!first.set() || at.file == first.file && at.line < first.line) {
			first = at
		}
	}
	return first
}

// sessionSection reads [sso-session name] into an SSOSession. at is the
// sso_session setting that names it (for the error when it is missing).
func sessionSection(fs *Files, name string, at setting, profile string) (*SSOSession, error) {
	s := fs.Config.Section(SSOSessionSection, name)
	if s == nil {
		e := &SettingError{File: at.file, Line: at.line, Profile: profile, Key: "sso_session", Value: name,
			Problem:  "no [sso-session " + name + "] section in the config file; the AWS CLI and the Go SDK refuse this too",
			NextStep: fmt.Sprintf("add [sso-session %s] with sso_start_url and sso_region to the config file (`aws configure sso-session` writes one)", name)}
		if at.file == "" {
			e.Key, e.Value = "--sso-session", name
		}
		var names []string
		for _, sec := range fs.Config.sections() {
			if sec.Kind == SSOSessionSection {
				names = append(names, sec.Name)
			}
		}
		if sug := suggest(name, names); sug != "" {
			e.NextStep = fmt.Sprintf("did you mean sso_session = %s? (the config file has [sso-session %s])", sug, sug)
		}
		return nil, e
	}
	if s.Err != nil {
		return nil, s.Err
	}
	path := fs.Config.Path
	sess := &SSOSession{Name: name, File: path, Line: s.Line}
	sess.StartURL, _ = s.Get("sso_start_url")
	sess.Region, _ = s.Get("sso_region")
	if v, _ := s.Get("sso_registration_scopes"); v != "" {
		sess.Scopes = parseList(v)
	}
	var missing []string
	if sess.StartURL == "" {
		missing = append(missing, "sso_start_url")
	}
	if sess.Region == "" {
		missing = append(missing, "sso_region")
	}
	if len(missing) > 0 {
		return nil, &SettingError{File: path, Line: s.Line, Key: "[sso-session " + name + "]",
			Problem:  "is missing " + strings.Join(missing, " and "),
			NextStep: fmt.Sprintf("add %s to [sso-session %s]: the start URL of your AWS access portal (https://NAME.awsapps.com/start) and the region of Identity Center", strings.Join(missing, " and "), name)}
	}
	return sess, nil
}

func (f *File) sections() []*Section {
	if f == nil {
		return nil
	}
	return f.Sections
}

// sessionOf is the sign-in of profile view v, which has at least one sso_*
// setting: its [sso-session], or its own sso_start_url and sso_region. A
// profile that names a session and also sets a different legacy start URL
// or region is refused, as botocore and the Go SDK refuse it.
func (r *resolver) sessionOf(v *view) (*SSOSession, error) {
	url, region := v.get("sso_start_url"), v.get("sso_region")
	if name := v.get("sso_session"); name.set() {
		sess, err := sessionSection(r.fs, name.value, name, v.name)
		if err != nil {
			return nil, err
		}
		for _, c := range []struct {
			at          setting
			key, theirs string
		}{{url, "sso_start_url", sess.StartURL}, {region, "sso_region", sess.Region}} {
			if c.at.set() && c.at.value != c.theirs {
				return nil, r.errAt(c.at, v.name, c.key,
					fmt.Sprintf("differs from %s %q of [sso-session %s] (%s:%d); the AWS CLI and the Go SDK refuse this too", c.key, c.theirs, sess.Name, sess.File, sess.Line),
					fmt.Sprintf("remove %s from profile %q: sso_session = %s says where to sign in", c.key, v.name, sess.Name))
			}
		}
		return sess, nil
	}
	var missing []string
	if !url.set() {
		missing = append(missing, "sso_start_url")
	}
	if !region.set() {
		missing = append(missing, "sso_region")
	}
	if len(missing) > 0 {
		at := firstSSOKey(v)
		return nil, &SettingError{File: at.file, Line: at.line, Profile: v.name,
			Problem:  "is configured for IAM Identity Center (SSO) but " + missingList(missing),
			NextStep: "add sso_session = NAME and an [sso-session NAME] section with sso_start_url and sso_region (`aws configure sso` writes them), or add " + strings.Join(missing, " and ") + " to the profile"}
	}
	return &SSOSession{StartURL: url.value, Region: region.value, File: url.file, Line: url.line}, nil
}

// ssoSource is the Identity Center source of profile v (which has an sso_*
// setting and no role_arn): GetRoleCredentials of sso_role_name in
// sso_account_id with a token for its session.
func (r *resolver) ssoSource(v *view) (Source, error) {
	sess, err := r.sessionOf(v)
	if err != nil {
		return Source{}, err
	}
	acct, role := v.get("sso_account_id"), v.get("sso_role_name")
	var missing []string
	if !acct.set() {
		missing = append(missing, "sso_account_id")
	}
	if !role.set() {
		missing = append(missing, "sso_role_name")
	}
	if len(missing) > 0 {
		at := firstSSOKey(v)
		return Source{}, &SettingError{File: at.file, Line: at.line, Profile: v.name,
			Problem:  "is configured for IAM Identity Center (SSO) but " + missingList(missing) + ": there is no role to get credentials for",
			NextStep: fmt.Sprintf("add sso_account_id = 123456789012 and sso_role_name = NAME to profile %q (`kagi sso profiles --sso-session NAME` lists what you can use)", v.name)}
	}
	if !accountIDRe.MatchString(acct.value) {
		return Source{}, r.errAt(acct, v.name, "sso_account_id", "the account ID must be 12 digits", "")
	}
	if p := checkSSORoleName(role.value); p != "" {
		return Source{}, r.errAt(role, v.name, "sso_role_name", p, "")
	}
	how := "[sso-session " + sess.Name + "]"
	if sess.Name == "" {
		how = "the profile's own sso_start_url (legacy form)"
	}
	r.note("source", v.name, fmt.Sprintf("IAM Identity Center: GetRoleCredentials of role %q in account %s, signed in through %s at %s (%s); no MFA step", role.value, acct.value, how, sess.StartURL, sess.Region), firstSSOKey(v))
	return Source{Kind: SSO, Profile: v.name, SSO: sess, SSOAccountID: acct.value, SSORoleName: role.value, File: acct.file, Line: acct.line}, nil
}

// checkSSORoleName: a permission set's name, as IAM names roles (1 to 32
// characters for permission sets, but the portal takes any role name).
func checkSSORoleName(s string) string {
	if len(s) > 64 {
		return "must be at most 64 characters"
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_+=,.@-", c)) {
			return "may only hold letters, digits and _+=,.@-"
		}
	}
	return ""
}

// SSOSessionNamed is [sso-session name], for `kagi sso login --sso-session
// NAME`.
func SSOSessionNamed(fs *Files, name string) (*SSOSession, error) {
	if fs == nil {
		fs = &Files{}
	}
	return sessionSection(fs, name, setting{}, "")
}

// SSOSessionOf is the session profile signs in with: its own sso_session or
// sso_start_url (sso_account_id and sso_role_name are not needed to sign
// in), else that of the profile it takes credentials from through
// source_profile, and so on.
func SSOSessionOf(fs *Files, profile string) (*SSOSession, error) {
	if fs == nil {
		fs = &Files{}
	}
	r := &resolver{fs: fs, views: map[string]*view{}, lent: map[string]map[string]setting{}}
	seen := map[string]bool{}
	var path []string
	for cur := profile; ; {
		if !fs.HasProfile(cur) {
			return nil, r.unknown(cur)
		}
		v, err := r.view(cur)
		if err != nil {
			return nil, err
		}
		if firstSSOKey(v).set() {
			return r.sessionOf(v)
		}
		seen[cur] = true
		path = append(path, cur)
		sp := v.get("source_profile")
		if !sp.set() || sp.value == cur {
			break
		}
		if seen[sp.value] {
			i := 0
			for path[i] != sp.value {
				i++
			}
			return nil, &CycleError{Path: append(append([]string{}, path[i:]...), sp.value), Via: "source_profile", File: sp.file, Line: sp.line}
		}
		cur = sp.value
	}
	return nil, &SettingError{Profile: profile, Problem: "does not use IAM Identity Center (SSO): neither it nor a profile it takes credentials from sets sso_session or sso_start_url",
		NextStep: "sign in with `kagi sso login --sso-session NAME`, or name a profile that has sso_session", Err: ErrNotSSO}
}

// ErrNotSSO is wrapped by SSOSessionOf's error for a profile that does not
// use IAM Identity Center (as opposed to one whose settings are wrong).
var ErrNotSSO = errors.New("the profile does not use IAM Identity Center")

// SSOSessions are every [sso-session] section of the config file, in file
// order, then the legacy start URLs of profiles (one per start URL and
// region), for discovery and doctor. Sections and profiles that cannot be
// read are errors, the rest are still returned.
func SSOSessions(fs *Files) ([]SSOSession, []error) {
	if fs == nil {
		fs = &Files{}
	}
	var (
		out  []SSOSession
		errs []error
	)
	for _, s := range fs.Config.sections() {
		if s.Kind != SSOSessionSection {
			continue
		}
		sess, err := sessionSection(fs, s.Name, setting{}, "")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, *sess)
	}
	r := &resolver{fs: fs, views: map[string]*view{}, lent: map[string]map[string]setting{}}
	seen := map[[2]string]bool{}
	for _, name := range fs.ProfileNames() {
		v, err := r.view(name)
		if err != nil {
			continue // not an Identity Center problem; Resolve reports it
		}
		if v.get("sso_session").set() || !v.get("sso_start_url").set() {
			continue
		}
		sess, err := r.sessionOf(v)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		k := [2]string{sess.StartURL, sess.Region}
		if !seen[k] {
			seen[k] = true
			out = append(out, *sess)
		}
	}
	return out, errs
}

// ssoOnly is the source of a profile with sso_* settings (sso is the first)
// and no role_arn. Where the AWS CLI and the Go SDK read the same profile
// differently, kagi refuses it rather than pick one: keys in the files
// (botocore takes SSO first, the Go SDK the keys), credential_source and
// source_profile (the Go SDK refuses them without role_arn, botocore
// ignores them). credential_process loses to SSO in both, and here. The
// differential corpus (sso_*.txtar) pins each of these.
func (r *resolver) ssoOnly(v *view, sso, sp, cs setting) (Source, error) {
	conflict := func(at setting, what string) error {
		return r.errAt(at, v.name, at.key.Name,
			fmt.Sprintf("is set beside IAM Identity Center settings (%s, line %d); %s", sso.key.Name, sso.line, what),
			fmt.Sprintf("keep the sso_* settings in profile %q and move %s to a profile of its own", v.name, at.key.Name))
	}
	for _, k := range []string{"aws_access_key_id", "aws_secret_access_key", "aws_session_token"} {
		if at := v.get(k); at.set() {
			return Source{}, conflict(at, "the AWS CLI would use Identity Center and the Go SDK the keys")
		}
	}
	if cs.set() {
		return Source{}, conflict(cs, "without role_arn the Go SDK refuses the profile and the AWS CLI uses Identity Center")
	}
	if sp.set() && sp.value != v.name {
		return Source{}, conflict(sp, "without role_arn the Go SDK refuses the profile and the AWS CLI uses Identity Center")
	}
	if proc := v.get("credential_process"); proc.set() {
		r.note("ignored", v.name, "credential_process: IAM Identity Center settings come first, as in the AWS CLI and the Go SDK", proc)
	}
	return r.ssoSource(v)
}

func missingList(keys []string) string {
	if len(keys) == 1 {
		return keys[0] + " is missing"
	}
	return strings.Join(keys, " and ") + " are missing"
}

package sso

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kagi-cli/kagi/internal/atomicfile"
	"github.com/kagi-cli/kagi/internal/fsguard"
)

// maxCacheFile bounds what is read from ~/.aws/sso/cache: a token or a
// client registration is well under 8 KiB.
const maxCacheFile = 64 << 10

// timeLayout is how the AWS CLI v2 writes times in its SSO cache
// (awscli/customizations/sso/utils.py: _serialize_utc_timestamp), and what
// the AWS SDK for Go v2 (time.RFC3339) and botocore (dateutil) parse.
const timeLayout = "2006-01-02T15:04:05Z"

// legacyTimeLayout is how early AWS CLI v2 releases wrote expiresAt
// ("2019-11-14T04:05:45UTC"); botocore still reads it, so kagi does too.
const legacyTimeLayout = "2006-01-02T15:04:05UTC"

// Token is one file of the AWS CLI v2's SSO token cache,
// ~/.aws/sso/cache/<sha1>.json, with the fields `aws sso login` writes.
// Fields kagi does not know are kept when it rewrites the file.
type Token struct {
	StartURL              string
	Region                string
	AccessToken           string
	ExpiresAt             time.Time
	ClientID              string
	ClientSecret          string
	RegistrationExpiresAt time.Time
	RefreshToken          string

	other map[string]json.RawMessage
}

// Registration is a client registration (RegisterClient's answer) as the
// AWS CLI v2 caches it beside the tokens: valid for about 90 days, reused
// by every sign-in to the same session until then.
type Registration struct {
	ClientID     string
	ClientSecret string
	ExpiresAt    time.Time
	Scopes       []string // as registered; nil when none were asked for
	GrantTypes   []string // set for the authorization-code flow's registrations
}

// TokenPath is the file the AWS CLI v2, botocore and the AWS SDK for Go v2
// read the token of cache key from (config.SSOSession.CacheKey: the hex
// SHA-1 of the session's name, or of the start URL for a legacy profile).
func TokenPath(dir, key string) string { return filepath.Join(dir, key+".json") }

// RegistrationKey is the base name the AWS CLI v2 gives the client
// registration of a session (awscli/botocore/utils.py,
// BaseSSOTokenFetcher._registration_cache_key): the hex SHA-1 of
//
//	json.dumps({"tool": "botocore", "startUrl": ..., "region": ...,
//	            "scopes": ..., "session_name": ...}, sort_keys=True)
//
// with Python's default separators and ASCII escaping, scopes null when
// none are configured and session_name null for a legacy profile. Sharing
// the name lets kagi and the AWS CLI reuse one registration.
func RegistrationKey(startURL, region string, scopes []string, sessionName string) string {
	var b strings.Builder
	b.WriteString(`{"region": `)
	pyString(&b, region)
	b.WriteString(`, "scopes": `)
	if scopes == nil {
		b.WriteString("null")
	} else {
		b.WriteString("[")
		for i, s := range scopes {
			if i > 0 {
				b.WriteString(", ")
			}
			pyString(&b, s)
		}
		b.WriteString("]")
	}
	b.WriteString(`, "session_name": `)
	if sessionName == "" {
		b.WriteString("null")
	} else {
		pyString(&b, sessionName)
	}
	b.WriteString(`, "startUrl": `)
	pyString(&b, startURL)
	b.WriteString(`, "tool": "botocore"}`)
	sum := sha1.Sum([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// pyString writes s as Python's json.dumps does with ensure_ascii: the
// short escapes, \u00XX for other control characters, \uXXXX (surrogate
// pairs past U+FFFF) for everything outside ASCII.
func pyString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20:
			fmt.Fprintf(b, `\u%04x`, r)
		case r < 0x80:
			b.WriteRune(r)
		case r > 0xffff:
			r -= 0x10000
			fmt.Fprintf(b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		default:
			fmt.Fprintf(b, `\u%04x`, r)
		}
	}
	b.WriteByte('"')
}

// tokenFields are the fields of Token in the file.
var tokenFields = []string{"startUrl", "region", "accessToken", "expiresAt", "clientId", "clientSecret", "registrationExpiresAt", "refreshToken"}

// MarshalJSON writes the token as the AWS CLI v2 does: times in UTC with
// a Z, empty fields left out, unknown fields kept.
func (t Token) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	for k, v := range t.other {
		m[k] = v
	}
	set := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	set("startUrl", t.StartURL)
	set("region", t.Region)
	set("accessToken", t.AccessToken)
	set("expiresAt", formatTime(t.ExpiresAt))
	set("clientId", t.ClientID)
	set("clientSecret", t.ClientSecret)
	set("registrationExpiresAt", formatTime(t.RegistrationExpiresAt))
	set("refreshToken", t.RefreshToken)
	return json.Marshal(m)
}

// UnmarshalJSON reads a token file. A field of the wrong type is an error
// that names the field, never its value.
func (t *Token) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return errors.New("not a JSON object")
	}
	*t = Token{}
	strs := map[string]*string{
		"startUrl": &t.StartURL, "region": &t.Region, "accessToken": &t.AccessToken,
		"clientId": &t.ClientID, "clientSecret": &t.ClientSecret, "refreshToken": &t.RefreshToken,
	}
	times := map[string]*time.Time{"expiresAt": &t.ExpiresAt, "registrationExpiresAt": &t.RegistrationExpiresAt}
	for k, raw := range m {
		if p, ok := strs[k]; ok {
			if err := json.Unmarshal(raw, p); err != nil {
				return fmt.Errorf("field %q is not a string", k)
			}
			continue
		}
		if p, ok := times[k]; ok {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return fmt.Errorf("field %q is not a string", k)
			}
			tm, err := parseTime(s)
			if err != nil {
				return fmt.Errorf("field %q: %w", k, err)
			}
			*p = tm
			continue
		}
		if t.other == nil {
			t.other = map[string]json.RawMessage{}
		}
		t.other[k] = raw
	}
	return nil
}

func (r Registration) MarshalJSON() ([]byte, error) {
	m := map[string]any{
		"clientId":     r.ClientID,
		"clientSecret": r.ClientSecret,
		"expiresAt":    formatTime(r.ExpiresAt),
	}
	if r.Scopes != nil {
		m["scopes"] = r.Scopes
	}
	if r.GrantTypes != nil {
		m["grantTypes"] = r.GrantTypes
	}
	return json.Marshal(m)
}

func (r *Registration) UnmarshalJSON(data []byte) error {
	var raw struct {
		ClientID     string   `json:"clientId"`
		ClientSecret string   `json:"clientSecret"`
		ExpiresAt    string   `json:"expiresAt"`
		Scopes       []string `json:"scopes"`
		GrantTypes   []string `json:"grantTypes"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return errors.New("not a client registration")
	}
	exp, err := parseTime(raw.ExpiresAt)
	if err != nil {
		return fmt.Errorf("field \"expiresAt\": %w", err)
	}
	*r = Registration{ClientID: raw.ClientID, ClientSecret: raw.ClientSecret, ExpiresAt: exp, Scopes: raw.Scopes, GrantTypes: raw.GrantTypes}
	return nil
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(legacyTimeLayout, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time", s)
}

// CacheFileError is a file of the SSO cache kagi cannot use.
type CacheFileError struct {
	Path string
	Err  error
}

func (e *CacheFileError) Error() string {
	return fmt.Sprintf("SSO cache file %q: %v", e.Path, e.Err)
}
func (e *CacheFileError) Unwrap() error { return e.Err }
func (e *CacheFileError) Hint() string {
	return "remove it, then sign in again with kagi sso login (or aws sso login)"
}

// readJSON reads path into v, bounded, refusing a file another user can
// change (it could hand kagi someone else's token or registration).
// ok is false when the file does not exist.
func readJSON(path string, v json.Unmarshaler) (ok bool, err error) {
	data, err := fsguard.Read(path, maxCacheFile)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, &CacheFileError{Path: path, Err: err}
	}
	if err := fsguard.CheckNotWritable(path, "SSO cache file"); err != nil {
		return false, err
	}
	if err := v.UnmarshalJSON(bytes.TrimSpace(data)); err != nil {
		return false, &CacheFileError{Path: path, Err: err}
	}
	return true, nil
}

// writeJSON replaces path with v's JSON, 0600, atomically, creating its
// directory 0700 when missing (as the AWS CLI does).
func writeJSON(path string, v json.Marshaler) error {
	data, err := v.MarshalJSON()
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create the SSO cache directory: %w", err)
	}
	if err := atomicfile.Write(path, data, 0o600, "."+filepath.Base(path)+".tmp*"); err != nil {
		return fmt.Errorf("write SSO cache file %q: %w", path, err)
	}
	return nil
}

// ReadToken reads the token cache file at path; ok is false when there is
// none.
func ReadToken(path string) (t Token, ok bool, err error) {
	ok, err = readJSON(path, &t)
	return t, ok, err
}

// WriteToken writes t to path as the AWS CLI v2 would.
func WriteToken(path string, t Token) error { return writeJSON(path, t) }

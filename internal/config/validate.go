package config

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// These checks are written by hand rather than with regexp: they run on every
// kagi call, and a compiled regexp per pattern would cost more than the
// whole resolution. The character sets are STS's documented patterns.

// STS limits (AssumeRole, GetSessionToken API reference).
const (
	minRoleDuration    = 900 * time.Second
	maxRoleDuration    = 12 * time.Hour
	maxChainedDuration = time.Hour // role chaining caps a session at one hour
	minMFADuration     = 900 * time.Second
	maxMFADuration     = 36 * time.Hour
	defaultMFADuration = 12 * time.Hour
)

func isWord(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

// onlyChars reports whether every byte of s is a word character or in extra.
func onlyChars(s, extra string) bool {
	for i := 0; i < len(s); i++ {
		if !isWord(s[i]) && strings.IndexByte(extra, s[i]) < 0 {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// iamARN checks arn:PARTITION:iam::ACCOUNT:TYPE/[path/]name and returns a
// problem description, or "".
func iamARN(s, typ string) string {
	want := "want arn:aws:iam::123456789012:" + typ + "/NAME"
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" {
		return "not an IAM " + typ + " ARN (" + want + ")"
	}
	p := parts[1]
	if !strings.HasPrefix(p, "aws") || !onlyChars(p, "-") || strings.IndexByte(p, '_') >= 0 {
		return "unknown partition " + strconv.Quote(p) + " (" + want + ")"
	}
	if parts[3] != "" {
		return "IAM ARNs have no region (" + want + ")"
	}
	if len(parts[4]) != 12 || !allDigits(parts[4]) {
		return "the account ID must be 12 digits (" + want + ")"
	}
	res, ok := strings.CutPrefix(parts[5], typ+"/")
	if !ok {
		return "not an IAM " + typ + " ARN (" + want + ")"
	}
	if len(res) > 2048 {
		return "the " + typ + " path and name are too long"
	}
	segs := strings.Split(res, "/")
	name := segs[len(segs)-1]
	if name == "" || len(name) > 64 {
		return "the " + typ + " name must be 1 to 64 characters"
	}
	for _, seg := range segs {
		if seg == "" || !onlyChars(seg, "+=,.@-") {
			return "the " + typ + " path or name has a character IAM does not allow"
		}
	}
	return ""
}

func checkRoleARN(s string) string { return iamARN(s, "role") }

// checkMFASerial accepts a virtual or FIDO device's ARN or a hardware
// token's serial number (such as GAHT12345678).
func checkMFASerial(s string) string {
	if strings.HasPrefix(s, "arn:") {
		return iamARN(s, "mfa")
	}
	if len(s) < 9 || len(s) > 256 || !onlyChars(s, "") || strings.IndexByte(s, '_') >= 0 {
		return "not an MFA device ARN (arn:aws:iam::123456789012:mfa/NAME) or a hardware token serial number"
	}
	return ""
}

// checkSessionName is STS's RoleSessionName (also SourceIdentity): 2 to 64
// of [\w+=,.@-].
func checkSessionName(s string) string {
	if len(s) < 2 || len(s) > 64 {
		return "must be 2 to 64 characters"
	}
	if !onlyChars(s, "+=,.@-") {
		return "may only hold letters, digits and _+=,.@-"
	}
	return ""
}

func checkExternalID(s string) string {
	if len(s) < 2 || len(s) > 1224 {
		return "must be 2 to 1224 characters"
	}
	if !onlyChars(s, "+=,.@:/-") {
		return "may only hold letters, digits and _+=,.@:/-"
	}
	return ""
}

// parseSeconds reads duration_seconds: a whole number of seconds, as the
// AWS CLI reads it.
func parseSeconds(s string) (time.Duration, string) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, "not a whole number of seconds"
	}
	if n > int64(maxMFADuration/time.Second)*10 {
		return 0, "far above what STS allows"
	}
	return time.Duration(n) * time.Second, ""
}

// parseFlexDuration reads kagi's own durations: seconds ("43200") or a Go
// duration ("12h", "90m").
func parseFlexDuration(s string) (time.Duration, string) {
	if allDigits(s) {
		return parseSeconds(s)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, "not a duration (write seconds, or a duration such as 12h or 90m)"
	}
	return d, ""
}

func checkRoleDuration(d time.Duration, chained bool) string {
	if d < minRoleDuration || d > maxRoleDuration {
		return "STS allows 900 to 43200 seconds (15m to 12h) for a role session"
	}
	if chained && d > maxChainedDuration {
		return "this role is assumed from another role, and STS caps a chained role session at 3600 seconds (1h)"
	}
	return ""
}

func checkMFADuration(d time.Duration) string {
	if d < minMFADuration || d > maxMFADuration {
		return "STS allows 900 seconds to 36h for an MFA session (GetSessionToken)"
	}
	return ""
}

// parseTags reads aws-vault's session_tags: "k=v,k2=v2".
func parseTags(s string) (map[string]string, string) {
	tags := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		k, v = trimSpace(k), trimSpace(v)
		if !ok || k == "" {
			return nil, "want key=value pairs separated by commas"
		}
		tags[k] = v
	}
	return tags, ""
}

// parseList reads aws-vault's transitive_session_tags: "k,k2".
func parseList(s string) []string {
	var out []string
	for _, k := range strings.Split(s, ",") {
		if k = trimSpace(k); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// Session tag limits (STS API reference, Tag; IAM User Guide, session tags).
const (
	maxSessionTags = 50
	maxTagKey      = 128
	maxTagValue    = 256
)

// tagChars is STS's pattern for tag keys and values: [\p{L}\p{Z}\p{N}_.:/=+\-@].
func tagChars(s string) bool {
	for _, c := range s {
		if !unicode.IsLetter(c) && !unicode.Is(unicode.Z, c) && !unicode.IsNumber(c) && !strings.ContainsRune("_.:/=+-@", c) {
			return false
		}
	}
	return true
}

// checkTag is one session tag: a key of 1 to 128 characters, a value of at
// most 256, both of STS's characters; keys starting with aws: are AWS's own.
func checkTag(k, v string) string {
	switch {
	case k == "" || utf8.RuneCountInString(k) > maxTagKey:
		return "a tag key must be 1 to 128 characters"
	case utf8.RuneCountInString(v) > maxTagValue:
		return "a tag value must be at most 256 characters"
	case !tagChars(k) || !tagChars(v):
		return "tags may only hold letters, digits, spaces and _.:/=+-@"
	case strings.HasPrefix(strings.ToLower(k), "aws:"):
		return "tag keys starting with aws: are reserved"
	}
	return ""
}

// checkTags checks every tag and the count.
func checkTags(tags map[string]string) string {
	if len(tags) > maxSessionTags {
		return "STS takes at most 50 session tags"
	}
	for k, v := range tags {
		if p := checkTag(k, v); p != "" {
			return p + " (tag " + strconv.Quote(k) + ")"
		}
	}
	return ""
}

// checkTransitive: a transitive key marks a tag of this session as passed
// on to the roles it assumes, so it must be one of the session's tags; a key
// without a tag marks nothing and is a mistake worth stopping for.
func checkTransitive(tags map[string]string, keys []string) string {
	for _, k := range keys {
		if _, ok := tags[k]; !ok {
			return "transitive tag key " + strconv.Quote(k) + " is not a session tag"
		}
	}
	return ""
}

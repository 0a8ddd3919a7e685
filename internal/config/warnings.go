package config

import (
	"fmt"
	"strings"
)

// Codes of the lines kagi reads differently from the AWS CLI (botocore) or
// the AWS SDK for Go v2 (Terraform). Each is a row of the table in
// docs/config.md, and each is pinned by a case of the differential corpus
// (testdata/differential), which parses every case with all three.
const (
	CodeDuplicateSection  = "duplicate-section"   // a profile declared twice in one file
	CodeDuplicateKey      = "duplicate-key"       // a key set twice in one section
	CodeBadLine           = "bad-line"            // a line that is no header, key, comment or continuation
	CodeHeaderText        = "header-text"         // text after "]" that is not a comment
	CodeIndentedHeader    = "indented-header"     // a header indented under a key
	CodeInlineComment     = "inline-comment"      // " # ..." after a value
	CodeQuotedValue       = "quoted-value"        // a value in quotes
	CodeIndentedKey       = "indented-key"        // an indented "name = value" under a key with a value
	CodeHeaderSpace       = "header-space"        // [ profile a ], [default ]
	CodeHeaderName        = "header-name"         // a profile name with quotes, spaces or backslashes
	CodeHeaderCommentChar = "header-comment-char" // a profile name with '#' or ';'
	CodeCredentialsPrefix = "credentials-profile-prefix"
	CodeDefaultSection    = "default-section"     // [DEFAULT]
	CodeSubKeyCase        = "subsection-key-case" // "Max_Queue_Size" under "s3 ="
	CodeBlankInValue      = "blank-line-in-value" // a blank line between continuation lines
	CodeLoneCR            = "lone-cr"             // a CR without LF
	CodeBOM               = "bom"
	CodeNotUTF8           = "not-utf8"
)

// Warning is a line of a shared file that another tool reads differently
// from kagi, or a section kagi will not use (Unusable). kagi prints the
// warnings of the profiles a command reads (and those about a whole file);
// `kagi list` prints them all.
type Warning struct {
	File string
	Line int
	// Section is the header the line is under ("profile a", "default",
	// "sso-session s", "a" in the credentials file); "" when the warning is
	// about the whole file.
	Section string
	// Profile is the profile the line belongs to; "" outside a profile.
	Profile string
	Code    string // one of the Code constants
	Message string
	// Unusable: kagi will not use the section; resolving the profile fails
	// with a *SectionError saying why.
	Unusable bool

	lazy func() string // builds Message (see File.Warnings)
}

func (w Warning) String() string {
	s := fmt.Sprintf("%s:%d: ", w.File, w.Line)
	if w.Profile != "" {
		s += fmt.Sprintf("profile %q: ", w.Profile)
	} else if w.Section != "" {
		s += fmt.Sprintf("[%s]: ", w.Section)
	}
	return s + w.Message
}

// SectionError is a section kagi will not use because it is broken or
// ambiguous: the other tools read it differently, or refuse the whole file.
// The other sections of the file still work.
type SectionError struct {
	File    string
	Line    int
	Profile string // "" for an sso-session or services section
	Section string // the header, as in Warning
	Reason  string
}

func (e *SectionError) Error() string {
	if e.Profile != "" {
		return fmt.Sprintf("%s:%d: profile %q cannot be used: %s", e.File, e.Line, e.Profile, e.Reason)
	}
	return fmt.Sprintf("%s:%d: section [%s] cannot be used: %s", e.File, e.Line, e.Section, e.Reason)
}

// Hint is the next step for the user.
func (e *SectionError) Hint() string {
	return fmt.Sprintf("fix line %d of %s so that every AWS tool reads it the same way (see docs/config.md); the other profiles still work", e.Line, e.File)
}

// Warnings returns the warnings of both files: the config file's, then the
// credentials file's, each in line order.
func (fs *Files) Warnings() []Warning {
	if fs == nil {
		return nil
	}
	var out []Warning
	for _, f := range []*File{fs.Config, fs.Credentials} {
		if f != nil {
			out = append(out, f.Warnings()...)
		}
	}
	return out
}

// WarningsFor returns what a command that read the given profiles should
// print: the usable warnings of those profiles, and those about a whole
// file. The warnings of other profiles are left to `kagi list` and `kagi
// doctor`: a credential_process call for one profile does not repeat
// another profile's problems on every run.
func (fs *Files) WarningsFor(profiles []string) []Warning {
	var out []Warning
	for _, w := range fs.Warnings() {
		if w.Unusable {
			continue // the profile's error says it
		}
		if w.Section == "" {
			out = append(out, w)
			continue
		}
		for _, p := range profiles {
			if w.Profile != "" && w.Profile == p {
				out = append(out, w)
				break
			}
		}
	}
	return out
}

// sensitiveKey: values not repeated in a warning (keys, and helper
// command lines that may hold a secret).
func sensitiveKey(name string) bool {
	switch name {
	case "aws_access_key_id", "aws_secret_access_key", "aws_session_token", "aws_security_token",
		"credential_process", "mfa_process", "web_identity_token_process":
		return true
	}
	return false
}

// shellSplit splits s as Python's shlex.split does (POSIX mode), which
// botocore uses for section headers. ok is false where shlex raises
// (an unclosed quote or a trailing backslash).
func shellSplit(s string) (words []string, ok bool) {
	var (
		cur    strings.Builder
		inWord bool
		quote  byte
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case quote == '"':
			switch {
			case c == '"':
				quote = 0
			case c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
				i++
				cur.WriteByte(s[i])
			default:
				cur.WriteByte(c)
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == '\\':
			if i+1 >= len(s) {
				return nil, false
			}
			i++
			cur.WriteByte(s[i])
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, false
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, true
}

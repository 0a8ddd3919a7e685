// Package config reads the AWS shared config and credentials files and
// resolves a profile into the chain kagi follows to get credentials: a
// source, an optional MFA session, and the roles assumed in turn.
//
// Parsing follows what the AWS CLI (botocore) and the AWS SDK for Go v2 accept,
// so a file that works with them works here; resolution is a pure function of
// the parsed files, the flags and the environment, so it is tested with maps.
package config

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// FileKind says which of the two shared files a File was read from; the
// section headers mean different things in each.
type FileKind int

const (
	// ConfigFile is ~/.aws/config: [default], [profile NAME], [sso-session NAME], [services NAME].
	ConfigFile FileKind = iota + 1
	// CredentialsFile is ~/.aws/credentials: every [NAME] is a profile.
	CredentialsFile
)

// SectionKind is what a section header declares.
type SectionKind int

const (
	ProfileSection    SectionKind = iota + 1 // [default], [profile NAME]; any [NAME] in the credentials file
	SSOSessionSection                        // [sso-session NAME]
	ServicesSection                          // [services NAME]
	// IgnoredSection is a bare [NAME] (other than [default]) in the config
	// file. The AWS CLI does not read it as a profile; it is kept so that
	// Format loses nothing and so that a lookup can say why NAME is unknown.
	IgnoredSection
)

// File is one parsed shared file.
type File struct {
	Path     string // as given (e.g. "~/.aws/config"), used in messages
	Kind     FileKind
	Sections []*Section // in order of first appearance; duplicates are merged (and unusable)
	// warns are the lines the AWS CLI or the Go SDK read differently, and
	// the sections kagi will not use, in line order (see Warnings).
	warns []Warning

	index      map[sectionID]*Section
	unreadable *ParseError // the first line kagi could not read (see Err)
	notes      []string    // for --debug: sections every tool ignores
}

type sectionID struct {
	kind SectionKind
	name string
}

// Section is one [header] and its keys.
type Section struct {
	Kind SectionKind
	// Name is the profile, sso-session or services name; for an
	// IgnoredSection, the whole text between the brackets.
	Name string
	Line int // of the first header that declared it
	Keys []*Key
	// Err is set when kagi will not use the section: it is broken or
	// ambiguous (see Warning.Unusable).
	Err *SectionError

	header string // the text between the brackets, trimmed
}

// Key is one setting. Names are matched case-insensitively, as the SDKs do.
type Key struct {
	Name  string // lower-cased
	Raw   string // the name as written, used by Format
	Value string // inline comment stripped; continuation lines joined with "\n"
	Line  int
	// Sub holds the keys of a nested sub-section ("s3 =" followed by
	// indented "key = value" lines); Value is then empty.
	Sub []*Key

	indent int
}

// ParseError is a line the parser cannot read. The line's text is not
// repeated, since a malformed line may hold a secret key.
type ParseError struct {
	File string
	Line int
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Profile returns the profile section called name, or nil. [default] and
// [profile default] are the same profile. A nil File has no profiles.
func (f *File) Profile(name string) *Section {
	return f.Section(ProfileSection, name)
}

// Section returns the section of that kind and name, or nil.
func (f *File) Section(kind SectionKind, name string) *Section {
	if f == nil {
		return nil
	}
	if f.index != nil {
		return f.index[sectionID{kind, name}]
	}
	for _, s := range f.Sections {
		if s.Kind == kind && s.Name == name {
			return s
		}
	}
	return nil
}

// Notes describes sections the AWS CLI would ignore, for --debug.
func (f *File) Notes() []string {
	if f == nil {
		return nil
	}
	var notes []string
	for _, s := range f.Sections {
		if s.Kind == IgnoredSection {
			notes = append(notes, fmt.Sprintf("%s:%d: section [%s] is not a profile in the config file (write [profile %s]); ignored", f.Path, s.Line, s.Name, s.Name))
		}
	}
	return append(notes, f.notes...)
}

// Key returns the key called name (case-insensitive), or nil.
func (s *Section) Key(name string) *Key {
	if s == nil {
		return nil
	}
	name = lowerName(name)
	for _, k := range s.Keys {
		if k.Name == name {
			return k
		}
	}
	return nil
}

// Get returns the value of the key called name and whether it is set.
func (s *Section) Get(name string) (string, bool) {
	k := s.Key(name)
	if k == nil {
		return "", false
	}
	return k.Value, true
}

// SubKey returns the key called name in k's sub-section, or nil.
func (k *Key) SubKey(name string) *Key {
	if k == nil {
		return nil
	}
	name = lowerName(name)
	for _, s := range k.Sub {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'
}

// trimSpace trims white space as botocore (str.strip) and the Go SDK
// (strings.TrimSpace) trim names and values: Unicode spaces too, so that
// "region = us-east-1\u00a0" is us-east-1 to all three.
func trimSpace(s string) string {
	return strings.TrimSpace(s)
}

func indentOf(s string) int {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

// lowerName lower-cases a key name as botocore and the Go SDK do (Unicode).
func lowerName(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return strings.ToLower(s)
		}
	}
	return lowerASCII(s)
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'A' <= c && c <= 'Z' {
					b[j] = c + ('a' - 'A')
				}
			}
			return string(b)
		}
	}
	return s
}

// stripComment removes an inline comment: '#' or ';' preceded by
// whitespace. The AWS SDK for Go and aws-vault strip these, and users write
// them ("source_profile=jumpuser # the IAM user"); a '#' inside a value with
// no space before it ("key=a#b") is kept, as it may be part of the value.
// The AWS CLI keeps inline comments: Parse warns where they differ.
func stripComment(s string) string {
	for i := 1; i < len(s); i++ {
		if (s[i] == '#' || s[i] == ';') && isSpace(s[i-1]) {
			return s[:i]
		}
	}
	return s
}

// splitKey splits "name = value" or "name: value" at the first '=' or ':',
// as botocore (configparser) and the Go SDK do.
func splitKey(t string) (name, value string, ok bool) {
	i := strings.IndexAny(t, "=:")
	if i < 0 {
		return "", "", false
	}
	return trimSpace(t[:i]), t[i+1:], true
}

// Err returns the first line kagi could not read, as a *ParseError, or nil.
// Reading goes on past such a line (the section it is in is unusable), but
// a program that rewrites the file (internal/credfile) refuses it.
func (f *File) Err() error {
	if f == nil || f.unreadable == nil {
		return nil
	}
	return f.unreadable
}

// Format writes f as a canonical file: one header per section
// ([default], [profile NAME], ... in the config file; [NAME] in the
// credentials file), keys as "name = value" with names as written,
// continuation and sub-section lines indented by four spaces, comments and
// blank lines dropped. Parsing the result gives the same sections, keys and
// values. (Edits that must keep a user's file byte for byte are
// internal/credfile's job.)
func (f *File) Format() []byte {
	var b bytes.Buffer
	for i, s := range f.Sections {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteByte('[')
		switch {
		case f.Kind != ConfigFile || s.Kind == IgnoredSection:
			b.WriteString(s.Name)
		case s.Kind == ProfileSection && s.Name == "default":
			b.WriteString("default")
		case s.Kind == ProfileSection:
			b.WriteString("profile " + s.Name)
		case s.Kind == SSOSessionSection:
			b.WriteString("sso-session " + s.Name)
		case s.Kind == ServicesSection:
			b.WriteString("services " + s.Name)
		}
		b.WriteString("]\n")
		for _, k := range s.Keys {
			writeKey(&b, "", k)
			for _, sub := range k.Sub {
				writeKey(&b, "    ", sub)
			}
		}
	}
	return b.Bytes()
}

func writeKey(b *bytes.Buffer, indent string, k *Key) {
	b.WriteString(indent)
	b.WriteString(k.Raw)
	first, rest, _ := strings.Cut(k.Value, "\n")
	switch {
	case first == "":
		b.WriteString(" =")
	case first[0] == '#' || first[0] == ';':
		// No space: after whitespace this would read back as a comment.
		b.WriteString(" =" + first)
	default:
		b.WriteString(" = " + first)
	}
	b.WriteByte('\n')
	for rest != "" {
		var l string
		l, rest, _ = strings.Cut(rest, "\n")
		b.WriteString(indent + "    " + l + "\n")
	}
}

// TrimSpace, Indent and StripComment are the parser's own rules for white
// space and inline comments, for code that edits these files line by line
// (internal/credfile): it must read every line exactly as Parse does.
func TrimSpace(s string) string { return trimSpace(s) }

// Indent is the width of s's leading white space, as Parse counts it.
func Indent(s string) int { return indentOf(s) }

// StripComment removes an inline comment ('#' or ';' after white space).
func StripComment(s string) string { return stripComment(s) }

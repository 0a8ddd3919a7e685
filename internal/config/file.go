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
	Sections []*Section // in order of first appearance; duplicates are merged

	index map[sectionID]*Section
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
	return notes
}

// Key returns the key called name (case-insensitive), or nil.
func (s *Section) Key(name string) *Key {
	if s == nil {
		return nil
	}
	name = lowerASCII(name)
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
	name = lowerASCII(name)
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

func trimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

func indentOf(s string) int {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
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
func stripComment(s string) string {
	for i := 1; i < len(s); i++ {
		if (s[i] == '#' || s[i] == ';') && isSpace(s[i-1]) {
			return s[:i]
		}
	}
	return s
}

// Parse reads a shared file. path is only used in messages.
//
// Rules, as botocore and the AWS SDK for Go read these files: keys are
// "name = value" with any whitespace around both; full-line comments start
// with '#' or ';'; an inline comment starts at '#' or ';' after whitespace;
// a line indented deeper than the key before it continues that key's value
// (joined with "\n"), or, when that key's value is empty, is a "name = value"
// of its nested sub-section. Duplicate sections merge and a later duplicate
// key replaces an earlier one. CRLF line endings and a leading BOM are
// accepted.
func Parse(path string, kind FileKind, data []byte) (*File, error) {
	f := &File{Path: path, Kind: kind, index: map[sectionID]*Section{}}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	var (
		cur  *Section
		last *Key // the key indented lines attach to
	)
	text := string(data)
	for n := 1; len(text) > 0; n++ {
		line := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = ""
		}
		t := trimSpace(line)
		if t == "" || t[0] == '#' || t[0] == ';' {
			continue
		}
		if t[0] == '[' {
			s, err := f.header(t, n)
			if err != nil {
				return nil, err
			}
			cur, last = s, nil
			continue
		}
		indent := indentOf(line)
		if last != nil && indent > last.indent {
			if last.Value == "" {
				// A nested sub-section, as in "s3 =\n  max_concurrent_requests = 20".
				name, value, ok := strings.Cut(t, "=")
				if !ok {
					return nil, &ParseError{path, n, fmt.Sprintf("line in the sub-section of %q has no \"=\" (expected name = value)", last.Raw)}
				}
				name = trimSpace(name)
				if name == "" {
					return nil, &ParseError{path, n, "missing key name before \"=\""}
				}
				setKey(&last.Sub, &Key{Name: lowerASCII(name), Raw: name, Value: trimSpace(stripComment(value)), Line: n, indent: indent})
				continue
			}
			last.Value += "\n" + trimSpace(stripComment(t))
			continue
		}
		name, value, ok := strings.Cut(t, "=")
		if !ok {
			return nil, &ParseError{path, n, "line has no \"=\" (expected name = value, a [section] or a # comment)"}
		}
		if cur == nil {
			return nil, &ParseError{path, n, "key before any [section] header"}
		}
		name = trimSpace(name)
		if name == "" {
			return nil, &ParseError{path, n, "missing key name before \"=\""}
		}
		last = &Key{Name: lowerASCII(name), Raw: name, Value: trimSpace(stripComment(value)), Line: n, indent: indent}
		setKey(&cur.Keys, last)
	}
	return f, nil
}

// setKey adds k, replacing a key of the same name in place (later wins).
func setKey(keys *[]*Key, k *Key) {
	for i, old := range *keys {
		if old.Name == k.Name {
			(*keys)[i] = k
			return
		}
	}
	*keys = append(*keys, k)
}

// header parses a trimmed line starting with '[' and returns its section,
// merging with an earlier one of the same kind and name.
func (f *File) header(t string, n int) (*Section, error) {
	end := strings.IndexByte(t, ']')
	if end < 0 {
		return nil, &ParseError{f.Path, n, fmt.Sprintf("section header %q has no closing \"]\"", t)}
	}
	if rest := trimSpace(t[end+1:]); rest != "" && rest[0] != '#' && rest[0] != ';' {
		return nil, &ParseError{f.Path, n, fmt.Sprintf("unexpected text %q after section header", rest)}
	}
	content := trimSpace(t[1:end])
	if content == "" {
		return nil, &ParseError{f.Path, n, "empty section name \"[]\""}
	}
	id := sectionID{ProfileSection, content}
	if f.Kind == ConfigFile && content != "default" {
		word, rest := content, ""
		for i := 0; i < len(content); i++ {
			if isSpace(content[i]) {
				word, rest = content[:i], trimSpace(content[i:])
				break
			}
		}
		switch word {
		case "profile":
			id = sectionID{ProfileSection, rest}
		case "sso-session":
			id = sectionID{SSOSessionSection, rest}
		case "services":
			id = sectionID{ServicesSection, rest}
		default:
			id = sectionID{IgnoredSection, content}
		}
		if id.name == "" {
			return nil, &ParseError{f.Path, n, fmt.Sprintf("empty name in section header [%s]", word)}
		}
	}
	if s := f.index[id]; s != nil {
		return s, nil
	}
	s := &Section{Kind: id.kind, Name: id.name, Line: n}
	f.index[id] = s
	f.Sections = append(f.Sections, s)
	return s, nil
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

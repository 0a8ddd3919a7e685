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

// Parse reads a shared file. path is only used in messages.
//
// Rules, as botocore and the AWS SDK for Go read these files: keys are
// "name = value" (or "name: value") with any whitespace around both;
// full-line comments start with '#' or ';'; an inline comment starts at
// '#' or ';' after whitespace; a line indented deeper than the key before
// it continues that key's value (joined with "\n"), or, when that key's
// value is empty, is a "name = value" of its nested sub-section. CRLF line
// endings and a leading BOM are accepted.
//
// Parse never fails: where the AWS CLI (botocore) or the Go SDK would read
// a line differently, it records a Warning; where a section is broken or
// ambiguous (declared twice, a key set twice, a line that is no key), that
// section gets an Err and the others stay usable. The error result is
// always nil; it is kept for callers that check it.
func Parse(path string, kind FileKind, data []byte) (*File, error) {
	f := &File{Path: path, Kind: kind, index: map[sectionID]*Section{}}
	p := &parser{f: f}
	if rest, ok := bytes.CutPrefix(data, []byte("\ufeff")); ok {
		data = rest
		p.fileWarn(1, CodeBOM, "the file starts with a byte order mark: the AWS CLI cannot read the file at all and the Go SDK skips its first line; save it as UTF-8 without BOM")
	}
	if !utf8.Valid(data) {
		p.fileWarn(1, CodeNotUTF8, "the file is not valid UTF-8: the AWS CLI cannot read the file at all; save it as UTF-8")
	}
	text := string(data)
	crWarned := false
	for n := 1; len(text) > 0; n++ {
		line := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = ""
		}
		line = strings.TrimSuffix(line, "\r")
		if strings.IndexByte(line, '\r') < 0 {
			p.line(n, line)
			continue
		}
		// A carriage return alone (old Mac OS line ends) ends a line to
		// botocore (Python's universal newlines) but not to the Go SDK.
		if !crWarned {
			crWarned = true
			p.fileWarn(n, CodeLoneCR, "a carriage return without a line feed: the AWS CLI reads it as a line end, as kagi does, the Go SDK does not; use LF or CRLF line ends")
		}
		for _, l := range strings.Split(line, "\r") {
			p.line(n, l)
		}
	}
	return f, nil
}

type parser struct {
	f      *File
	cur    *Section // nil before the first header
	sink   bool     // cur is no section of the file: its keys go nowhere
	last   *Key     // the key indented lines attach to
	cont   bool     // last's value has continuation lines
	blanks int      // blank lines since the last line with text
}

func (p *parser) line(n int, line string) {
	t := trimSpace(line)
	if t == "" {
		// botocore keeps a blank line inside a value when more of the
		// value follows (configparser's empty_lines_in_values).
		p.blanks++
		return
	}
	if t[0] == '#' || t[0] == ';' {
		return
	}
	blanks := p.blanks
	p.blanks = 0
	indent := indentOf(line)
	if t[0] == '[' {
		under, prev := p.last, p.cur
		if under == nil || indent <= under.indent {
			under = nil
		}
		p.header(t, n)
		p.last, p.cont = nil, false
		if under != nil && !p.sink {
			p.breakSection(p.cur, n, CodeIndentedHeader, fmt.Sprintf("the header is indented under %s (line %d): the AWS CLI reads it as more of that value and the keys below it as keys of [%s]; unindent it", under.Raw, under.Line, prev.header))
			if prev.Kind == ProfileSection {
				p.f.warns = append(p.f.warns, prev.warning(p.f.Path, n, CodeIndentedHeader, fmt.Sprintf("the AWS CLI reads the indented header on line %d as more of %s and the keys below it as keys of this profile; unindent it", n, under.Raw), false))
			}
		}
		return
	}
	if p.last != nil && indent > p.last.indent {
		if p.last.Value == "" && !p.cont {
			// A nested sub-section, as in "s3 =\n  max_concurrent_requests = 20".
			// botocore splits these lines at '=' only and keeps inline
			// comments, as the Go SDK does.
			name, value, ok := strings.Cut(t, "=")
			name = trimSpace(name)
			if !ok || name == "" {
				p.bad(n, fmt.Sprintf("line in the sub-section of %q is not name = value", p.last.Raw))
				return
			}
			if lowerName(name) != name && !p.sink {
				p.warn(n, CodeSubKeyCase, fmt.Sprintf("%s: the AWS CLI matches the keys of a sub-section (here of %s) with their case, kagi and the Go SDK without; write it in lower case", name, p.last.Raw), false)
			}
			setKey(&p.last.Sub, &Key{Name: lowerName(name), Raw: name, Value: trimSpace(value), Line: n, indent: indent})
			return
		}
		if name, _, ok := splitKey(t); ok && name != "" && !p.sink {
			p.warn(n, CodeIndentedKey, fmt.Sprintf("the indented line continues the value of %s (line %d) for the AWS CLI and kagi, but is the key %q to the Go SDK; unindent it or join the lines", p.last.Raw, p.last.Line, lowerName(name)), false)
		}
		if blanks > 0 && !p.sink {
			p.warn(n, CodeBlankInValue, fmt.Sprintf("a blank line inside the value of %s (line %d): the AWS CLI and kagi keep it, the Go SDK drops it; remove the blank line", p.last.Raw, p.last.Line), false)
		}
		// botocore keeps inline comments in continuation lines, and so
		// does the Go SDK.
		p.last.Value += strings.Repeat("\n", blanks) + "\n" + t
		p.cont = true
		return
	}
	name, value, ok := splitKey(t)
	if !ok {
		p.bad(n, "line has no \"=\" (expected name = value, a [section] or a # comment)")
		return
	}
	if name == "" {
		p.bad(n, "missing key name before \"=\"")
		return
	}
	if p.cur == nil {
		p.bad(n, "key before any [section] header")
		return
	}
	v := trimSpace(value)
	k := &Key{Name: lowerName(name), Raw: name, Value: trimSpace(stripComment(value)), Line: n, indent: indent}
	if !p.sink {
		if k.Value != v {
			// Formatted only when asked for: a config with a comment after
			// every role_arn must not cost every credential_process call.
			p.warnLazy(n, CodeInlineComment, func() string {
				if sensitiveKey(k.Name) {
					return fmt.Sprintf("%s: the AWS CLI reads the inline comment as part of the value, kagi and the Go SDK do not; put the comment on a line of its own", k.Raw)
				}
				return fmt.Sprintf("%s: the AWS CLI reads %q (it keeps inline comments), kagi and the Go SDK read %q; put the comment on a line of its own", k.Raw, v, k.Value)
			})
		}
		if q := k.Value; len(q) >= 2 && (q[0] == '"' || q[0] == '\'') && q[len(q)-1] == q[0] {
			p.warnLazy(n, CodeQuotedValue, func() string {
				return fmt.Sprintf("%s: the Go SDK removes the quotes around the value, the AWS CLI and kagi keep them; remove the quotes", k.Raw)
			})
		}
		if old := p.cur.Key(k.Name); old != nil {
			p.breakSection(p.cur, n, CodeDuplicateKey, fmt.Sprintf("%s is set twice (lines %d and %d): the AWS CLI refuses the whole file, the Go SDK uses the last; keep one", k.Name, old.Line, n))
		}
	}
	p.last, p.cont = k, false
	setKey(&p.cur.Keys, k)
}

// bad records a line kagi cannot read. botocore refuses the whole file;
// the Go SDK skips the line. kagi will not use the section it is in.
func (p *parser) bad(n int, msg string) {
	if p.f.unreadable == nil {
		p.f.unreadable = &ParseError{p.f.Path, n, msg}
	}
	p.last, p.cont = nil, false
	if p.cur == nil || p.sink {
		p.fileWarn(n, CodeBadLine, msg+": kagi and the Go SDK skip it, the AWS CLI cannot read the file at all")
		return
	}
	p.breakSection(p.cur, n, CodeBadLine, msg+": the AWS CLI cannot read the file at all")
}

func (p *parser) fileWarn(n int, code, msg string) {
	p.f.warns = append(p.f.warns, Warning{File: p.f.Path, Line: n, Code: code, Message: msg})
}

// warnLazy is warn with a message built only when Warnings is called.
func (p *parser) warnLazy(n int, code string, msg func() string) {
	w := p.cur.warning(p.f.Path, n, code, "", false)
	w.lazy = msg
	p.f.warns = append(p.f.warns, w)
}

// Warnings returns the file's warnings in line order: the lines the AWS CLI
// or the Go SDK read differently, and the sections kagi will not use.
func (f *File) Warnings() []Warning {
	if f == nil || len(f.warns) == 0 {
		return nil
	}
	out := make([]Warning, len(f.warns))
	for i, w := range f.warns {
		if w.lazy != nil {
			w.Message, w.lazy = w.lazy(), nil
		}
		out[i] = w
	}
	return out
}

// warn records a warning about a line of the current section.
func (p *parser) warn(n int, code, msg string, unusable bool) {
	p.f.warns = append(p.f.warns, p.cur.warning(p.f.Path, n, code, msg, unusable))
}

func (s *Section) warning(path string, n int, code, msg string, unusable bool) Warning {
	w := Warning{File: path, Line: n, Section: s.header, Code: code, Message: msg, Unusable: unusable}
	if s.Kind == ProfileSection {
		w.Profile = s.Name
	}
	return w
}

// breakSection makes s unusable (the first reason is kept) and records why.
func (p *parser) breakSection(s *Section, n int, code, reason string) {
	if s.Err == nil {
		e := &SectionError{File: p.f.Path, Line: n, Section: s.header, Reason: reason}
		if s.Kind == ProfileSection {
			e.Profile = s.Name
		}
		s.Err = e
	}
	p.f.warns = append(p.f.warns, s.warning(p.f.Path, n, code, reason, true))
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

// toSink makes the keys that follow go nowhere: under a header that
// names no section.
func (p *parser) toSink(n int, header string) {
	p.cur, p.sink = &Section{Kind: IgnoredSection, Name: header, Line: n, header: header}, true
}

// header parses a trimmed line starting with '[' and makes its section the
// current one, merging with an earlier one of the same kind and name (which
// makes it unusable: see CodeDuplicateSection).
func (p *parser) header(t string, n int) {
	f := p.f
	prev := p.cur
	if p.sink {
		prev = nil
	}
	end := strings.IndexByte(t, ']')
	if t[len(t)-1] == ']' {
		// "[profile a]b]" is profile "a]b" to botocore (a greedy match)
		// and to the Go SDK (the line is bracketed).
		end = len(t) - 1
	}
	if end < 0 {
		p.cur, p.sink = nil, false
		p.bad(n, fmt.Sprintf("section header %q has no closing \"]\"", t))
		p.toSink(n, t)
		return
	}
	raw := t[1:end]
	content := trimSpace(raw)
	if content == "" {
		p.cur, p.sink = nil, false
		p.bad(n, "empty section name \"[]\"")
		p.toSink(n, "")
		return
	}
	id := sectionID{ProfileSection, content}
	word := ""
	if f.Kind == ConfigFile && content != "default" {
		rest := ""
		word = content
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
			// Every tool ignores [profile ], and the keys under it.
			f.notes = append(f.notes, fmt.Sprintf("%s:%d: section [%s] has no name; it and its keys are ignored, as the AWS CLI and SDKs ignore them", f.Path, n, content))
			p.cur, p.sink = nil, false
			p.toSink(n, content)
			return
		}
	}
	s := f.index[id]
	dup := s != nil
	if !dup {
		s = &Section{Kind: id.kind, Name: id.name, Line: n, header: content}
		f.index[id] = s
		f.Sections = append(f.Sections, s)
	}
	p.cur, p.sink = s, false
	if dup {
		reason := fmt.Sprintf("declared twice in this file (lines %d and %d): the AWS CLI refuses the whole file, the Go SDK merges the two; merge them into one", s.Line, n)
		if s.header != content {
			reason = fmt.Sprintf("[%s] (line %d) and [%s] (line %d) declare the same section: the AWS CLI uses one, the Go SDK merges them or uses the other; keep one", s.header, s.Line, content, n)
		}
		p.breakSection(s, n, CodeDuplicateSection, reason)
	}
	if rest := trimSpace(t[end+1:]); rest != "" && rest[0] != '#' && rest[0] != ';' {
		p.breakSection(s, n, CodeHeaderText, fmt.Sprintf("text %q after the header: the AWS CLI ignores it, the Go SDK ignores the whole header and reads the keys below it as part of the section above; remove it", rest))
		p.goMerges(prev, n)
	}
	p.checkName(raw, content, word, id, n, prev)
}

// goMerges warns prev's profile that the Go SDK reads the keys under the
// header on line n as its own.
func (p *parser) goMerges(prev *Section, n int) {
	if prev != nil && prev.Kind == ProfileSection {
		p.f.warns = append(p.f.warns, prev.warning(p.f.Path, n, CodeHeaderText, fmt.Sprintf("the Go SDK does not read the header on line %d and reads the keys below it as part of this profile", n), false))
	}
}

// checkName warns where botocore or the Go SDK name the section otherwise.
func (p *parser) checkName(raw, content, word string, id sectionID, n int, prev *Section) {
	f := p.f
	s := p.cur
	if raw != content && (isSpace(raw[0]) || f.Kind == CredentialsFile || content == "default") {
		// botocore takes the header text as written: "[ profile a ]"
		// is no profile to it, "[ a ]" in the credentials file is " a ".
		p.warn(n, CodeHeaderSpace, fmt.Sprintf("the AWS CLI does not read [%s] as this section (it keeps the spaces inside the brackets); write [%s]", raw, content), false)
	}
	if strings.ContainsAny(content, "#;") {
		p.warn(n, CodeHeaderCommentChar, "the Go SDK cuts the header at '#' or ';' and does not read it as a section; rename it", false)
		p.goMerges(prev, n)
	}
	if f.Kind == CredentialsFile {
		if strings.HasPrefix(content, "profile ") {
			p.warn(n, CodeCredentialsPrefix, fmt.Sprintf("in the credentials file [%s] is the profile %q to the AWS CLI and kagi, and ignored by the Go SDK; write [%s]", content, content, trimSpace(content[len("profile"):])), false)
		}
		return
	}
	if content == "DEFAULT" {
		p.fileWarn(n, CodeDefaultSection, "[DEFAULT]: the AWS CLI adds its keys to every profile, kagi and the Go SDK ignore it; move the keys into the profiles")
		return
	}
	if content == "default" || isSpace(raw[0]) {
		return
	}
	// botocore: a header starting with "profile" (or sso-session,
	// services) names what shlex.split finds after it, when that is one word.
	botoName := ""
	for _, prefix := range []string{"profile", "sso-session", "services"} {
		if strings.HasPrefix(content, prefix) {
			if word == prefix && !strings.ContainsAny(id.name, " \t\"'\\") {
				botoName = id.name // the usual header: no need to split it
			} else if words, ok := shellSplit(content); ok && len(words) == 2 {
				botoName = words[1]
			}
			if word != prefix || botoName != id.name {
				switch {
				case id.kind == IgnoredSection && botoName != "":
					w := Warning{File: f.Path, Line: n, Section: s.header, Code: CodeHeaderName,
						Message: fmt.Sprintf("the AWS CLI reads [%s] as %s %q; kagi and the Go SDK ignore it; write [%s %s]", content, prefix, botoName, prefix, botoName)}
					if prefix == "profile" {
						w.Profile = botoName
					}
					f.warns = append(f.warns, w)
				case id.kind != IgnoredSection && botoName == "":
					p.warn(n, CodeHeaderName, fmt.Sprintf("the AWS CLI ignores [%s] (it splits the header as a shell does); kagi and the Go SDK read %s %q", content, prefix, id.name), false)
				case id.kind != IgnoredSection:
					p.warn(n, CodeHeaderName, fmt.Sprintf("the AWS CLI reads [%s] as %s %q (it splits the header as a shell does); kagi and the Go SDK read %q", content, prefix, botoName, id.name), false)
				}
			}
			return
		}
	}
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

package config

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

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

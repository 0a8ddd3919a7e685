package credfile

import (
	"strings"

	"github.com/kagi-cli/kagi/internal/config"
)

type lineKind int

const (
	otherLine  lineKind = iota // blank, comment, or text before any header
	headerLine                 // [name]
	keyLine                    // name = value
	contLine                   // indented deeper than the key before it: part of that key
)

// line is one line of the file, its bytes split into text and ending so
// that joining the lines gives the file back exactly.
type line struct {
	text    string // without the line ending
	eol     string // "\n", "\r\n", or "" for a last line without one
	kind    lineKind
	section string // the section the line is in (its own name for a header)
	key     string // lower-cased key name, for a keyLine
	indent  int    // of a keyLine
}

// scan splits data into lines and classifies them as internal/config does.
func scan(data []byte) []line {
	var lines []line
	text := string(data)
	section := ""
	lastIndent := -1 // indent of the key continuation lines attach to
	for first := true; text != ""; first = false {
		l := line{}
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			l.text, text = text[:i], text[i+1:]
			l.eol = "\n"
			if strings.HasSuffix(l.text, "\r") {
				l.text, l.eol = l.text[:len(l.text)-1], "\r\n"
			}
		} else {
			l.text, text = text, ""
		}
		t := l.text
		if first {
			t = strings.TrimPrefix(t, "\ufeff")
		}
		indent := config.Indent(t)
		t = config.TrimSpace(t)
		switch {
		case t == "" || t[0] == '#' || t[0] == ';':
			l.kind = otherLine
		case t[0] == '[':
			if end := strings.IndexByte(t, ']'); end > 0 {
				section = config.TrimSpace(t[1:end])
				l.kind = headerLine
				lastIndent = -1
			}
		case lastIndent >= 0 && indent > lastIndent:
			l.kind = contLine
		case section != "" && strings.ContainsAny(t, "=:"):
			// "name: value" is a key too, to config.Parse as to botocore.
			name := t[:strings.IndexAny(t, "=:")]
			l.kind, l.key, l.indent = keyLine, strings.ToLower(config.TrimSpace(name)), indent
			lastIndent = indent
		}
		l.section = section
		lines = append(lines, l)
	}
	return lines
}

// value is a keyLine's value as the SDKs read it: inline comment
// stripped, spaces trimmed.
func (l line) value() string {
	v := l.text[strings.IndexAny(l.text, "=:")+1:]
	return config.TrimSpace(config.StripComment(v))
}

// withValue replaces everything after the first '=' (keeping the spaces
// the user put after it, or one) with v.
func (l line) withValue(v string) line {
	i := strings.IndexAny(l.text, "=:")
	rest := l.text[i+1:]
	sp := rest[:config.Indent(rest)]
	if sp == "" && !startsComment(v) {
		sp = " "
	}
	if startsComment(v) {
		sp = "" // after whitespace a leading '#' would read as a comment
	}
	l.text = l.text[:i+1] + sp + v
	return l
}

func newKeyLine(section, key, value, eol string) line {
	text := key + " = " + value
	if startsComment(value) {
		text = key + " =" + value
	}
	return line{text: text, eol: eol, kind: keyLine, section: section, key: strings.ToLower(key)}
}

func startsComment(v string) bool { return v != "" && (v[0] == '#' || v[0] == ';') }

func join(lines []line) []byte {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.text)
		b.WriteString(l.eol)
	}
	return []byte(b.String())
}

// lineEnding is the ending new lines get: the file's first one, else "\n".
func lineEnding(lines []line) string {
	for _, l := range lines {
		if l.eol != "" {
			return l.eol
		}
	}
	return "\n"
}

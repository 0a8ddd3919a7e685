package ssoprofiles

import (
	"fmt"
	"strings"
)

// DefaultTemplate names a profile after the account and the role,
// "prod-AdministratorAccess": the form the issue asks for, and a name that
// every tool takes as it is. granted's "{account_name}/{role_name}" reads
// well too, but a "/" in a profile name becomes a directory wherever a
// tool makes a file name of it, and "*" in `kagi exec --profiles` (a
// path.Match glob) then stops at it.
const DefaultTemplate = "{account_name}-{role_name}"

// Placeholders are what a template may hold.
var Placeholders = []string{"{account_id}", "{account_name}", "{role_name}", "{sso_session}"}

// TemplateError is a template that cannot name profiles: a usage error.
type TemplateError struct{ Template, Problem string }

func (e *TemplateError) Error() string {
	return fmt.Sprintf("template %q %s", e.Template, e.Problem)
}

// Template names profiles: its text with each placeholder replaced by the
// assignment's value, made safe for a profile name.
type Template struct {
	text  string
	parts []string // literal text and placeholders, in order
}

// ParseTemplate checks a template: placeholders among Placeholders, at
// least one of {account_name} and {account_id} and the {role_name} (else
// every role would get the same name), and literal text a profile name
// may hold.
func ParseTemplate(text string) (*Template, error) {
	t := &Template{text: text}
	rest := text
	has := map[string]bool{}
	for rest != "" {
		i := strings.IndexAny(rest, "{}")
		if i < 0 {
			t.parts = append(t.parts, rest)
			break
		}
		if i > 0 {
			t.parts = append(t.parts, rest[:i])
		}
		rest = rest[i:]
		end := strings.IndexByte(rest, '}')
		if rest[0] == '}' || end < 0 {
			return nil, &TemplateError{text, "has an unmatched brace"}
		}
		p := rest[:end+1]
		known := false
		for _, k := range Placeholders {
			known = known || p == k
		}
		if !known {
			return nil, &TemplateError{text, fmt.Sprintf("has the unknown placeholder %s (known: %s)", p, strings.Join(Placeholders, ", "))}
		}
		has[p] = true
		t.parts = append(t.parts, p)
		rest = rest[end+1:]
	}
	for _, p := range t.parts {
		if p[0] != '{' {
			for _, c := range p {
				if !nameRune(c) && c != '/' {
					return nil, &TemplateError{text, fmt.Sprintf("holds %q, which a profile name cannot hold (letters, digits and ._-@+=,/ can)", c)}
				}
			}
		}
	}
	if !has["{role_name}"] || !has["{account_name}"] && !has["{account_id}"] {
		return nil, &TemplateError{text, "must hold {role_name} and {account_name} or {account_id}, or roles would share a name"}
	}
	return t, nil
}

func (t *Template) String() string { return t.text }

// Name is the profile name for a in session (the session's name, or ""
// for a legacy start URL). Each value is sanitised: a run of characters a
// profile name cannot hold becomes one "-", and "-" at either end goes
// ("Prod (EU)" is "Prod-EU"); an account name with nothing left is the
// account id.
func (t *Template) Name(a Assignment, session string) string {
	var b strings.Builder
	for _, p := range t.parts {
		switch p {
		case "{account_id}":
			b.WriteString(sanitise(a.AccountID))
		case "{account_name}":
			if s := sanitise(a.AccountName); s != "" {
				b.WriteString(s)
			} else {
				b.WriteString(sanitise(a.AccountID))
			}
		case "{role_name}":
			b.WriteString(sanitise(a.RoleName))
		case "{sso_session}":
			b.WriteString(sanitise(session))
		default:
			b.WriteString(p)
		}
	}
	return b.String()
}

// HasAccountID reports whether names carry the account id already (then a
// collision cannot be resolved by adding it).
func (t *Template) HasAccountID() bool {
	for _, p := range t.parts {
		if p == "{account_id}" {
			return true
		}
	}
	return false
}

// nameRune is a character every tool reads in a profile name as it is:
// botocore splits [profile NAME] as a shell does (quotes, backslashes,
// white space), the Go SDK cuts a header at '#' or ';', and ']' ends it.
func nameRune(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._-@+=,", c)
}

func sanitise(s string) string {
	var b strings.Builder
	dash := false
	for _, c := range s {
		if nameRune(c) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(c)
			continue
		}
		dash = true
	}
	return strings.Trim(b.String(), "-")
}

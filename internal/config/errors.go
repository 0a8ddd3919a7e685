package config

import (
	"fmt"
	"strings"
)

// UnknownProfileError is a profile name found in neither file.
type UnknownProfileError struct {
	Name       string
	Suggestion string // a close existing name, or ""
	// Ignored is set when the config file has a bare [Name] section, which
	// the AWS CLI does not read as a profile.
	Ignored bool
	File    string // where the bare section is, when Ignored
	Line    int
	// From is the variable the name came from when it was not given
	// ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"): a name set in the shell
	// long ago is not what the user typed.
	From string
}

func (e *UnknownProfileError) Error() string {
	msg := fmt.Sprintf("unknown profile %q", e.Name)
	if e.From != "" {
		msg += fmt.Sprintf(" (from %s)", e.From)
	}
	if e.Ignored {
		msg = fmt.Sprintf("%s:%d: %s: [%s] in the config file is not a profile", e.File, e.Line, msg, e.Name)
	}
	if e.Suggestion != "" {
		msg += fmt.Sprintf("; did you mean %q?", e.Suggestion)
	}
	return msg
}

// Hint is the next step for the user.
func (e *UnknownProfileError) Hint() string {
	if e.Ignored {
		return fmt.Sprintf("rename the section to [profile %s]", e.Name)
	}
	return "run `kagi list` to see the profiles in your AWS config and credentials files"
}

// CycleError is a loop through source_profile or include_profile.
type CycleError struct {
	Path []string // the loop, first name repeated at the end: a, b, c, a
	Via  string   // "source_profile" or "include_profile"
	File string   // where the setting that closes the loop is
	Line int
}

func (e *CycleError) Error() string {
	return fmt.Sprintf("%s:%d: %s loop: %s", e.File, e.Line, e.Via, strings.Join(e.Path, " -> "))
}

// Hint is the next step for the user.
func (e *CycleError) Hint() string {
	if len(e.Path) < 2 {
		return ""
	}
	from := e.Path[len(e.Path)-2]
	if e.Via == "include_profile" {
		return fmt.Sprintf("change include_profile in profile %q so that no profile includes itself", from)
	}
	return fmt.Sprintf("change source_profile in profile %q so that the chain ends in a profile with keys or a credential_source", from)
}

// SettingError is a setting (or a flag, or an environment variable) that
// cannot be used. File and Line are empty for flags and the environment.
type SettingError struct {
	File    string
	Line    int
	Profile string // "" for flags and the environment
	Key     string // the setting, "--flag" or the environment variable
	Value   string // quoted in the message; never set for secrets
	Problem string
	// NextStep is the hint for the user, when there is an obvious one.
	NextStep string
	Err      error // underlying error, e.g. *UnknownProfileError
}

func (e *SettingError) Error() string {
	var b strings.Builder
	if e.File != "" {
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	}
	if e.Profile != "" {
		fmt.Fprintf(&b, "profile %q: ", e.Profile)
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		if e.Value != "" {
			fmt.Fprintf(&b, " %q", e.Value)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Problem)
	return b.String()
}

// Hint is the next step for the user.
func (e *SettingError) Hint() string {
	if e.NextStep == "" && e.Err != nil {
		if h, ok := e.Err.(interface{ Hint() string }); ok {
			return h.Hint()
		}
	}
	return e.NextStep
}

func (e *SettingError) Unwrap() error { return e.Err }

// suggest returns the name in names closest to name, if it is close enough
// to be a likely typo.
func suggest(name string, names []string) string {
	best, bestD := "", 3
	lname := lowerASCII(name)
	for _, n := range names {
		if lowerASCII(n) == lname {
			return n
		}
		d := len(n) - len(name)
		if d < 0 {
			d = -d
		}
		if d >= bestD {
			continue
		}
		if d = editDistance(name, n, bestD); d < bestD && d < len(name) {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, or limit when it
// is at least limit.
func editDistance(a, b string, limit int) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= limit {
			return limit
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}

// NoRoleError: environment mode (no profile named, AWS_PROFILE unset) has
// no role to assume. kagi refuses rather than hand the environment's own
// credentials on: running as the CI user instead of the role is the very
// trap environment mode exists to avoid.
type NoRoleError struct{}

func (e *NoRoleError) Error() string {
	return "no role to assume: without a profile, kagi needs --role-arn or AWS_ROLE_ARN"
}

// Hint is the next step for the user.
func (e *NoRoleError) Hint() string {
	return "pass --role-arn arn:aws:iam::ACCOUNT:role/NAME or set AWS_ROLE_ARN, or name a profile (the PROFILE argument or AWS_PROFILE)"
}

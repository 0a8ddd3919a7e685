// Package promptseg is the text of `kagi prompt`: the profile of the kagi
// session in an environment and the time its credentials have left. It
// imports nothing but time, strconv and internal/termtext (unicode/utf8),
// so that kagi can answer before the rest of the program is initialized
// (cmd/kagi/prompt.go).
package promptseg

import (
	"strconv"
	"time"

	"github.com/kagi-cli/kagi/internal/termtext"
)

// Segment is "prod 42m", "prod 1h05m", "prod <1m" or "prod EXPIRED" from
// KAGI_PROFILE and AWS_CREDENTIAL_EXPIRATION (RFC 3339) as lookup reads
// them; the profile alone when there is no expiry (long-term keys) or it
// cannot be read; "" outside a kagi session.
func Segment(lookup func(string) (string, bool), now time.Time) string {
	profile, _ := lookup("KAGI_PROFILE")
	if profile == "" {
		return ""
	}
	profile = Printable(profile)
	exp, _ := lookup("AWS_CREDENTIAL_EXPIRATION")
	if exp == "" {
		return profile
	}
	t, err := time.Parse(time.RFC3339, exp)
	if err != nil {
		return profile
	}
	left := t.Sub(now)
	switch {
	case left <= 0:
		return profile + " EXPIRED"
	case left < time.Minute:
		return profile + " <1m"
	case left < time.Hour:
		return profile + " " + strconv.Itoa(int(left/time.Minute)) + "m"
	}
	m := int(left % time.Hour / time.Minute)
	pad := ""
	if m < 10 {
		pad = "0"
	}
	return profile + " " + strconv.Itoa(int(left/time.Hour)) + "h" + pad + strconv.Itoa(m) + "m"
}

// maxProfile bounds the profile's part of the segment, in characters.
const maxProfile = 64

// Printable is s as the segment may show it in a prompt: the segment is
// printed into PS1, and so straight to the terminal, from an environment
// variable anything may have set. So every control character (C0, DEL,
// C1: the escape sequences that retitle a window, move the cursor, write
// the clipboard or make a link), a byte that is not UTF-8, and the
// characters that reorder text (bidirectional overrides and isolates) are
// shown as "?", and s is cut to 64 characters, the cut ending in "…".
func Printable(s string) string {
	clean := true
	n := 0
	for _, r := range s {
		n++
		if !termtext.Drawable(r) {
			clean = false
		}
	}
	if clean && n <= maxProfile {
		return s
	}
	b := make([]rune, 0, maxProfile)
	for _, r := range s {
		if len(b) == maxProfile-1 && n > maxProfile {
			b = append(b, '…')
			break
		}
		if !termtext.Drawable(r) {
			r = '?'
		}
		b = append(b, r)
	}
	return string(b)
}

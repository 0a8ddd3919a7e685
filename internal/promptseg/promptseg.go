// Package promptseg is the text of `kagi prompt`: the profile of the kagi
// session in an environment and the time its credentials have left. It
// imports nothing but time and strconv, so that kagi can answer before
// the rest of the program is initialized (cmd/kagi/prompt.go).
package promptseg

import (
	"strconv"
	"time"
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

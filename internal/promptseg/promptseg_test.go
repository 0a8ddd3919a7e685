package promptseg

import (
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/termtext"
)

func TestSegment(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{nil, ""},
		{map[string]string{"AWS_CREDENTIAL_EXPIRATION": "2026-11-29T13:00:00Z"}, ""},
		{map[string]string{"KAGI_PROFILE": "prod"}, "prod"},
		{map[string]string{"KAGI_PROFILE": "prod", "AWS_CREDENTIAL_EXPIRATION": "not a time"}, "prod"},
		{map[string]string{"KAGI_PROFILE": "prod", "AWS_CREDENTIAL_EXPIRATION": "2026-11-29T12:42:30Z"}, "prod 42m"},
		{map[string]string{"KAGI_PROFILE": "prod", "AWS_CREDENTIAL_EXPIRATION": "2026-11-29T13:05:00Z"}, "prod 1h05m"},
		{map[string]string{"KAGI_PROFILE": "prod", "AWS_CREDENTIAL_EXPIRATION": "2026-11-30T00:00:00Z"}, "prod 12h00m"},
		{map[string]string{"KAGI_PROFILE": "prod", "AWS_CREDENTIAL_EXPIRATION": "2026-11-29T12:00:30Z"}, "prod <1m"},
		{map[string]string{"KAGI_PROFILE": "prod", "AWS_CREDENTIAL_EXPIRATION": "2026-11-29T12:00:00Z"}, "prod EXPIRED"},
		{map[string]string{"KAGI_PROFILE": "env", "AWS_CREDENTIAL_EXPIRATION": "2026-11-29T11:00:00+09:00"}, "env EXPIRED"},
	} {
		lookup := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
		if got := Segment(lookup, now); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.env, got, tc.want)
		}
	}
}

// The red team's attack on the prompt: KAGI_PROFILE comes from the
// environment, and the segment goes into PS1 and so to the terminal. An
// escape sequence in it (a window title, OSC 52 writing the clipboard, a
// hyperlink, a cursor move) or a bidi override must not arrive raw.
func TestSegmentShowsNoControlCharacters(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	for _, hostile := range []string{
		"prod\x1b]0;pwned\x07",
		"prod\x1b]52;c;ZWNobyBwd25lZA==\x07",
		"prod\x1b[2J\x1b[H",
		"prod\u009b31m",
		"prod\rroot@host",
		"prod\nline",
		"prod\u202eevil",
		"prod\xff\xfe",
	} {
		env := map[string]string{"KAGI_PROFILE": hostile, "AWS_CREDENTIAL_EXPIRATION": "2026-11-29T12:42:30Z"}
		got := Segment(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, now)
		for _, r := range got {
			if !termtext.Drawable(r) {
				t.Errorf("%q: segment %q holds %U", hostile, got, r)
			}
		}
		if len(got) < 4 || got[:4] != "prod" {
			t.Errorf("%q: segment %q does not start with the profile", hostile, got)
		}
	}
	long := "p"
	for len(long) < 500 {
		long += "x"
	}
	if got := Printable(long); len([]rune(got)) != maxProfile || got[len(got)-len("…"):] != "…" {
		t.Errorf("a 500-character profile shows as %d characters: %q", len([]rune(got)), got)
	}
	if got := Printable("prod-eu_1.admin@x"); got != "prod-eu_1.admin@x" {
		t.Errorf("a plain name changed: %q", got)
	}
}

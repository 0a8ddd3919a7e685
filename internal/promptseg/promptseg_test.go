package promptseg

import (
	"testing"
	"time"
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

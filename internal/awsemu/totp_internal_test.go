package awsemu

import (
	"testing"
	"time"
)

// RFC 6238 appendix B, SHA-1 with the 20-byte key "12345678901234567890",
// truncated to the last six of its eight digits.
func TestHOTPVectorsOfRFC6238(t *testing.T) {
	key := []byte("12345678901234567890")
	for _, tt := range []struct {
		unix int64
		want string
	}{
		{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"},
		{1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"},
	} {
		if got := hotp(key, totpCounter(time.Unix(tt.unix, 0))); got != tt.want {
			t.Errorf("T=%d: %s, want %s", tt.unix, got, tt.want)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	for _, tt := range []struct {
		pattern, s string
		want       bool
	}{
		{"repo:kagi-cli/kagi:*", "repo:kagi-cli/kagi:ref:refs/heads/main", true},
		{"repo:kagi-cli/*:ref:refs/heads/main", "repo:kagi-cli/kagi:ref:refs/heads/main", true},
		{"repo:kagi-cli/kagi:ref:refs/heads/?ain", "repo:kagi-cli/kagi:ref:refs/heads/main", true},
		{"repo:kagi-cli/kagi:*", "repo:someone/kagi:ref:refs/heads/main", false},
		{"exact", "exact", true},
		{"exact", "exactly", false},
		{"*", "", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
	} {
		if got := globMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v", tt.pattern, tt.s, got)
		}
	}
}

package sso

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/config"
)

// State reads what the token cache allows without a call: what kagi
// doctor reports for each session.
func TestStateOfTheTokenCache(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	s := config.SSOSession{Name: "corp", StartURL: "https://example.awsapps.com/start", Region: "us-east-1"}
	valid := Token{StartURL: s.StartURL, Region: s.Region, AccessToken: "at", ExpiresAt: now.Add(time.Hour)}
	expiredRefreshable := Token{StartURL: s.StartURL, Region: s.Region, AccessToken: "at", ExpiresAt: now.Add(-time.Minute),
		ClientID: "c", ClientSecret: "cs", RefreshToken: "rt", RegistrationExpiresAt: now.Add(24 * time.Hour)}
	deadRegistration := expiredRefreshable
	deadRegistration.RegistrationExpiresAt = now.Add(-time.Hour)
	expired := Token{StartURL: s.StartURL, Region: s.Region, AccessToken: "at", ExpiresAt: now.Add(-time.Minute)}
	otherStart := valid
	otherStart.StartURL = "https://other.awsapps.com/start"
	for _, c := range []struct {
		name string
		tok  *Token
		want SignIn
	}{
		{"no file", nil, NotSignedIn},
		{"valid", &valid, SignedIn},
		{"expired, refreshable", &expiredRefreshable, Refreshable},
		{"expired, registration expired too", &deadRegistration, Expired},
		{"expired, no refresh token", &expired, Expired},
		{"another start URL", &otherStart, NotSignedIn},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "cache")
			if c.tok != nil {
				if err := WriteToken(TokenPath(dir, s.CacheKey()), *c.tok); err != nil {
					t.Fatal(err)
				}
			}
			got, until, err := State(dir, s, now)
			if err != nil || got != c.want {
				t.Fatalf("State = %v, %v, %v; want %v", got, until, err, c.want)
			}
			if c.want != NotSignedIn && !until.Equal(c.tok.ExpiresAt) {
				t.Errorf("until %v, want %v", until, c.tok.ExpiresAt)
			}
		})
	}
}

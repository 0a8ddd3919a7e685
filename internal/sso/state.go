package sso

import (
	"time"

	"github.com/kagi-cli/kagi/internal/config"
)

// SignIn is what the token cache says of a session, read offline (for
// kagi doctor): no call, no lock, no refresh.
type SignIn int

const (
	// NotSignedIn: no token for the session (or one for another start URL).
	NotSignedIn SignIn = iota
	// SignedIn: a token with time left; Expires says until when.
	SignedIn
	// Refreshable: the token expired (or is about to), and the file holds
	// what a refresh needs: the next use refreshes it with no sign-in.
	Refreshable
	// Expired: the token expired and cannot be refreshed: a sign-in is due.
	Expired
)

// State reads s's token from dir (the AWS CLI v2's cache) and says which
// of the above it is, with the token's expiry. A file that cannot be read
// (another user's, not JSON, too large) is the error.
func State(dir string, s config.SSOSession, now time.Time) (SignIn, time.Time, error) {
	tok, ok, err := ReadToken(TokenPath(dir, s.CacheKey()))
	if err != nil {
		return NotSignedIn, time.Time{}, err
	}
	switch {
	case !ok || tok.AccessToken == "" || (tok.StartURL != "" && tok.StartURL != s.StartURL):
		return NotSignedIn, time.Time{}, nil
	case fresh(tok, s, now):
		return SignedIn, tok.ExpiresAt, nil
	case refreshable(tok, s, now):
		return Refreshable, tok.ExpiresAt, nil
	case usable(tok, s, now):
		return SignedIn, tok.ExpiresAt, nil
	}
	return Expired, tok.ExpiresAt, nil
}

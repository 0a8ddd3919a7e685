package console

import "github.com/kagi-cli/kagi/internal/loopback"

// Redirect is the one-time loopback redirect the browser is opened on; it
// lives in package loopback, shared with the Identity Center sign-in.
type Redirect = loopback.Redirect

// NewRedirect: see loopback.NewRedirect.
func NewRedirect(target string) (*Redirect, error) { return loopback.NewRedirect(target) }

// ErrNotOpened is Wait's error when no browser came for the link in time.
var ErrNotOpened = loopback.ErrNotOpened

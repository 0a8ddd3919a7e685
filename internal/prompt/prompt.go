// Package prompt gets MFA codes: from a flag or KAGI_MFA_TOKEN, from an
// mfa_process command, from a GUI helper or ykman (KAGI_PROMPT), or from the
// terminal (/dev/tty, never stdout).
package prompt

import "context"

// Request says which code is wanted.
type Request struct {
	Serial  string // the MFA device ARN or hardware serial
	Profile string // the profile asking, for the prompt text
	// Attempt is 1 for the first ask; 2 and 3 follow a code STS rejected.
	Attempt int
}

// Source is one way of getting an MFA code.
//
// Contract: Code returns six digits (ykman and hardware tokens may give
// more; only digits) or an error; it never writes to stdout; it returns
// once ctx is done. Interactive reports whether asking again after a
// rejected code can give a different answer (a person at a terminal or a
// GUI prompt), so the caller knows whether to retry.
type Source interface {
	Code(ctx context.Context, req Request) (string, error)
	Interactive() bool
}

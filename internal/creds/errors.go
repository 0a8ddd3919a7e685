package creds

import (
	"fmt"
	"strings"

	"github.com/kagi-cli/kagi/internal/cache"
)

// Every error here names the profile, role or MFA device concerned and
// never holds a secret: not a key, a token or an MFA code.

// NoKeysError: a KeyringKeys source has no keys stored for Profile.
type NoKeysError struct {
	Profile string
	Err     error
}

func (e *NoKeysError) Error() string {
	return fmt.Sprintf("no long-term keys stored for profile %q", e.Profile)
}
func (e *NoKeysError) Unwrap() error { return e.Err }
func (e *NoKeysError) Hint() string {
	return fmt.Sprintf("store them with `kagi add %s`, or put them in the shared credentials file", e.Profile)
}

// MFARejectedError: STS refused the MFA code (for every attempt made).
type MFARejectedError struct {
	Serial, Profile string
	Action          string // "sts:GetSessionToken" or "sts:AssumeRole"
	Attempts        int
	Interactive     bool
	Err             error

	code *cache.RejectedCode // which code, when it cannot be asked for again
}

func (e *MFARejectedError) rejectedCode() *cache.RejectedCode { return e.code }

func (e *MFARejectedError) Error() string {
	s := fmt.Sprintf("%s: the MFA code for %s was rejected", e.Action, e.Serial)
	if e.Attempts > 1 {
		s += fmt.Sprintf(" %d times", e.Attempts)
	}
	if e.Profile != "" {
		s += fmt.Sprintf(" (profile %q)", e.Profile)
	}
	return s
}
func (e *MFARejectedError) Unwrap() error { return e.Err }
func (e *MFARejectedError) Hint() string {
	h := "each code is good once and for about 30 seconds: wait for the next code; if codes keep failing, the device's clock may be off (resync it)"
	if !e.Interactive {
		h += "; the code came from --mfa-token, KAGI_MFA_TOKEN or mfa_process, which cannot be asked again"
	}
	return h
}

// MFADeviceError: STS does not know Serial as an MFA device of the caller.
type MFADeviceError struct {
	Serial, Profile string
	Err             error
}

func (e *MFADeviceError) Error() string {
	return fmt.Sprintf("MFA device %s is not a device of the caller (profile %q)", e.Serial, e.Profile)
}
func (e *MFADeviceError) Unwrap() error { return e.Err }
func (e *MFADeviceError) Hint() string {
	return "check mfa_serial: it must be the ARN of an MFA device of the IAM user whose keys are used (IAM console, Security credentials)"
}

// MFASerialMissingError: AssumeRole was denied, the chain has no
// mfa_serial, and the caller has an MFA device: the role most likely
// requires MFA. Serial is the device found with iam:ListMFADevices.
type MFASerialMissingError struct {
	Profile, RoleARN, Serial string
	Err                      error
}

func (e *MFASerialMissingError) Error() string {
	return fmt.Sprintf("sts:AssumeRole of %s denied; the role may require MFA and no mfa_serial is set: %v", e.RoleARN, e.Err)
}
func (e *MFASerialMissingError) Unwrap() error { return e.Err }

// Line is the exact line to add to the profile.
func (e *MFASerialMissingError) Line() string { return "mfa_serial = " + e.Serial }
func (e *MFASerialMissingError) Hint() string {
	if e.Profile == "" {
		return fmt.Sprintf("the caller's MFA device is %s; use a profile with the line: %s", e.Serial, e.Line())
	}
	return fmt.Sprintf("add this line to profile %q: %s", e.Profile, e.Line())
}

// ExpiredSourceError: the source's credentials are temporary and have
// expired (or STS says so); kagi cannot renew them itself.
type ExpiredSourceError struct {
	Profile string
	Source  string // "env", "file", "process", ...
	Err     error
}

func (e *ExpiredSourceError) Error() string {
	where := "the environment"
	if e.Profile != "" {
		where = fmt.Sprintf("profile %q", e.Profile)
	}
	s := fmt.Sprintf("the temporary %s credentials of %s have expired", e.Source, where)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}
func (e *ExpiredSourceError) Unwrap() error { return e.Err }
func (e *ExpiredSourceError) Hint() string {
	switch e.Source {
	case "env":
		return "get fresh credentials into AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN"
	case "file":
		return fmt.Sprintf("refresh aws_session_token (and the keys) of profile %q, or store long-term keys with `kagi add %s`", e.Profile, e.Profile)
	case "process":
		return fmt.Sprintf("the credential_process of profile %q returned an expired Expiration; check the command", e.Profile)
	}
	return "get fresh source credentials and run again"
}

// UnavailableError: an AWS service could not be reached, kept failing or
// kept throttling after the retries.
type UnavailableError struct {
	Action   string // "sts:GetSessionToken"
	Endpoint string
	Attempts int
	Reason   string // one line
	Err      error
}

func (e *UnavailableError) Error() string {
	s := fmt.Sprintf("%s at %s failed", e.Action, e.Endpoint)
	if e.Attempts > 0 {
		s += fmt.Sprintf(" after %d attempts", e.Attempts)
	}
	return s + ": " + e.Reason
}
func (e *UnavailableError) Unwrap() error { return e.Err }
func (e *UnavailableError) Hint() string {
	if strings.HasPrefix(e.Action, "sso:") {
		if strings.HasPrefix(e.Reason, "throttled") {
			return "IAM Identity Center is throttling GetRoleCredentials; wait a little and run again (cached credentials avoid most calls)"
		}
		return "check the network and the IAM Identity Center endpoint (AWS_ENDPOINT_URL_SSO, AWS_ENDPOINT_URL, sso_region)"
	}
	if strings.HasPrefix(e.Reason, "throttled") {
		return "AWS is throttling this account's STS calls; wait a little and run again (cached credentials avoid most calls)"
	}
	return "check the network and the STS endpoint (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, endpoint_url, region)"
}

// APIError is any other refusal by STS or IAM: the action, who asked for
// what, and AWS's code and message (which hold no secrets).
type APIError struct {
	Action  string // "sts:AssumeRole"
	Profile string
	Role    string // role ARN, or MFA serial for GetSessionToken
	Code    string
	Message string
	Err     error
	// Keys is the profile whose stored keys the chain starts from
	// (a keyring source; "" for any other), for the hint when AWS does
	// not know them.
	Keys string
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Action)
	if e.Role != "" {
		fmt.Fprintf(&b, " of %s", e.Role)
	}
	if e.Profile != "" {
		fmt.Fprintf(&b, " (profile %q)", e.Profile)
	}
	fmt.Fprintf(&b, ": %s: %s", e.Code, e.Message)
	return b.String()
}
func (e *APIError) Unwrap() error { return e.Err }
func (e *APIError) Hint() string {
	switch e.Code {
	case "InvalidClientTokenId":
		if e.Keys != "" {
			return fmt.Sprintf("AWS does not know these keys: they may have been deleted or rotated; store the current ones with `kagi add %s`", e.Keys)
		}
		return "AWS does not know these credentials: the keys may have been deleted or rotated, or the session revoked"
	case "SignatureDoesNotMatch":
		return "the secret key does not match the key id, or this machine's clock is off by more than 5 minutes"
	case "AccessDenied":
		if e.Action == "sts:AssumeRole" {
			// The conditions CI trust policies most often carry; STS does
			// not say which one failed.
			return "the role's trust policy refused this caller: check its principals and conditions; " +
				"a session name that must equal the IAM user name needs -u, an external id --external-id"
		}
	case "InvalidIdentityToken", "ExpiredTokenException":
		if e.Action == "sts:AssumeRoleWithWebIdentity" {
			return "STS did not accept the web identity token: check that it is fresh, and that the role's account has an IAM OIDC provider for its issuer and audience"
		}
	}
	return ""
}

// SourceError: the source could not give credentials (a missing
// environment variable, a failing credential_process...).
type SourceError struct {
	Profile string
	Source  string
	Problem string
	Next    string
	Err     error
}

func (e *SourceError) Error() string {
	s := e.Source + " credentials"
	if e.Profile != "" {
		s += fmt.Sprintf(" of profile %q", e.Profile)
	}
	s += ": " + e.Problem
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}
func (e *SourceError) Unwrap() error { return e.Err }
func (e *SourceError) Hint() string  { return e.Next }

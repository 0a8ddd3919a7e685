package cli

import (
	"strings"
	"time"

	"github.com/kagi-cli/kagi/internal/creds"
	"github.com/kagi-cli/kagi/internal/extcmd"
)

// scrubbedEnv are removed from a child's environment: credentials and
// profile selectors that would beat or confuse the ones kagi sets (env keys
// beat every profile in every SDK).
var scrubbedEnv = [...]string{
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
	"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
	"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CREDENTIAL_FILE", "AWS_SDK_LOAD_CONFIG",
	"AWS_CREDENTIAL_EXPIRATION", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
	"KAGI_PROFILE", "KAGI_USE", "KAGI_USE_REGION", "KAGI_USE_SAVED", // the last three: kagi use's markers (cmd_use.go)
}

// environ is the environment the programs kagi starts inherit (less
// kagi's secrets, which childEnv and extcmd remove).
func (a *app) environ() []string {
	if a.io.Environ == nil {
		return nil
	}
	return a.io.Environ()
}

// childEnv is environ without the scrubbed variables and kagi's own secrets
// (extcmd.SecretVars: a child must not be able to run kagi with the
// passphrase of the keyring), plus credentials, region and KAGI_PROFILE, as
// DESIGN.md's exec contract lists them.
func childEnv(environ []string, c creds.Credentials, region, profile string) []string {
	out := make([]string, 0, len(environ)+8)
	for _, kv := range extcmd.CleanEnv(environ) {
		name, _, _ := strings.Cut(kv, "=")
		if isScrubbed(name) || region != "" && (extcmd.SameEnvName(name, "AWS_REGION") || extcmd.SameEnvName(name, "AWS_DEFAULT_REGION")) {
			continue
		}
		out = append(out, kv)
	}
	out = append(out,
		"AWS_ACCESS_KEY_ID="+c.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+c.SecretAccessKey,
	)
	if c.SessionToken != "" {
		out = append(out, "AWS_SESSION_TOKEN="+c.SessionToken)
	}
	if !c.Expiration.IsZero() {
		out = append(out, "AWS_CREDENTIAL_EXPIRATION="+c.Expiration.UTC().Format(time.RFC3339))
	}
	if region != "" {
		out = append(out, "AWS_REGION="+region, "AWS_DEFAULT_REGION="+region)
	}
	if profile == "" {
		profile = "env"
	}
	return append(out, "KAGI_PROFILE="+profile)
}

// isScrubbed reports whether name is one of scrubbedEnv (in any case on
// Windows, where aws_profile is AWS_PROFILE).
func isScrubbed(name string) bool {
	for _, s := range scrubbedEnv {
		if extcmd.SameEnvName(name, s) {
			return true
		}
	}
	return false
}

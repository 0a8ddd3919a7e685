package doctor

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/sso"
)

// checkSSO says, for each IAM Identity Center session in the config, what
// its token in the AWS CLI v2's cache allows, offline: signed in (until
// when), refreshed on next use, or a sign-in due (a warning: the next run
// at a terminal opens a browser, one away from a terminal fails). A token
// file other users can read is a failure: the token is a bearer secret.
func checkSSO(files *config.Files, in Inputs) []Finding {
	sessions, _ := config.SSOSessions(files) // a broken section is the config check's
	if len(sessions) == 0 || in.SSOCacheDir == "" {
		return nil
	}
	now := in.Now()
	var out []Finding
	for _, s := range sessions {
		subject := s.StartURL
		if s.Name != "" {
			subject = "sso-session " + s.Name
		}
		login := s.LoginHint(ssoProfileOf(files, s))
		state, until, err := sso.State(in.SSOCacheDir, s, now)
		if err != nil {
			out = append(out, Finding{Check: CheckSSO, Status: Fail, Subject: subject, Message: err.Error(),
				Fix: orDefault(fixOf(err), "remove the file, then `"+login+"`")})
			continue
		}
		path := sso.TokenPath(in.SSOCacheDir, s.CacheKey())
		if fi, err := os.Stat(path); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
			out = append(out, Finding{Check: CheckPermissions, Status: Fail, Subject: path,
				Message: fmt.Sprintf("the IAM Identity Center token file is mode %#o: other users can read the token", fi.Mode().Perm()),
				Fix:     "chmod 600 " + path})
		}
		f := Finding{Check: CheckSSO, Subject: subject}
		switch state {
		case sso.SignedIn:
			f.Status, f.Message = OK, "signed in to "+s.StartURL+" until "+until.UTC().Format(time.RFC3339)
		case sso.Refreshable:
			f.Status, f.Message = OK, "the token for "+s.StartURL+" expired at "+until.UTC().Format(time.RFC3339)+"; kagi refreshes it on next use, with no sign-in"
		case sso.Expired:
			f.Status, f.Message = Warn, "the token for "+s.StartURL+" expired at "+until.UTC().Format(time.RFC3339)+" and cannot be refreshed"
			f.Fix = "`" + login + "` (or let the next kagi run at a terminal open the browser)"
		default:
			f.Status, f.Message = Warn, "not signed in to "+s.StartURL
			f.Fix = "`" + login + "` (or let the next kagi run at a terminal open the browser)"
		}
		out = append(out, f)
	}
	return out
}

// ssoProfileOf is a profile that signs in with s, for the hint of a legacy
// session (no name: `kagi sso login --profile P`); "" when s has a name.
func ssoProfileOf(files *config.Files, s config.SSOSession) string {
	if s.Name != "" {
		return ""
	}
	for _, name := range files.ProfileNames() {
		if got, err := config.SSOSessionOf(files, name); err == nil && got.Name == "" && got.StartURL == s.StartURL {
			return name
		}
	}
	return "PROFILE"
}

package doctor

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/creds"
)

// Whether a role's trust policy requires MFA (aws:MultiFactorAuthPresent)
// is written in IAM, not in the config: offline, doctor only says a role
// needs MFA when the config itself shows it, and leaves the rest to
// --online, which asks STS.

// chainSerial is the MFA device a chain uses anywhere, or "".
func chainSerial(c *config.Chain) string {
	if c.MFA != nil && c.MFA.Serial != "" {
		return c.MFA.Serial
	}
	for _, h := range c.Roles {
		if h.MFASerial != "" {
			return h.MFASerial
		}
	}
	return ""
}

// withoutMFA reports whether c assumes roles with long-term keys and no
// MFA device anywhere: the chains a trust policy requiring MFA denies.
func withoutMFA(c *config.Chain) bool {
	return len(c.Roles) > 0 && c.Source.LongTerm() && chainSerial(c) == ""
}

// evidence looks through the other chains for a sign that c needs MFA:
// another profile assumes one of c's roles with MFA (the role likely
// requires it), or uses the same long-term keys with an MFA device (the
// user has one, and the roles reached with it may require it). It returns
// the device and why, or "", and whether the device is of the same keys'
// user (then it is the very line to add).
func evidence(name string, c *config.Chain, chains map[string]*config.Chain) (serial, why string, sameKeys bool) {
	roles := map[string]bool{}
	for _, h := range c.Roles {
		roles[h.RoleARN] = true
	}
	for _, other := range sortedNames(chains) {
		o := chains[other]
		s := chainSerial(o)
		if other == name || s == "" {
			continue
		}
		for _, h := range o.Roles {
			if roles[h.RoleARN] {
				same := o.Source.Kind == c.Source.Kind && o.Source.Profile == c.Source.Profile
				return s, fmt.Sprintf("profile %q assumes the same role %s with MFA device %s", other, h.RoleARN, s), same
			}
		}
	}
	for _, other := range sortedNames(chains) {
		o := chains[other]
		s := chainSerial(o)
		if other == name || s == "" {
			continue
		}
		if o.Source.Kind == c.Source.Kind && o.Source.Profile == c.Source.Profile {
			return s, fmt.Sprintf("profile %q uses the same keys (of profile %q) with MFA device %s", other, c.Source.Profile, s), true
		}
	}
	return "", "", false
}

func roleList(c *config.Chain) string {
	arns := make([]string, len(c.Roles))
	for i, h := range c.Roles {
		arns[i] = h.RoleARN
	}
	return strings.Join(arns, ", then ")
}

// checkMFA flags roles assumed without MFA where the config shows an MFA
// device that should be in reach.
func checkMFA(chains map[string]*config.Chain) []Finding {
	var out []Finding
	unknown := 0
	for _, name := range sortedNames(chains) {
		c := chains[name]
		if !withoutMFA(c) {
			continue
		}
		serial, why, sameKeys := evidence(name, c, chains)
		if serial == "" {
			unknown++
			continue
		}
		fix := fmt.Sprintf("add this line to profile %q: mfa_serial = %s", name, serial)
		if !sameKeys {
			// Another user's device: only the shape of the line is known.
			fix = fmt.Sprintf("if the role requires MFA, add to profile %q: mfa_serial = the ARN of the MFA device of the user whose keys profile %q holds", name, c.Source.Profile)
		}
		out = append(out, Finding{Check: CheckMFA, Status: Warn, Subject: name,
			Message: fmt.Sprintf("assumes %s with long-term keys and no mfa_serial, but %s: a trust policy that requires MFA denies it", roleList(c), why),
			Fix:     fix})
	}
	if len(out) == 0 && unknown > 0 {
		out = append(out, Finding{Check: CheckMFA, Status: OK,
			Message: fmt.Sprintf("roles assumed without MFA by %s; whether a role's trust requires MFA only STS knows (kagi doctor --online asks it)", plural(unknown, "profile"))})
	}
	return out
}

// checkOnlineMFA obtains the credentials of each profile that assumes
// roles without MFA, as `kagi exec` would (never asking for a code): STS's
// answer is the only sure one.
func checkOnlineMFA(ctx context.Context, chains map[string]*config.Chain, on *Online) []Finding {
	if on.ProbeRole == nil {
		return nil
	}
	var out []Finding
	for _, name := range sortedNames(chains) {
		c := chains[name]
		if !withoutMFA(c) {
			continue
		}
		err := on.ProbeRole(ctx, name)
		var missing *creds.MFASerialMissingError
		switch {
		case err == nil:
			out = append(out, Finding{Check: CheckMFA, Status: OK, Subject: name, Message: fmt.Sprintf("%s admits long-term keys without MFA", roleList(c))})
		case errors.As(err, &missing):
			out = append(out, Finding{Check: CheckMFA, Status: Fail, Subject: name, Message: err.Error(), Fix: missing.Hint()})
		case ctx.Err() != nil:
			return out
		default:
			status := Warn
			if strings.Contains(err.Error(), "AccessDenied") {
				status = Fail
			}
			out = append(out, Finding{Check: CheckMFA, Status: status, Subject: name, Message: "could not assume the roles: " + err.Error(),
				Fix: orDefault(fixOf(err), fmt.Sprintf("run `kagi --debug exec %s -- true` to see each step", name))})
		}
	}
	return out
}

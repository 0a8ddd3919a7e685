package cli

import (
	"fmt"
	"strings"
	"time"
)

// Short forms of what list and exec show people: an 80-column terminal has
// no room for ARNs, and the account and the name are what a person reads in
// them. --wide and --json keep the ARNs.

// shortRole is a role ARN as account:name ("333333333333:admin"): the
// name without its path, which IAM keeps unique in an account. Anything
// that is not a role ARN is returned as it is.
func shortRole(arn string) string {
	account, resource, ok := arnParts(arn)
	if !ok {
		return arn
	}
	name, ok := strings.CutPrefix(resource, "role/")
	if !ok {
		return arn
	}
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:] // role/path/to/admin: the path is not part of the name
	}
	return account + ":" + name
}

// shortSSO is an IAM Identity Center permission set in an account as
// account/role ("222222222222/AdministratorAccess"): a slash, not the colon
// of shortRole, since it names a permission set, not an IAM role (whose
// name is AWSReservedSSO_<role>_<id>).
func shortSSO(account, role string) string {
	return account + "/" + role
}

// shortMFA is an MFA device ARN as its resource ("mfa/jumpuser"); a
// hardware token's serial number (not an ARN) is returned as it is.
func shortMFA(serial string) string {
	if _, resource, ok := arnParts(serial); ok {
		return resource
	}
	return serial
}

// arnParts splits arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE.
func arnParts(arn string) (account, resource string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[4] == "" || parts[5] == "" {
		return "", "", false
	}
	return parts[4], parts[5], true
}

// shortDuration is d as a person reads time left: "45s", "59m", "11h59m".
func shortDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	h := int(d.Hours())
	if m := int(d.Minutes()) % 60; m != 0 {
		return fmt.Sprintf("%dh%02dm", h, m)
	}
	return fmt.Sprintf("%dh", h)
}

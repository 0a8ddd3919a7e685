package cli

import (
	"fmt"
	"time"

	"github.com/kagi-cli/kagi/internal/config"
)

// shellLine is what `kagi exec PROFILE` says on a terminal before it starts
// a shell: nothing else tells the person that the prompt in front of them
// now has credentials, whose they are and until when.
//
//	kagi: profile "prod", role 333333333333:admin, until 23:46 UTC (59m left)
func shellLine(chain *config.Chain, expiration, now time.Time) string {
	who := "environment credentials"
	if chain.Profile != "" {
		who = fmt.Sprintf("profile %q", chain.Profile)
	}
	if n := len(chain.Roles); n > 0 {
		who += ", role " + shortRole(chain.Roles[n-1].RoleARN)
	}
	if expiration.IsZero() {
		return fmt.Sprintf("kagi: %s, long-term keys that do not expire; exit the shell to leave", who)
	}
	local := expiration.In(now.Location())
	return fmt.Sprintf("kagi: %s, until %s (%s left); exit the shell to leave", who, local.Format("15:04 MST"), shortDuration(expiration.Sub(now)))
}

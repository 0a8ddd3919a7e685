package doctor

import (
	"context"
	"fmt"
	"time"

	"github.com/kagi-cli/kagi/internal/config"
)

// checkKeyAges reads the IAM CreateDate of the access key behind each
// profile of long-term keys (once per source) and flags keys older than
// MaxKeyAge.
func checkKeyAges(ctx context.Context, chains map[string]*config.Chain, in Inputs) []Finding {
	if in.Online.KeyAge == nil {
		return nil
	}
	var out []Finding
	seen := map[string]bool{}
	for _, name := range sortedNames(chains) {
		c := chains[name]
		if !c.Source.LongTerm() {
			continue
		}
		src := c.Source.Kind.String() + "\x00" + c.Source.Profile
		if seen[src] {
			continue
		}
		seen[src] = true
		subject := c.Source.Profile
		id, created, err := in.Online.KeyAge(ctx, c)
		if err != nil {
			if ctx.Err() != nil {
				return out
			}
			out = append(out, Finding{Check: CheckKeyAge, Status: Warn, Subject: subject,
				Message: "cannot read the age of its access key: " + err.Error(),
				Fix:     orDefault(fixOf(err), "allow iam:ListAccessKeys on your own user (arn:aws:iam::ACCOUNT:user/${aws:username})")})
			continue
		}
		age := in.Now().Sub(created)
		days := int(age / (24 * time.Hour))
		if age > MaxKeyAge {
			out = append(out, Finding{Check: CheckKeyAge, Status: Warn, Subject: subject,
				Message: fmt.Sprintf("access key %s was created %s, %d days ago (more than %d)", id, created.UTC().Format("2006-01-02"), days, int(MaxKeyAge/(24*time.Hour))),
				Fix:     rotateFix(c, subject)})
			continue
		}
		out = append(out, Finding{Check: CheckKeyAge, Status: OK, Subject: subject,
			Message: fmt.Sprintf("access key %s is %d days old", id, days)})
	}
	return out
}

// rotateFix is the command that rotates the key: kagi rotate for keys in
// kagi's keyring; keys in the credentials file go into the keyring first.
func rotateFix(c *config.Chain, profile string) string {
	if c.Source.Kind == config.KeyringKeys {
		return fmt.Sprintf("run `kagi rotate %s`", profile)
	}
	return fmt.Sprintf("move the keys into kagi's keyring with `kagi add %s --import`, then run `kagi rotate %s`", profile, profile)
}

// checkClock compares this machine's clock with STS's Date, once per STS
// endpoint URL the profiles use (the default one when none resolves).
func checkClock(ctx context.Context, chains map[string]*config.Chain, in Inputs) []Finding {
	if in.Online.ServerTime == nil {
		return nil
	}
	var list []*config.Chain
	seen := map[string]bool{}
	for _, name := range sortedNames(chains) {
		c := chains[name]
		// A custom endpoint (AWS_ENDPOINT_URL) is one server whatever the
		// region: the key is the URL the calls go to.
		key := c.STSEndpoint + "\x00" + c.Region + "\x00" + c.STSRegionalEndpoints
		if in.Online.STSEndpoint != nil {
			key = in.Online.STSEndpoint(ctx, c)
		}
		if !seen[key] {
			seen[key] = true
			list = append(list, c)
		}
	}
	if len(list) == 0 {
		c := &config.Chain{}
		if in.Env != nil {
			if v, _ := in.Env("AWS_ENDPOINT_URL_STS"); v != "" {
				c.STSEndpoint = v
			} else if v, _ := in.Env("AWS_ENDPOINT_URL"); v != "" {
				c.STSEndpoint = v
			}
		}
		list = append(list, c)
	}
	var out []Finding
	for _, c := range list {
		r, err := in.Online.ServerTime(ctx, c)
		if err != nil {
			if ctx.Err() != nil {
				return out
			}
			out = append(out, Finding{Check: CheckClock, Status: Warn, Subject: r.Endpoint, Message: "cannot read STS's time: " + err.Error(),
				Fix: orDefault(fixOf(err), "check the network path to STS (proxy, firewall), then run kagi doctor --online again")})
			continue
		}
		out = append(out, clockFinding(r))
	}
	return out
}

func clockFinding(r ClockReading) Finding {
	skew := r.Local.Sub(r.Server)
	how := "ahead of"
	abs := skew
	if skew < 0 {
		abs, how = -skew, "behind"
	}
	// The Date header has whole seconds: a second either way is noise.
	f := Finding{Check: CheckClock, Status: OK, Subject: r.Endpoint,
		Message: fmt.Sprintf("this machine's clock is within %s of STS's", (abs + time.Second).Truncate(time.Second))}
	fix := "set this machine's clock (enable NTP, e.g. `timedatectl set-ntp true`)"
	switch {
	case abs > MaxClockSkew:
		f.Status, f.Fix = Fail, fix
		f.Message = fmt.Sprintf("this machine's clock is %s %s STS's (%s against STS's Date %s): requests are refused beyond %s, and kagi refuses the credentials it cannot time",
			abs.Round(time.Second), how, r.Local.UTC().Format(time.RFC3339), r.Server.UTC().Format(time.RFC3339), MaxClockSkew)
	case abs > clockWarnSkew:
		f.Status, f.Fix = Warn, fix
		f.Message = fmt.Sprintf("this machine's clock is %s %s STS's; at %s requests are refused", abs.Round(time.Second), how, MaxClockSkew)
	}
	return f
}

package creds

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kagi-cli/kagi/internal/config"
)

// AllowAllPolicy is the session policy of a federation token that may do
// everything the IAM user may: a federated user's permissions are the
// intersection of the session policy and the user's own, so this one
// takes nothing away (aws-vault passes the same).
const AllowAllPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

// maxFederatedName is GetFederationToken's limit on Name.
const maxFederatedName = 32

// FederationToken calls sts:GetFederationToken with src, an IAM user's
// long-term keys, at chain's STS endpoint: a federated user named after
// the IAM user (from GetCallerIdentity; cut to the 32 characters STS
// takes, as aws-vault does), with policy, for d (0: STS's default, 12h).
// It is what the federation endpoint takes from a user that assumes no
// role: it refuses GetSessionToken credentials. It returns the credentials
// and the federated user's ARN. The credentials are not cached: each call
// makes a new federated session.
func FederationToken(ctx context.Context, chain *config.Chain, deps Deps, src Credentials, policy string, d time.Duration) (Credentials, string, error) {
	r := newRun(chain, deps)
	var id *sts.GetCallerIdentityOutput
	err := r.call(ctx, "sts:GetCallerIdentity", "for the federated user's name", chain.Profile, func(ctx context.Context) error {
		var err error
		id, err = r.clients(ctx).sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, func(o *sts.Options) { o.Credentials = staticCreds(src) })
		return err
	})
	if err != nil {
		return Credentials{}, "", r.sourceRefused(err)
	}
	name, ok := usernameOf(aws.ToString(id.Arn))
	if !ok {
		return Credentials{}, "", fmt.Errorf("GetFederationToken needs an IAM user's keys; these are %s", aws.ToString(id.Arn))
	}
	if len(name) > maxFederatedName {
		name = name[:maxFederatedName]
	}
	in := &sts.GetFederationTokenInput{Name: aws.String(name), Policy: aws.String(policy)}
	if d > 0 {
		in.DurationSeconds = aws.Int32(int32(d / time.Second))
	}
	var out *sts.GetFederationTokenOutput
	err = r.call(ctx, "sts:GetFederationToken", fmt.Sprintf("%s for %s", name, durationText(d)), chain.Profile, func(ctx context.Context) error {
		var err error
		out, err = r.clients(ctx).sts.GetFederationToken(ctx, in, func(o *sts.Options) { o.Credentials = staticCreds(src) })
		return err
	})
	if err != nil {
		return Credentials{}, "", r.sourceRefused(err)
	}
	c := fromSTS(out.Credentials.AccessKeyId, out.Credentials.SecretAccessKey, out.Credentials.SessionToken, out.Credentials.Expiration)
	r.log.Secret(c.SecretAccessKey, c.SessionToken)
	arn := ""
	if out.FederatedUser != nil {
		arn = aws.ToString(out.FederatedUser.Arn)
	}
	return c, arn, nil
}

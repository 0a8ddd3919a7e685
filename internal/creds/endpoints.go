package creds

import (
	"context"
	"net/url"

	"github.com/kagi-cli/kagi/internal/config"
)

// Endpoints are where the AWS calls of a chain go.
type Endpoints struct {
	// STS is the URL kagi's STS calls use (custom, regional or global),
	// and STSRegion the region they are signed for.
	STS, STSRegion string
	// IAM is the URL of IAM calls (see iamEndpoint).
	IAM string
}

// EndpointsOf returns chain's endpoints, chosen as for every other call of
// kagi, for code that signs its own calls (kagi rotate, internal/rotate).
func EndpointsOf(ctx context.Context, chain *config.Chain, env config.Env) Endpoints {
	c := newClients(ctx, chain, nil, nil)
	e := Endpoints{STS: c.endpoint, STSRegion: c.cfg.Region, IAM: iamEndpoint(env, chain)}
	// The global endpoint is signed for us-east-1 whatever the region.
	if u, err := url.Parse(e.STS); err == nil && u.Host == "sts.amazonaws.com" {
		e.STSRegion = defaultRegion
	}
	return e
}

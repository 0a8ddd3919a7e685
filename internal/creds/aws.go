package creds

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyendpoints "github.com/aws/smithy-go/endpoints"

	"github.com/kagi-cli/kagi/internal/config"
)

// defaultRegion is where STS is called when no region is configured. With
// it kagi uses the global endpoint, sts.amazonaws.com, as the AWS CLI did
// before regional endpoints became the default: it works for every account
// whatever regions it has enabled.
const defaultRegion = "us-east-1"

// Bounds on one AWS call. The standard retryer's own backoff (at most 20s
// between attempts) applies between attempts; these keep one attempt from
// hanging on a black-holed endpoint.
const (
	maxAttempts    = 3
	dialTimeout    = 10 * time.Second
	attemptTimeout = 30 * time.Second
)

// clients are the AWS clients of one Retrieve, built on first use so that a
// chain served from the cache builds none.
type clients struct {
	cfg      aws.Config
	sts      *sts.Client
	endpoint string // STS's URL, for messages
	iam      *iam.Client
}

// awsConfig assembles the SDK configuration by hand: config.LoadDefaultConfig
// would read the shared files and environment again (kagi has resolved
// them already) and costs a noticeable share of a warm run.
func awsConfig(region string, httpClient *http.Client) aws.Config {
	cfg := aws.Config{
		Region: region,
		Retryer: func() aws.Retryer {
			// Throttling and 5xx answers and connection errors are retried
			// with the SDK's exponential backoff with jitter.
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = maxAttempts })
		},
	}
	if httpClient != nil {
		cfg.HTTPClient = httpClient
	} else {
		cfg.HTTPClient = &http.Client{
			Timeout: attemptTimeout,
			Transport: &http.Transport{
				Proxy:                 http.ProxyFromEnvironment,
				DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
				TLSHandshakeTimeout:   dialTimeout,
				ResponseHeaderTimeout: attemptTimeout,
				ForceAttemptHTTP2:     true,
				MaxIdleConns:          10,
				IdleConnTimeout:       30 * time.Second,
			},
		}
	}
	return cfg
}

// stsResolver applies sts_regional_endpoints = legacy the way the STS
// endpoint rules define it (AWS::STS::UseGlobalEndpoint: the global endpoint
// for the regions that had no regional default before 2022), which the SDK
// for Go v2 does not read from any setting.
type stsResolver struct {
	global bool
	base   sts.EndpointResolverV2
}

func (r stsResolver) ResolveEndpoint(ctx context.Context, p sts.EndpointParameters) (smithyendpoints.Endpoint, error) {
	if r.global {
		p.UseGlobalEndpoint = aws.Bool(true)
	}
	return r.base.ResolveEndpoint(ctx, p)
}

// newClients builds the STS client for chain. With no region configured
// STS is called in us-east-1 through the global endpoint.
func newClients(ctx context.Context, chain *config.Chain, httpClient *http.Client) *clients {
	region := chain.Region
	global := chain.STSRegionalEndpoints == "legacy"
	if region == "" {
		region, global = defaultRegion, true
	}
	c := &clients{cfg: awsConfig(region, httpClient)}
	res := stsResolver{global: global, base: sts.NewDefaultEndpointResolverV2()}
	var base *string
	if chain.STSEndpoint != "" {
		base = aws.String(chain.STSEndpoint)
	}
	c.sts = sts.NewFromConfig(c.cfg, func(o *sts.Options) {
		o.BaseEndpoint = base
		o.EndpointResolverV2 = res
	})
	c.endpoint = chain.STSEndpoint
	if ep, err := res.ResolveEndpoint(ctx, sts.EndpointParameters{Region: aws.String(region), Endpoint: base}.WithDefaults()); err == nil {
		c.endpoint = ep.URI.String()
	}
	return c
}

// iamClient is for the one IAM call kagi makes (ListMFADevices, for a
// hint). IAM is global: us-east-1. Its endpoint is AWS_ENDPOINT_URL_IAM,
// else the chain's custom STS endpoint: a custom STS endpoint means a world
// other than AWS (an emulator, LocalStack), where sending the keys' id to
// the real IAM would be wrong.
func (c *clients) iamClient(env config.Env, chain *config.Chain) *iam.Client {
	if c.iam != nil {
		return c.iam
	}
	ep := chain.STSEndpoint
	if env != nil {
		if v, ok := env("AWS_ENDPOINT_URL_IAM"); ok && v != "" {
			ep = v
		}
	}
	cfg := c.cfg.Copy()
	cfg.Region = defaultRegion
	c.iam = iam.NewFromConfig(cfg, func(o *iam.Options) {
		if ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
	return c.iam
}

// staticCreds presents c to the SDK as the caller's credentials.
func staticCreds(c Credentials) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		// CanExpire stays false: the SDK must sign with exactly these and
		// let STS judge them, not try to refresh them itself.
		return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Source: "kagi"}, nil
	})
}

func fromSTS(id, secret, token *string, exp *time.Time) Credentials {
	c := Credentials{AccessKeyID: aws.ToString(id), SecretAccessKey: aws.ToString(secret), SessionToken: aws.ToString(token)}
	if exp != nil {
		c.Expiration = exp.UTC()
	}
	return c
}

// apiCode returns the AWS error code and message of err, if AWS answered.
func apiCode(err error) (code, msg string, ok bool) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), ae.ErrorMessage(), true
	}
	return "", "", false
}

// mfaCodeRejected reports whether STS refused the MFA code itself (as
// opposed to the device, the role's trust, or the keys): AccessDenied with
// "invalid MFA one time pass code", or a code that is not six digits.
func mfaCodeRejected(err error) bool {
	code, msg, ok := apiCode(err)
	if !ok {
		return false
	}
	switch code {
	case "AccessDenied":
		return strings.Contains(msg, "MultiFactorAuthentication failed with invalid MFA one time pass code")
	case "ValidationError":
		return strings.Contains(msg, "tokenCode")
	}
	return false
}

// mfaDeviceUnknown: STS could not match the serial to the caller's device.
func mfaDeviceUnknown(err error) bool {
	code, msg, ok := apiCode(err)
	return ok && code == "AccessDenied" && strings.Contains(msg, "unable to validate MFA code")
}

func expiredToken(err error) bool {
	code, _, ok := apiCode(err)
	return ok && (code == "ExpiredToken" || code == "ExpiredTokenException" || code == "RequestExpired")
}

func accessDenied(err error) bool {
	code, _, ok := apiCode(err)
	return ok && code == "AccessDenied"
}

// unavailable classifies an error that remained after the retryer gave up:
// STS could not be reached, kept failing, or kept throttling.
func unavailable(err error) (reason string, ok bool) {
	if code, msg, ok := apiCode(err); ok {
		if _, throttle := retry.DefaultThrottleErrorCodes[code]; throttle {
			return "throttled: " + code + ": " + msg, true
		}
		var re interface{ HTTPStatusCode() int }
		if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
			return code + ": " + msg, true
		}
		return "", false
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Error(), true
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return "no answer within " + attemptTimeout.String(), true
		}
		return ue.Err.Error(), true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return ne.Error(), true
	}
	return "", false
}

func attempts(err error) int {
	var me *retry.MaxAttemptsError
	if errors.As(err, &me) {
		return me.Attempt
	}
	return 0
}

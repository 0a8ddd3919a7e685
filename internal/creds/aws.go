package creds

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
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
	maxAttempts = 3
	// maxThrottledAttempts is the patience for throttling alone: one
	// command across fifty accounts meets STS's request rate limit as a
	// matter of course and must back off and go on, while an endpoint that
	// is down should fail after maxAttempts, not dozens.
	maxThrottledAttempts = 10
	dialTimeout          = 10 * time.Second
	attemptTimeout       = 30 * time.Second
)

// throttlePatient is the SDK's standard retryer allowing
// maxThrottledAttempts for throttling errors and maxAttempts for any other
// retryable error. The SDK's retry middleware asks RetryDelay before each
// retry with the number of attempts made so far (one fewer under
// AWS_NEW_RETRIES_2026=true, which then allows one more); an error from it
// ends the retries with that error.
//
// With a Pacer (paced), a throttled call is retried at once: the Pacer,
// which every call waits for, has slowed down on that Throttling already,
// and one shared pace gets everything through sooner than each call's own
// backoff timer.
type throttlePatient struct {
	*retry.Standard
	paced bool
}

func (r throttlePatient) RetryDelay(attempt int, err error) (time.Duration, error) {
	throttle := isThrottle(err)
	if !throttle && attempt >= maxAttempts {
		// As the middleware reports running out of attempts.
		return 0, &retry.MaxAttemptsError{Attempt: attempt, Err: err}
	}
	if throttle && r.paced {
		return 0, nil
	}
	return r.Standard.RetryDelay(attempt, err)
}

// clients are the AWS clients of one Retrieve, built on first use so that a
// chain served from the cache builds none.
type clients struct {
	cfg      aws.Config
	sts      *sts.Client
	endpoint string // STS's URL, for messages
}

// awsConfig assembles the SDK configuration by hand: config.LoadDefaultConfig
// would read the shared files and environment again (kagi has resolved
// them already) and costs a noticeable share of a warm run.
func awsConfig(region string, httpClient *http.Client, paced bool) aws.Config {
	cfg := aws.Config{
		Region: region,
		Retryer: func() aws.Retryer {
			// Throttling and 5xx answers and connection errors are retried
			// with the SDK's exponential backoff with jitter.
			return throttlePatient{Standard: retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = maxThrottledAttempts
				o.MaxBackoff = 5 * time.Second
			}), paced: paced}
		},
	}
	if httpClient != nil {
		cfg.HTTPClient = httpClient
	} else {
		cfg.HTTPClient = NewHTTPClient(0)
	}
	return cfg
}

// NewHTTPClient returns the HTTP client of kagi's AWS calls when
// Deps.HTTPClient is nil, keeping up to conns idle connections to a host
// (at least Go's default, 2). The Retrieves of a fan-out share one: fifty
// runs against one STS endpoint then reuse a few connections instead of
// each paying a TCP and TLS handshake of its own.
func NewHTTPClient(conns int) *http.Client {
	conns = max(conns, http.DefaultMaxIdleConnsPerHost)
	return &http.Client{
		Timeout: attemptTimeout,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   dialTimeout,
			ResponseHeaderTimeout: attemptTimeout,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          max(10, conns),
			MaxIdleConnsPerHost:   conns,
			IdleConnTimeout:       30 * time.Second,
		},
	}
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
// STS is called in us-east-1 through the global endpoint. With a pacer,
// every attempt of every call waits for it (Pacer).
func newClients(ctx context.Context, chain *config.Chain, httpClient *http.Client, pacer *Pacer) *clients {
	region, res, base := stsEndpointParams(chain)
	c := &clients{cfg: awsConfig(region, httpClient, pacer != nil)}
	c.sts = sts.NewFromConfig(c.cfg, func(o *sts.Options) {
		o.BaseEndpoint = base
		o.EndpointResolverV2 = res
		if pacer != nil {
			o.APIOptions = append(o.APIOptions, addPacing(pacer))
		}
	})
	c.endpoint = stsEndpointURL(ctx, chain, region, res, base)
	return c
}

// stsEndpointParams are the region, endpoint resolver and custom base
// endpoint of chain's STS client.
func stsEndpointParams(chain *config.Chain) (region string, res stsResolver, base *string) {
	region = chain.Region
	global := chain.STSRegionalEndpoints == "legacy"
	if region == "" {
		region, global = defaultRegion, true
	}
	res = stsResolver{global: global, base: sts.NewDefaultEndpointResolverV2()}
	if chain.STSEndpoint != "" {
		base = aws.String(chain.STSEndpoint)
	}
	return region, res, base
}

func stsEndpointURL(ctx context.Context, chain *config.Chain, region string, res stsResolver, base *string) string {
	if ep, err := res.ResolveEndpoint(ctx, sts.EndpointParameters{Region: aws.String(region), Endpoint: base}.WithDefaults()); err == nil {
		return ep.URI.String()
	}
	return chain.STSEndpoint
}

// STSEndpointURL is the URL kagi's STS calls for chain go to, without
// building a client: chains that share it share STS's answers (doctor asks
// each such endpoint for its time once).
func STSEndpointURL(ctx context.Context, chain *config.Chain) string {
	region, res, base := stsEndpointParams(chain)
	return stsEndpointURL(ctx, chain, region, res, base)
}

// iamEndpoint is where the one IAM call goes. IAM is global: us-east-1.
// Its endpoint is AWS_ENDPOINT_URL_IAM, else the chain's custom STS
// endpoint: a custom STS endpoint means a world other than AWS (an
// emulator, LocalStack), where sending the keys' id to the real IAM would
// be wrong.
func iamEndpoint(env config.Env, chain *config.Chain) string {
	if env != nil {
		if v, ok := env("AWS_ENDPOINT_URL_IAM"); ok && v != "" {
			return v
		}
	}
	if chain.STSEndpoint != "" {
		return chain.STSEndpoint
	}
	return "https://iam.amazonaws.com"
}

// listMFADevices calls iam:ListMFADevices as caller and returns the
// devices' serial numbers. It is made only on an error path (for a hint).
func (c *clients) listMFADevices(ctx context.Context, endpoint string, caller Credentials) ([]string, error) {
	var out struct {
		Serials []string `xml:"ListMFADevicesResult>MFADevices>member>SerialNumber"`
	}
	if err := c.iamQuery(ctx, endpoint, caller, "ListMFADevices", nil, &out); err != nil {
		return nil, err
	}
	return out.Serials, nil
}

// iamQuery makes one IAM query API call as caller and decodes its result
// into out. kagi's IAM calls (ListMFADevices for a hint, ListAccessKeys
// for kagi doctor --online) are rare, so they are signed with the SDK's
// own SigV4 signer and sent without the SDK's IAM client: that package's
// endpoint tables are built at init, a cost every warm kagi run would pay
// (measured with GODEBUG=inittrace=1: 679 allocations, where all of
// kagi's packages together make about 1,200).
func (c *clients) iamQuery(ctx context.Context, endpoint string, caller Credentials, action string, params url.Values, out any) error {
	body := iamQueryBody(action, params)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(endpoint, "/")+"/", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: caller.AccessKeyID, SecretAccessKey: caller.SecretAccessKey, SessionToken: caller.SessionToken}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "iam", defaultRegion, time.Now()); err != nil {
		return err
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Code    string `xml:"Error>Code"`
			Message string `xml:"Error>Message"`
		}
		_ = xml.Unmarshal(data, &e)
		return fmt.Errorf("iam:%s: HTTP %d %s: %s", action, resp.StatusCode, e.Code, e.Message)
	}
	if err := xml.Unmarshal(data, out); err != nil {
		return fmt.Errorf("iam:%s: %w", action, err)
	}
	return nil
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

package creds

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/kagi-cli/kagi/internal/config"
)

// MaxClockSkew is how far this machine's clock may be from STS's before
// kagi refuses the credentials STS returns (see maxClockSkew).
const MaxClockSkew = maxClockSkew

// ServerTime asks chain's STS endpoint for its time: an unsigned
// sts:GetCallerIdentity, which STS refuses (MissingAuthenticationToken) but
// answers, like every answer, with its Date. No credentials are sent, so
// none are needed and no MFA code is asked for. It returns the endpoint,
// this machine's clock when the answer came (now, nil: time.Now) and STS's.
func ServerTime(ctx context.Context, chain *config.Chain, httpClient *http.Client, now func() time.Time) (endpoint string, local, server time.Time, err error) {
	if now == nil {
		now = time.Now
	}
	c := newClients(ctx, chain, httpClient)
	var date string
	capture := middleware.DeserializeMiddlewareFunc("kagiServerDate", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
		out, md, err := next.HandleDeserialize(ctx, in)
		if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && resp != nil {
			date, local = resp.Header.Get("Date"), now()
		}
		return out, md, err
	})
	_, callErr := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, func(o *sts.Options) {
		o.Credentials = aws.AnonymousCredentials{}
		o.RetryMaxAttempts = 1
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error { return s.Deserialize.Add(capture, middleware.After) })
	})
	if date == "" {
		if callErr == nil {
			callErr = errors.New("the answer had no Date header")
		}
		return c.endpoint, time.Time{}, time.Time{}, fmt.Errorf("sts:GetCallerIdentity at %s: %w", c.endpoint, callErr)
	}
	server, err = http.ParseTime(date)
	if err != nil {
		return c.endpoint, time.Time{}, time.Time{}, fmt.Errorf("sts:GetCallerIdentity at %s: Date %q: %w", c.endpoint, date, err)
	}
	return c.endpoint, local, server, nil
}

// AccessKey is one access key of an IAM user as iam:ListAccessKeys
// describes it.
type AccessKey struct {
	ID      string
	Status  string
	Created time.Time
}

// SourceKeyAge returns the id and IAM CreateDate of the long-term access
// key chain starts from (keyring or shared file), asking IAM with those
// keys (iam:ListAccessKeys of the caller). The IAM endpoint is chosen as
// for kagi's other IAM call: AWS_ENDPOINT_URL_IAM, else a custom STS
// endpoint, else AWS's.
func SourceKeyAge(ctx context.Context, chain *config.Chain, deps Deps) (string, time.Time, error) {
	if !chain.Source.LongTerm() {
		return "", time.Time{}, fmt.Errorf("profile %q: its source is not long-term keys", chain.Profile)
	}
	r := newRun(chain, deps)
	src, err := r.source(ctx)
	if err != nil {
		return "", time.Time{}, err
	}
	keys, err := r.clients(ctx).listAccessKeys(ctx, iamEndpoint(deps.Env, chain), src)
	if err != nil {
		return src.AccessKeyID, time.Time{}, err
	}
	for _, k := range keys {
		if k.ID == src.AccessKeyID {
			return k.ID, k.Created, nil
		}
	}
	return src.AccessKeyID, time.Time{}, fmt.Errorf("iam:ListAccessKeys does not list access key %s of profile %q", src.AccessKeyID, chain.Source.Profile)
}

// listAccessKeys calls iam:ListAccessKeys as caller (its own user).
func (c *clients) listAccessKeys(ctx context.Context, endpoint string, caller Credentials) ([]AccessKey, error) {
	var out struct {
		Keys []struct {
			ID         string `xml:"AccessKeyId"`
			Status     string `xml:"Status"`
			CreateDate string `xml:"CreateDate"`
		} `xml:"ListAccessKeysResult>AccessKeyMetadata>member"`
	}
	if err := c.iamQuery(ctx, endpoint, caller, "ListAccessKeys", nil, &out); err != nil {
		return nil, err
	}
	keys := make([]AccessKey, 0, len(out.Keys))
	for _, k := range out.Keys {
		t, err := time.Parse(time.RFC3339, k.CreateDate)
		if err != nil {
			return nil, fmt.Errorf("iam:ListAccessKeys: CreateDate %q of %s: %w", k.CreateDate, k.ID, err)
		}
		keys = append(keys, AccessKey{ID: k.ID, Status: k.Status, Created: t.UTC()})
	}
	return keys, nil
}

// iamQueryBody is the form body of an IAM query API call.
func iamQueryBody(action string, params url.Values) string {
	v := url.Values{}
	for k, vs := range params {
		v[k] = vs
	}
	v.Set("Action", action)
	v.Set("Version", "2010-05-08")
	return v.Encode()
}

package creds

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kagi-cli/kagi/internal/config"
)

// MaxClockSkew is how far this machine's clock may be from STS's before
// kagi refuses the credentials STS returns (see maxClockSkew).
const MaxClockSkew = maxClockSkew

// ServerTime asks chain's STS endpoint for its time: an unsigned
// sts:GetCallerIdentity, which STS refuses (MissingAuthenticationToken) but
// answers, like every answer, with its Date. The endpoint is the one
// kagi's own calls use (newClients: custom endpoints, regional or global).
// No credentials are sent, so none are needed and no MFA code is asked for. It returns the endpoint,
// this machine's clock when the answer came (now, nil: time.Now) and STS's.
func ServerTime(ctx context.Context, chain *config.Chain, httpClient *http.Client, now func() time.Time) (endpoint string, local, server time.Time, err error) {
	if now == nil {
		now = time.Now
	}
	c := newClients(ctx, chain, httpClient, nil)
	// By hand rather than through the SDK's client: the client refuses to
	// send a request it cannot sign.
	const body = "Action=GetCallerIdentity&Version=2011-06-15"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, strings.NewReader(body))
	if err != nil {
		return c.endpoint, time.Time{}, time.Time{}, fmt.Errorf("sts:GetCallerIdentity at %s: %w", c.endpoint, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return c.endpoint, time.Time{}, time.Time{}, fmt.Errorf("sts:GetCallerIdentity at %s: %w", c.endpoint, err)
	}
	local = now()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	date := resp.Header.Get("Date")
	if date == "" {
		return c.endpoint, time.Time{}, time.Time{}, fmt.Errorf("sts:GetCallerIdentity at %s: the answer (HTTP %d) had no Date header", c.endpoint, resp.StatusCode)
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
	var out ListAccessKeysResult
	if err := c.iamQuery(ctx, endpoint, caller, "ListAccessKeys", nil, &out); err != nil {
		return nil, err
	}
	return out.AccessKeys()
}

// ListAccessKeysResult is iam:ListAccessKeys' XML answer, to decode into.
type ListAccessKeysResult struct {
	Keys []struct {
		ID         string `xml:"AccessKeyId"`
		Status     string `xml:"Status"`
		CreateDate string `xml:"CreateDate"`
	} `xml:"ListAccessKeysResult>AccessKeyMetadata>member"`
}

// AccessKeys are the answer's keys, their dates parsed.
func (r ListAccessKeysResult) AccessKeys() ([]AccessKey, error) {
	keys := make([]AccessKey, 0, len(r.Keys))
	for _, k := range r.Keys {
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

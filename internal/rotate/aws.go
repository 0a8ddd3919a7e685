package rotate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/kagi-cli/kagi/internal/creds"
	"github.com/kagi-cli/kagi/internal/keyring"
)

// Client makes the few IAM and STS calls of a rotation, signed with the
// SDK's SigV4 signer and sent as query API requests: the SDK's IAM client
// would cost every kagi run its init (see creds.iamQuery).
type Client struct {
	HTTP      *http.Client
	Endpoints creds.Endpoints
	// Now is the clock requests are signed with; nil: time.Now.
	Now func() time.Time
	// Pause waits between attempts; nil: a timer that ends with ctx.
	Pause func(ctx context.Context, d time.Duration) error
}

// APIError is an error answer from IAM or STS.
type APIError struct {
	Action  string // "iam:CreateAccessKey"
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.Action, e.Code, e.Message)
}

// IsCode reports whether err is an answer from AWS with code.
func IsCode(err error, code string) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Code == code
}

// attempts bounds the tries of one call on a transient failure (a network
// error, HTTP 5xx, throttling).
const attempts = 4

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) pause(ctx context.Context, d time.Duration) error {
	if c.Pause != nil {
		return c.Pause(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// call makes one query API call as caller and decodes the answer into out
// (nil: ignored). Transient failures are tried again with a growing pause.
func (c *Client) call(ctx context.Context, service, action string, caller creds.Credentials, params url.Values, out any) error {
	wait := 200 * time.Millisecond
	var err error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			if perr := c.pause(ctx, wait); perr != nil {
				return err
			}
			wait *= 2
		}
		var transient bool
		transient, err = c.once(ctx, service, action, caller, params, out)
		if err == nil || !transient || ctx.Err() != nil {
			return err
		}
	}
	return err
}

func (c *Client) once(ctx context.Context, service, action string, caller creds.Credentials, params url.Values, out any) (transient bool, err error) {
	endpoint, region, version := c.Endpoints.IAM, "us-east-1", "2010-05-08"
	if service == "sts" {
		endpoint, region, version = c.Endpoints.STS, c.Endpoints.STSRegion, "2011-06-15"
	}
	v := url.Values{}
	for k, vs := range params {
		v[k] = vs
	}
	v.Set("Action", action)
	v.Set("Version", version)
	body := v.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(endpoint, "/")+"/", strings.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256([]byte(body))
	ac := aws.Credentials{AccessKeyID: caller.AccessKeyID, SecretAccessKey: caller.SecretAccessKey, SessionToken: caller.SessionToken}
	if err := v4.NewSigner().SignHTTP(ctx, ac, req, hex.EncodeToString(sum[:]), service, region, c.now()); err != nil {
		return false, err
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return ctx.Err() == nil, fmt.Errorf("%s:%s: %w", service, action, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return true, fmt.Errorf("%s:%s: %w", service, action, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Code    string `xml:"Error>Code"`
			Message string `xml:"Error>Message"`
		}
		_ = xml.Unmarshal(data, &e)
		ae := &APIError{Action: service + ":" + action, Status: resp.StatusCode, Code: e.Code, Message: e.Message}
		if ae.Code == "" {
			ae.Code = fmt.Sprintf("HTTP %d", resp.StatusCode)
		}
		return resp.StatusCode >= 500 || ae.Code == "Throttling" || ae.Code == "ThrottlingException", ae
	}
	if out == nil {
		return false, nil
	}
	if err := xml.Unmarshal(data, out); err != nil {
		return false, fmt.Errorf("%s:%s: %w", service, action, err)
	}
	return false, nil
}

// AccessKey is one access key of a user as ListAccessKeys describes it.
type AccessKey = creds.AccessKey

// LastUsed is what GetAccessKeyLastUsed says of a key; a zero At: never.
type LastUsed struct {
	At      time.Time
	Service string
	Region  string
}

// WhoAmI is sts:GetCallerIdentity with keys: the ARN they act as.
func (c *Client) WhoAmI(ctx context.Context, keys creds.Credentials) (string, error) {
	var out struct {
		Arn string `xml:"GetCallerIdentityResult>Arn"`
	}
	if err := c.call(ctx, "sts", "GetCallerIdentity", keys, nil, &out); err != nil {
		return "", err
	}
	return out.Arn, nil
}

// ListAccessKeys lists user's access keys.
func (c *Client) ListAccessKeys(ctx context.Context, caller creds.Credentials, user string) ([]AccessKey, error) {
	var out creds.ListAccessKeysResult
	if err := c.call(ctx, "iam", "ListAccessKeys", caller, url.Values{"UserName": {user}}, &out); err != nil {
		return nil, err
	}
	return out.AccessKeys()
}

// CreateAccessKey makes a new access key for user. It is never tried
// twice: a second try after an answer that was lost would make a second
// key (see Rotate's orphan rule).
func (c *Client) CreateAccessKey(ctx context.Context, caller creds.Credentials, user string) (keyring.AccessKeys, time.Time, error) {
	var out struct {
		ID         string `xml:"CreateAccessKeyResult>AccessKey>AccessKeyId"`
		Secret     string `xml:"CreateAccessKeyResult>AccessKey>SecretAccessKey"`
		CreateDate string `xml:"CreateAccessKeyResult>AccessKey>CreateDate"`
	}
	if _, err := c.once(ctx, "iam", "CreateAccessKey", caller, url.Values{"UserName": {user}}, &out); err != nil {
		return keyring.AccessKeys{}, time.Time{}, err
	}
	if !keyring.ValidAccessKeyID(out.ID) || out.Secret == "" {
		return keyring.AccessKeys{}, time.Time{}, fmt.Errorf("iam:CreateAccessKey: the answer holds no access key")
	}
	created, _ := time.Parse(time.RFC3339, out.CreateDate) // zero when absent: only shown
	return keyring.AccessKeys{AccessKeyID: out.ID, SecretAccessKey: out.Secret}, created.UTC(), nil
}

// DeleteAccessKey deletes user's key id.
func (c *Client) DeleteAccessKey(ctx context.Context, caller creds.Credentials, user, id string) error {
	return c.call(ctx, "iam", "DeleteAccessKey", caller, url.Values{"UserName": {user}, "AccessKeyId": {id}}, nil)
}

// LastUsed is iam:GetAccessKeyLastUsed of id.
func (c *Client) LastUsed(ctx context.Context, caller creds.Credentials, id string) (LastUsed, error) {
	var out struct {
		Date    string `xml:"GetAccessKeyLastUsedResult>AccessKeyLastUsed>LastUsedDate"`
		Service string `xml:"GetAccessKeyLastUsedResult>AccessKeyLastUsed>ServiceName"`
		Region  string `xml:"GetAccessKeyLastUsedResult>AccessKeyLastUsed>Region"`
	}
	if err := c.call(ctx, "iam", "GetAccessKeyLastUsed", caller, url.Values{"AccessKeyId": {id}}, &out); err != nil {
		return LastUsed{}, err
	}
	lu := LastUsed{Service: out.Service, Region: out.Region}
	if out.Date != "" {
		t, err := time.Parse(time.RFC3339, out.Date)
		if err != nil {
			return LastUsed{}, fmt.Errorf("iam:GetAccessKeyLastUsed: LastUsedDate %q: %w", out.Date, err)
		}
		lu.At = t.UTC()
	}
	return lu, nil
}

// MFADevices is iam:ListMFADevices of the caller: the serials, for a hint.
func (c *Client) MFADevices(ctx context.Context, caller creds.Credentials) ([]string, error) {
	var out struct {
		Serials []string `xml:"ListMFADevicesResult>MFADevices>member>SerialNumber"`
	}
	if err := c.call(ctx, "iam", "ListMFADevices", caller, nil, &out); err != nil {
		return nil, err
	}
	return out.Serials, nil
}

// Package ssoprofiles finds the accounts and roles an IAM Identity Center
// user may use (the portal's ListAccounts and ListAccountRoles) and keeps a
// profile for each in the shared config file: named from a template,
// added at the end of the file without touching anything else, and
// removed again, when it was generated and is unchanged, once the role is
// no longer assigned.
package ssoprofiles

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/smithy-go"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/creds"
)

// Assignment is one role in one account the user may use.
type Assignment struct {
	AccountID   string `json:"account_id"`
	AccountName string `json:"account_name"`
	RoleName    string `json:"role_name"`
}

func (a Assignment) String() string {
	return fmt.Sprintf("%s (%s) %s", a.AccountID, a.AccountName, a.RoleName)
}

// API is what discovery needs of the portal: *sso.Client.
type API interface {
	sso.ListAccountsAPIClient
	sso.ListAccountRolesAPIClient
}

// Bounds on the portal calls. The portal throttles (TooManyRequests)
// a user who lists hundreds of accounts at once: throttling is retried
// with the SDK's exponential backoff, patiently; anything else that is
// retryable (5xx, a dropped connection) a few times.
const (
	maxAttempts          = 3
	maxThrottledAttempts = 10
	maxBackoff           = 5 * time.Second
	// DefaultParallel is how many accounts' roles are listed at once.
	DefaultParallel = 8
)

// throttlePatient allows maxThrottledAttempts for throttling and
// maxAttempts for any other retryable error. A throttled call is retried
// at once: the shared Pacer, which every attempt waits for, has slowed
// down for that refusal already. Each call backing off on its own timer
// starves: with eight at a time against a portal that lets ten a second
// through, a call that keeps losing to the fresh ones runs out of
// attempts (TestListWaitsOutThrottling failed so before the Pacer).
type throttlePatient struct{ *retry.Standard }

func (r throttlePatient) RetryDelay(attempt int, err error) (time.Duration, error) {
	throttle := isThrottle(err)
	if !throttle && attempt >= maxAttempts {
		return 0, &retry.MaxAttemptsError{Attempt: attempt, Err: err}
	}
	if throttle {
		return 0, nil
	}
	return r.Standard.RetryDelay(attempt, err)
}

func isThrottle(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		_, ok := retry.DefaultThrottleErrorCodes[ae.ErrorCode()]
		return ok
	}
	return false
}

// Endpoint is the portal's URL as the AWS SDKs choose it from the
// environment: AWS_ENDPOINT_URL_SSO, else AWS_ENDPOINT_URL, unless
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true; "" means the SDK's own
// regional endpoint (portal.sso.REGION.amazonaws.com).
func Endpoint(env config.Env) string {
	get := func(k string) string {
		if env == nil {
			return ""
		}
		v, _ := env(k)
		return v
	}
	if strings.EqualFold(get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true") {
		return ""
	}
	if v := get("AWS_ENDPOINT_URL_SSO"); v != "" {
		return v
	}
	return get("AWS_ENDPOINT_URL")
}

// NewClient is the portal client for a session in region, at endpoint
// ("" for AWS's). httpClient nil: one with kagi's time bounds. Its calls
// share one creds.Pacer, which learns the portal's rate from its
// TooManyRequests answers and spaces every attempt to stay under it.
func NewClient(region, endpoint string, httpClient *http.Client) *sso.Client {
	return newClient(region, endpoint, httpClient, nil)
}

// newClient is NewClient with the retryer's backoff replaced (tests).
func newClient(region, endpoint string, httpClient *http.Client, backoff retry.BackoffDelayer) *sso.Client {
	pacer := creds.NewPacer()
	if httpClient == nil {
		httpClient = creds.NewHTTPClient(DefaultParallel)
	}
	cfg := aws.Config{
		Region:     region,
		HTTPClient: httpClient,
		Retryer: func() aws.Retryer {
			return throttlePatient{retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = maxThrottledAttempts
				o.MaxBackoff = maxBackoff
				// No client-side retry quota: a listing of many accounts
				// meets throttling as a matter of course, and the quota
				// would end it with "retry quota exceeded".
				o.RateLimiter = ratelimit.None
				if backoff != nil {
					o.Backoff = backoff
				}
			})}
		},
	}
	return sso.NewFromConfig(cfg, func(o *sso.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.APIOptions = append(o.APIOptions, pacer.APIOption())
	})
}

// UnauthorizedError is the portal refusing the access token: expired or
// revoked (signed out elsewhere). The user signs in again.
type UnauthorizedError struct{ Err error }

func (e *UnauthorizedError) Error() string {
	return "the IAM Identity Center portal refused the access token (expired or signed out): " + apiMessage(e.Err)
}
func (e *UnauthorizedError) Unwrap() error { return e.Err }

func apiMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if m := ae.ErrorMessage(); m != "" {
			return ae.ErrorCode() + ": " + m
		}
		return ae.ErrorCode()
	}
	return err.Error()
}

func classify(err error, what string) error {
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "UnauthorizedException" {
		return &UnauthorizedError{err}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// List returns every role in every account the token's user may use,
// sorted by account name (ignoring case), account id and role. Accounts are listed page by
// page; their roles with up to parallel calls at a time (DefaultParallel
// when parallel < 1). Any error ends the listing: a partial list is never
// returned, since --prune would take a missing role for an unassigned one.
func List(ctx context.Context, api API, token string, parallel int) ([]Assignment, error) {
	if parallel < 1 {
		parallel = DefaultParallel
	}
	var accounts []Assignment
	pages := sso.NewListAccountsPaginator(api, &sso.ListAccountsInput{AccessToken: aws.String(token)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, classify(err, "list the accounts")
		}
		for _, a := range page.AccountList {
			accounts = append(accounts, Assignment{AccountID: aws.ToString(a.AccountId), AccountName: aws.ToString(a.AccountName)})
		}
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	roles := make([][]Assignment, len(accounts))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(parallel, len(accounts)) {
		wg.Go(func() {
			for i := range next {
				r, err := listRoles(ctx, api, token, accounts[i])
				if err != nil {
					cancel(err)
					continue
				}
				roles[i] = r
			}
		})
	}
feed:
	for i := range accounts {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	var out []Assignment
	for _, r := range roles {
		out = append(out, r...)
	}
	slices.SortFunc(out, func(a, b Assignment) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.AccountName), strings.ToLower(b.AccountName)), cmp.Compare(a.AccountName, b.AccountName),
			cmp.Compare(a.AccountID, b.AccountID), cmp.Compare(a.RoleName, b.RoleName))
	})
	return out, nil
}

func listRoles(ctx context.Context, api API, token string, account Assignment) ([]Assignment, error) {
	var out []Assignment
	pages := sso.NewListAccountRolesPaginator(api, &sso.ListAccountRolesInput{AccessToken: aws.String(token), AccountId: aws.String(account.AccountID)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, classify(err, fmt.Sprintf("list the roles in account %s (%s)", account.AccountID, account.AccountName))
		}
		for _, r := range page.RoleList {
			a := account
			a.RoleName = aws.ToString(r.RoleName)
			out = append(out, a)
		}
	}
	return out, nil
}

package sso

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sso"

	"github.com/kagi-cli/kagi/internal/atomicfile"
	"github.com/kagi-cli/kagi/internal/config"
)

// Removed is a token file a sign-out removed.
type Removed struct {
	Path     string
	StartURL string // "" when the file did not say
	// Revoked: the portal's Logout accepted the token. An expired token
	// is refused there and removed all the same.
	Revoked bool
}

// Logout signs out of s: the portal's Logout with the cached token, then
// the token file removed (the AWS CLI's and kagi's: they are one file).
func (t *Tokens) Logout(ctx context.Context, s config.SSOSession) error {
	_, err := t.LogoutSession(ctx, s)
	return err
}

// LogoutSession is Logout, saying what it removed (nil: there was no
// token).
func (t *Tokens) LogoutSession(ctx context.Context, s config.SSOSession) ([]Removed, error) {
	if err := checkSession(s); err != nil {
		return nil, err
	}
	unlock, err := t.lock(ctx, s)
	if err != nil {
		return nil, err
	}
	defer unlock()
	path := t.tokenPath(s)
	tok, ok, err := ReadToken(path)
	var cfe *CacheFileError
	switch {
	case errors.As(err, &cfe):
		// Unreadable: remove it all the same, there is nothing to revoke.
	case err != nil:
		return nil, err
	case !ok:
		return nil, nil
	}
	if tok.Region == "" {
		tok.Region = s.Region
	}
	r, err := t.logoutFile(ctx, path, tok)
	if err != nil {
		return nil, err
	}
	return []Removed{r}, nil
}

// LogoutAll signs out of every session with a token in the cache, as
// `aws sso logout` does: each token revoked at the portal, each token
// file removed. Client registrations stay (they carry no one's access).
func (t *Tokens) LogoutAll(ctx context.Context) ([]Removed, error) {
	des, err := os.ReadDir(t.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the SSO cache: %w", err)
	}
	sort.Slice(des, func(i, j int) bool { return des[i].Name() < des[j].Name() })
	var removed []Removed
	var errs []error
	for _, de := range des {
		name := de.Name()
		if !de.Type().IsRegular() || !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") {
			continue
		}
		path := filepath.Join(t.Dir, name)
		tok, ok, err := ReadToken(path)
		if err != nil || !ok || tok.AccessToken == "" {
			continue // a registration, or not ours to judge
		}
		r, err := t.logoutFile(ctx, path, tok)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, r)
	}
	return removed, errors.Join(errs...)
}

// logoutFile revokes tok at the portal (best effort, as the AWS CLI does)
// and removes path.
func (t *Tokens) logoutFile(ctx context.Context, path string, tok Token) (Removed, error) {
	r := Removed{Path: path, StartURL: tok.StartURL}
	if tok.AccessToken != "" && tok.Region != "" {
		t.Log.Secret(tok.AccessToken, tok.RefreshToken, tok.ClientSecret)
		_, err := t.portal(tok.Region).Logout(ctx, &sso.LogoutInput{AccessToken: aws.String(tok.AccessToken)})
		if err != nil {
			if ctx.Err() != nil {
				return r, ctx.Err()
			}
			t.Log.Printf("sso: the portal refused to sign out %s: %v", path, err)
		} else {
			r.Revoked = true
		}
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return r, fmt.Errorf("remove SSO token file %q: %w", path, err)
	}
	atomicfile.SyncDir(filepath.Dir(path))
	return r, nil
}

// portal is the IAM Identity Center portal's client for region.
func (t *Tokens) portal(region string) *sso.Client {
	return sso.NewFromConfig(t.awsConfig(region), func(o *sso.Options) {
		o.BaseEndpoint = t.endpoint("SSO")
	})
}

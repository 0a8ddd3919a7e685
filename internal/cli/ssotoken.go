package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/creds"
	"github.com/kagi-cli/kagi/internal/fsguard"
)

// ssoToken is creds.Deps.SSOToken for now: the access token the AWS CLI v2
// (or `kagi sso login`) cached in ~/.aws/sso/cache/<CacheKey>.json, when it
// has more than a minute left. It neither refreshes nor signs in: without a
// usable token it fails with the command that signs in. internal/sso's
// Tokens.Token replaces it (refresh, sign-in, locks).
func (a *app) ssoToken(_ context.Context, s config.SSOSession) (string, error) {
	login := func(problem string) error {
		return &creds.SSOLoginError{Session: s, Problem: problem}
	}
	path, err := config.ExpandPath(a.io.LookupEnv, filepath.Join("~", ".aws", "sso", "cache", s.CacheKey()+".json"))
	if err != nil {
		return "", login(err.Error())
	}
	data, err := fsguard.Read(path, 1<<20)
	if errors.Is(err, fs.ErrNotExist) {
		return "", login("not signed in to " + s.StartURL + " (no token in " + path + ")")
	}
	if err != nil {
		return "", login(fmt.Sprintf("cannot read the token cache %s: %v", path, err))
	}
	var tok struct {
		AccessToken string `json:"accessToken"`
		ExpiresAt   string `json:"expiresAt"`
	}
	if err := json.Unmarshal(data, &tok); err != nil || tok.AccessToken == "" {
		// Not wrapped: a JSON error can quote part of the file.
		return "", login(path + " is not an AWS CLI v2 token cache file")
	}
	exp, err := time.Parse(time.RFC3339, tok.ExpiresAt)
	if err != nil {
		return "", login(fmt.Sprintf("%s: expiresAt %q is not an RFC 3339 time", path, tok.ExpiresAt))
	}
	if left := exp.Sub(a.io.Now()); left < time.Minute {
		return "", login("the sign-in to " + s.StartURL + " expired at " + exp.UTC().Format(time.RFC3339))
	}
	a.log().Secret(tok.AccessToken)
	return tok.AccessToken, nil
}

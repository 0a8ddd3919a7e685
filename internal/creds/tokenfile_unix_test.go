//go:build unix

package creds_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/creds"
	"github.com/kagi-cli/kagi/internal/fsguard"
)

// TestTokenFilesMustBeSmallRegularFiles: a FIFO as a token file blocked
// kagi until a writer came, and /dev/zero read until memory ran out. Each
// is now one error line naming the file and what named it, at once.
func TestTokenFilesMustBeSmallRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, fsguard.MaxToken+1); err != nil {
		t.Fatal(err)
	}
	webIdentity := func(file, cfg string) *config.Chain {
		src := config.Source{Kind: config.WebIdentity, WebIdentityTokenFile: file}
		if cfg != "" {
			src.Profile, src.File, src.Line = "w", cfg, 3
		}
		return &config.Chain{Profile: src.Profile, Source: src, Roles: []config.RoleHop{{RoleARN: roleCI, SessionName: "s"}}, STSEndpoint: "http://127.0.0.1:1"}
	}
	container := &config.Chain{Profile: "c", Source: config.Source{Kind: config.ContainerMetadata, Profile: "c"}}
	containerEnv := map[string]string{"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:1/creds"}
	for _, tc := range []struct {
		name  string
		chain *config.Chain
		env   map[string]string
		want  string
	}{
		{"env FIFO", webIdentity(fifo, ""), nil, "cannot read the token file named by AWS_WEB_IDENTITY_TOKEN_FILE: " + fifo + " is a FIFO, not a regular file"},
		{"setting /dev/zero", webIdentity("/dev/zero", "~/.aws/config"), nil, `web identity credentials of profile "w": cannot read the token file named by web_identity_token_file (~/.aws/config:3): /dev/zero is a character device, not a regular file`},
		{"too large", webIdentity(big, ""), nil, big + " is larger than 1 MiB"},
		{"container FIFO", container, map[string]string{"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": fifo}, "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: " + fifo + " is a FIFO, not a regular file"},
		{"container /dev/zero", container, map[string]string{"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "/dev/zero"}, "/dev/zero is a character device"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range tc.env {
				env[k] = v
			}
			if tc.chain.Source.Kind == config.ContainerMetadata {
				for k, v := range containerEnv {
					env[k] = v
				}
			}
			deps := creds.Deps{Env: config.MapEnv(env), HTTPClient: &http.Client{Timeout: 5 * time.Second}}
			done := make(chan error, 1)
			go func() {
				_, err := creds.Retrieve(context.Background(), tc.chain, deps)
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Retrieve still running after 10s")
			}
			var se *creds.SourceError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v, want a one-line SourceError with %q", err, tc.want)
			}
		})
	}
}

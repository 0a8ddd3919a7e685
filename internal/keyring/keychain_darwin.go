package keyring

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/kagi-cli/kagi/internal/extcmd"
)

// keychainStore keeps items as generic passwords (service "kagi", account
// the item name) in the user's default macOS keychain, through
// /usr/bin/security: no cgo, so kagi cross-compiles. The secret goes to
// security on its standard input (`security -i`), never in its argv,
// where other users' ps would show it. Data is stored base64-encoded,
// since security prints non-text passwords as hex.
type keychainStore struct {
	timeout       time.Duration
	promptTimeout time.Duration
}

const (
	keychainTool    = "/usr/bin/security"
	keychainService = "kagi"
	// errSecItemNotFound, as security's exit status.
	keychainNotFound = 44
)

func openKeychain(ctx context.Context, opts Options) (Keyring, error) {
	return &keychainStore{timeout: opts.timeout(), promptTimeout: opts.promptTimeout()}, nil
}

func (k *keychainStore) Backend() string { return BackendKeychain }

// run runs security; the keychain may show an unlock or access dialog,
// so calls get the prompt timeout.
func (k *keychainStore) run(ctx context.Context, stdin string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, k.promptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, keychainTool, args...)
	cmd.Env = extcmd.CleanEnv(os.Environ()) // no kagi secret for security(1)
	cmd.WaitDelay = time.Second
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("keychain: security %s: no answer within %v", args[0], k.promptTimeout)
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == keychainNotFound {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("keychain: security %s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

func (k *keychainStore) Get(ctx context.Context, name string) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	out, err := k.run(ctx, "", "find-generic-password", "-s", keychainService, "-a", name, "-w")
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(out)))
	if err != nil {
		return nil, fmt.Errorf("keychain: item %q was not written by kagi", name)
	}
	return data, nil
}

// securityQuote quotes s for security's interactive command line: double
// quotes, with '"' and '\' escaped by a backslash.
func securityQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func (k *keychainStore) Set(ctx context.Context, name string, data []byte) error {
	if err := checkName(name); err != nil {
		return err
	}
	line := fmt.Sprintf("add-generic-password -U -s %s -a %s -l %s -w %s\n",
		keychainService, securityQuote(name), securityQuote("kagi: "+name), base64.StdEncoding.EncodeToString(data))
	_, err := k.run(ctx, line, "-i")
	return err
}

func (k *keychainStore) Remove(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	_, err := k.run(ctx, "", "delete-generic-password", "-s", keychainService, "-a", name)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%q: %w", name, ErrNotFound)
	}
	return err
}

// List reads the attributes (not the secrets) of the default keychain's
// items and keeps the accounts of service "kagi".
func (k *keychainStore) List(ctx context.Context) ([]string, error) {
	out, err := k.run(ctx, "", "dump-keychain")
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	var names []string
	var acct, svce string
	flush := func() {
		if svce == keychainService && ValidName(acct) {
			names = append(names, acct)
		}
		acct, svce = "", ""
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "keychain:") {
			flush()
			continue
		}
		if v, ok := strings.CutPrefix(line, `"acct"<blob>=`); ok {
			acct = unquoteDump(v)
		} else if v, ok := strings.CutPrefix(line, `"svce"<blob>=`); ok {
			svce = unquoteDump(v)
		}
	}
	flush()
	return names, sc.Err()
}

// unquoteDump reads a dump-keychain value: "text", or 0x... hex for
// values security does not print as text (never one of kagi's names).
func unquoteDump(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1]
	}
	return ""
}

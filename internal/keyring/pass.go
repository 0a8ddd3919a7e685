package keyring

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/kagi-cli/kagi/internal/extcmd"
)

// passStore keeps items in pass (https://www.passwordstore.org/), the
// GPG-encrypted password store, under the folder "kagi". Data is stored
// base64-encoded: pass handles text, and items are bytes.
type passStore struct {
	cmd           string
	dir           string
	timeout       time.Duration
	promptTimeout time.Duration
}

const passFolder = "kagi"

func openPass(ctx context.Context, opts Options) (Keyring, error) {
	cmd, err := exec.LookPath("pass")
	if err != nil {
		return nil, errors.New("pass keyring: the pass program is not installed")
	}
	dir := opts.env("PASSWORD_STORE_DIR")
	if dir == "" {
		home := opts.env("HOME")
		if home == "" {
			return nil, errors.New("pass keyring: neither PASSWORD_STORE_DIR nor HOME is set")
		}
		dir = filepath.Join(home, ".password-store")
	}
	if _, err := os.Stat(filepath.Join(dir, ".gpg-id")); err != nil {
		return nil, fmt.Errorf("pass keyring: %q is not a password store (run 'pass init GPG-ID' first)", dir)
	}
	return &passStore{cmd: cmd, dir: dir, timeout: opts.timeout(), promptTimeout: opts.promptTimeout()}, nil
}

func (p *passStore) Backend() string { return BackendPass }

func (p *passStore) file(name string) string {
	return filepath.Join(p.dir, passFolder, name+".gpg")
}

// run runs pass with args, stdin as its input, within d.
func (p *passStore) run(ctx context.Context, d time.Duration, stdin []byte, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.cmd, args...)
	// Without kagi's secrets: pass and gpg have no use for the file
	// keyring's passphrase or an MFA code.
	cmd.Env = append(extcmd.CleanEnv(os.Environ()), "PASSWORD_STORE_DIR="+p.dir)
	cmd.WaitDelay = time.Second // a gpg-agent it starts must not hold its pipes
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("pass keyring: pass %s: no answer within %v", args[0], d)
		}
		// pass's stderr names files and gpg problems, never the data.
		return nil, fmt.Errorf("pass keyring: pass %s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

func (p *passStore) exists(name string) (bool, error) {
	_, err := os.Stat(p.file(name))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

func (p *passStore) Get(ctx context.Context, name string) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if ok, err := p.exists(name); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("%q: %w", name, ErrNotFound)
		}
		return nil, err
	}
	// Decrypting may ask for the GPG key's passphrase (pinentry).
	out, err := p.run(ctx, p.promptTimeout, nil, "show", passFolder+"/"+name)
	if err != nil {
		return nil, err
	}
	data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(out)))
	if err != nil {
		return nil, fmt.Errorf("pass keyring: item %q was not written by kagi", name)
	}
	return data, nil
}

func (p *passStore) Set(ctx context.Context, name string, data []byte) error {
	if err := checkName(name); err != nil {
		return err
	}
	in := base64.StdEncoding.EncodeToString(data) + "\n"
	_, err := p.run(ctx, p.timeout, []byte(in), "insert", "--multiline", "--force", passFolder+"/"+name)
	return err
}

func (p *passStore) Remove(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if ok, err := p.exists(name); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("%q: %w", name, ErrNotFound)
		}
		return err
	}
	_, err := p.run(ctx, p.timeout, nil, "rm", "--force", passFolder+"/"+name)
	return err
}

func (p *passStore) List(ctx context.Context) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(p.dir, passFolder))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pass keyring: %w", err)
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".gpg"); ok && !e.IsDir() && ValidName(n) {
			names = append(names, n)
		}
	}
	return names, nil
}

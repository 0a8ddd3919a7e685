package creds

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/extcmd"
	"github.com/kagi-cli/kagi/internal/fsguard"
	"github.com/kagi-cli/kagi/internal/keyring"
)

func (r *run) env(key string) string {
	if r.deps.Env == nil {
		return ""
	}
	v, _ := r.deps.Env(key)
	return v
}

// sourceID identifies the source for cache keys without reading a secret
// and, for keyring keys, without opening the keyring: a warm run must not
// pay a D-Bus round trip or a passphrase prompt. Keys are identified by
// their access key id: the keyring's by the id remembered in Deps.KeyIDs,
// read from the keyring only when none is remembered.
func (r *run) sourceID(ctx context.Context) (string, error) {
	if r.srcIDOK {
		return r.srcID, r.srcIDErr
	}
	r.srcIDOK = true
	r.srcID, r.srcIDErr = r.identify(ctx)
	return r.srcID, r.srcIDErr
}

// identify is sourceID's work. In an offline run (StepKeys) it reads no
// secret, runs no helper and opens no keyring: what cannot be known so is
// ErrIdentityUnknown.
func (r *run) identify(ctx context.Context) (string, error) {
	s := r.chain.Source
	switch s.Kind {
	case config.KeyringKeys:
		if id, ok := r.stampedKeyID(); ok {
			return KeyringRoot(id), nil
		}
		if r.offline {
			return "", ErrIdentityUnknown
		}
		c, err := r.source(ctx)
		if err != nil {
			return "", err
		}
		return KeyringRoot(c.AccessKeyID), nil
	case config.SharedKeys:
		// The files are loaded already; only the key id is used.
		k, err := r.sharedKeys()
		return hashFields("file", k.AccessKeyID), err
	case config.Environment:
		if r.offline {
			id := r.env("AWS_ACCESS_KEY_ID")
			if id == "" {
				return "", ErrIdentityUnknown
			}
			return hashFields("env", id), nil
		}
		c, err := r.envKeys()
		return hashFields("env", c.AccessKeyID), err
	case config.Process:
		return hashFields("process", s.Profile, s.CredentialProcess), nil
	case config.WebIdentity:
		if r.offline {
			// The token is a secret, or a helper's output.
			return "", ErrIdentityUnknown
		}
		// The token is a secret: only its hash goes into the key. A new
		// token (they are rotated hourly) makes a new entry.
		tok, err := r.webIdentityToken(ctx)
		sum := sha256.Sum256([]byte(tok))
		return hashFields("web-identity", s.WebIdentityTokenFile, s.WebIdentityTokenProcess, s.OIDC, hex.EncodeToString(sum[:])), err
	case config.InstanceMetadata, config.ContainerMetadata:
		return hashFields(s.Kind.String(), s.Profile), nil
	case config.SSO:
		return r.ssoIdentity()
	}
	return "", fmt.Errorf("profile %q: unknown kind of source %d", s.Profile, s.Kind)
}

// source returns the source's credentials, fetched once per Retrieve.
func (r *run) source(ctx context.Context) (Credentials, error) {
	if r.src != nil {
		return *r.src, nil
	}
	s := r.chain.Source
	var (
		c   Credentials
		err error
	)
	switch s.Kind {
	case config.KeyringKeys:
		c, err = r.keyringKeys(ctx)
	case config.SharedKeys:
		var k config.StaticKeys
		k, err = r.sharedKeys()
		c = Credentials{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey, SessionToken: k.SessionToken}
	case config.Environment:
		c, err = r.envKeys()
	case config.Process:
		c, err = r.process(ctx)
	case config.InstanceMetadata:
		c, err = r.instanceMetadata(ctx)
	case config.ContainerMetadata:
		c, err = r.containerMetadata(ctx)
	case config.SSO:
		c, err = r.ssoRoleCredentials(ctx)
	case config.WebIdentity:
		err = fmt.Errorf("profile %q: a web identity source needs a role to exchange its token for", s.Profile)
	default:
		err = fmt.Errorf("profile %q: unknown kind of source %d", s.Profile, s.Kind)
	}
	if err != nil {
		return Credentials{}, err
	}
	r.log.Secret(c.SecretAccessKey, c.SessionToken)
	if c.Expires() && !c.Expiration.After(r.now()) {
		return Credentials{}, &ExpiredSourceError{Profile: s.Profile, Source: s.Kind.String(),
			Err: fmt.Errorf("they expired at %s", c.Expiration.UTC().Format(time.RFC3339))}
	}
	r.log.Printf("source: %s credentials %s", s.Kind, c.AccessKeyID)
	r.src = &c
	if s.Kind == config.KeyringKeys {
		if err := r.noteKeyID(ctx, c.AccessKeyID); err != nil {
			return Credentials{}, err
		}
	}
	return c, nil
}

func (r *run) keyringKeys(ctx context.Context) (Credentials, error) {
	p := r.chain.Source.Profile
	if r.deps.Keyring == nil {
		return Credentials{}, &NoKeysError{Profile: p, Err: errors.New("no keyring is available")}
	}
	k, err := keyring.GetKeys(ctx, r.deps.Keyring, p)
	if errors.Is(err, keyring.ErrNotFound) {
		return Credentials{}, &NoKeysError{Profile: p, Err: err}
	}
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey}, nil
}

func (r *run) sharedKeys() (config.StaticKeys, error) {
	p := r.chain.Source.Profile
	if r.deps.Files == nil {
		return config.StaticKeys{}, fmt.Errorf("profile %q: the shared files were not loaded", p)
	}
	k, err := r.deps.Files.StaticKeys(p)
	if err == nil {
		r.log.Secret(k.SecretAccessKey, k.SessionToken)
	}
	return k, err
}

// envKeys reads the standard variables; AWS_CREDENTIAL_EXPIRATION (which
// kagi exec sets, as aws-vault does) gives temporary ones an end.
func (r *run) envKeys() (Credentials, error) {
	c := Credentials{AccessKeyID: r.env("AWS_ACCESS_KEY_ID"), SecretAccessKey: r.env("AWS_SECRET_ACCESS_KEY"), SessionToken: r.env("AWS_SESSION_TOKEN")}
	if c.SessionToken == "" {
		c.SessionToken = r.env("AWS_SECURITY_TOKEN")
	}
	r.log.Secret(c.SecretAccessKey, c.SessionToken)
	var missing []string
	if c.AccessKeyID == "" {
		missing = append(missing, "AWS_ACCESS_KEY_ID")
	}
	if c.SecretAccessKey == "" {
		missing = append(missing, "AWS_SECRET_ACCESS_KEY")
	}
	if len(missing) > 0 {
		return Credentials{}, &SourceError{Profile: r.chain.Source.Profile, Source: "environment",
			Problem: strings.Join(missing, " and ") + " not set",
			Next:    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile (AWS_PROFILE or the PROFILE argument)"}
	}
	if v := r.env("AWS_CREDENTIAL_EXPIRATION"); v != "" && c.SessionToken != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			r.log.Printf("source: ignoring AWS_CREDENTIAL_EXPIRATION %q: not RFC 3339", v)
		} else {
			c.Expiration = t.UTC()
		}
	}
	return c, nil
}

// processOutput is credential_process's JSON, Version 1.
// https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-sourcing-external.html
type processOutput struct {
	Version         int
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string
	Expiration      string
}

// maxProcessOutput bounds what is read from credential_process: the JSON
// is a few kilobytes at most.
const maxProcessOutput = 1 << 20

// helpers is the runner for the programs a chain names. Their stderr goes
// to Deps.Stderr so their own prompts and messages reach the user; their
// environment is Deps.Environ without kagi's secrets.
func (r *run) helpers() *extcmd.Runner {
	return &extcmd.Runner{Environ: r.deps.Environ, Stderr: r.deps.Stderr}
}

// process runs credential_process with sh -c, as the AWS CLI runs it
// through the shell on Unix. Its output is a secret and never quoted in an
// error, nor is its command line.
func (r *run) process(ctx context.Context) (Credentials, error) {
	s := r.chain.Source
	next := fmt.Sprintf("run the command of credential_process (%s:%d) by hand to see what it prints", s.File, s.Line)
	fail := func(problem string) error {
		return &SourceError{Profile: s.Profile, Source: "credential_process", Problem: problem, Next: next}
	}
	start := time.Now()
	out, err := r.helpers().Output(ctx, extcmd.Command{
		What:      fmt.Sprintf("credential_process of profile %q", s.Profile),
		Hint:      next,
		Shell:     s.CredentialProcess,
		Program:   fmt.Sprintf("credential_process program of profile %q", s.Profile),
		MaxOutput: maxProcessOutput,
	})
	r.log.Printf("source: credential_process of profile %q ran for %s", s.Profile, time.Since(start).Round(time.Millisecond))
	if err != nil {
		return Credentials{}, err
	}
	var p processOutput
	if err := json.Unmarshal(out, &p); err != nil {
		// Not wrapped: a JSON error can quote part of the output.
		return Credentials{}, fail("its output is not the credential_process JSON")
	}
	r.log.Secret(p.SecretAccessKey, p.SessionToken)
	if p.Version != 1 {
		return Credentials{}, fail(fmt.Sprintf("its output has Version %d, want 1", p.Version))
	}
	if p.AccessKeyID == "" || p.SecretAccessKey == "" {
		return Credentials{}, fail("its output lacks AccessKeyId or SecretAccessKey")
	}
	c := Credentials{AccessKeyID: p.AccessKeyID, SecretAccessKey: p.SecretAccessKey, SessionToken: p.SessionToken}
	if p.Expiration != "" {
		t, err := time.Parse(time.RFC3339, p.Expiration)
		if err != nil {
			return Credentials{}, fail(fmt.Sprintf("its Expiration %q is not RFC 3339", p.Expiration))
		}
		c.Expiration = t.UTC()
	}
	return c, nil
}

// NoSourceError is environment mode with nothing to start from: no keys,
// no web identity token and no container endpoint in the environment, and
// no credentials from instance metadata either, the last place it looks.
// It leads with the fix; what instance metadata said is in --debug.
type NoSourceError struct {
	// Metadata says in a few words why instance metadata gave nothing.
	Metadata string
}

func (e *NoSourceError) Error() string {
	return "no credentials to start from: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_WEB_IDENTITY_TOKEN_FILE), use --oidc github in GitHub Actions, or name a profile"
}

// Hint says where kagi looked.
func (e *NoSourceError) Hint() string {
	return "kagi found no keys, web identity token or container credentials in the environment, and " + e.Metadata + "; --debug shows the instance metadata lookup"
}

// imdsTimeout bounds the whole instance metadata lookup. The SDK's client
// gives up on a dead address within about a second per attempt; this is
// the backstop, so that a CI job on a machine that is not EC2 fails fast.
const imdsTimeout = 10 * time.Second

// instanceMetadata uses the SDK's IMDSv2 client, honouring the SDK's
// AWS_EC2_METADATA_DISABLED and AWS_EC2_METADATA_SERVICE_ENDPOINT.
//
// In environment mode, instance metadata is only where kagi ended up for
// want of anything else (config.Resolve): its failure is a *NoSourceError,
// and the SDK's error (three attempts at a dead address, an IMDS status)
// goes to the --debug log.
func (r *run) instanceMetadata(ctx context.Context) (Credentials, error) {
	s := r.chain.Source
	envMode := s.Profile == ""
	if strings.EqualFold(r.env("AWS_EC2_METADATA_DISABLED"), "true") {
		if envMode {
			return Credentials{}, &NoSourceError{Metadata: "instance metadata is off (AWS_EC2_METADATA_DISABLED=true)"}
		}
		return Credentials{}, &SourceError{Profile: s.Profile, Source: "instance metadata", Problem: "AWS_EC2_METADATA_DISABLED is true"}
	}
	opts := imds.Options{Endpoint: r.env("AWS_EC2_METADATA_SERVICE_ENDPOINT")}
	if r.deps.HTTPClient != nil {
		opts.HTTPClient = r.deps.HTTPClient
	}
	bounded, cancel := context.WithTimeout(ctx, imdsTimeout)
	defer cancel()
	p := ec2rolecreds.New(func(o *ec2rolecreds.Options) { o.Client = imds.New(opts) })
	c, err := r.provider(bounded, p, "instance metadata")
	if err != nil && envMode && ctx.Err() == nil { // not interrupted
		r.log.Printf("source: instance metadata: %v", err)
		return Credentials{}, &NoSourceError{Metadata: "EC2 instance metadata gave none (this is not an EC2 instance, or one without a role)"}
	}
	return c, err
}

// containerMetadata reads the ECS/EKS Pod Identity credential endpoint:
// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on 169.254.170.2) or
// AWS_CONTAINER_CREDENTIALS_FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN
// or _TOKEN_FILE.
func (r *run) containerMetadata(ctx context.Context) (Credentials, error) {
	s := r.chain.Source
	fail := func(problem string) error {
		return &SourceError{Profile: s.Profile, Source: "container", Problem: problem,
			Next: "credential_source = EcsContainer works inside ECS tasks and EKS pods, which set AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI"}
	}
	endpoint := ""
	if rel := r.env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"); rel != "" {
		endpoint = "http://169.254.170.2" + rel
	} else if full := r.env("AWS_CONTAINER_CREDENTIALS_FULL_URI"); full != "" {
		if !allowedContainerURI(full) {
			return Credentials{}, fail(fmt.Sprintf("AWS_CONTAINER_CREDENTIALS_FULL_URI %q must be https or on a loopback or container metadata address", full))
		}
		endpoint = full
	} else {
		return Credentials{}, fail("neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set")
	}
	token, tokenFile := r.env("AWS_CONTAINER_AUTHORIZATION_TOKEN"), r.env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
	if tokenFile != "" {
		data, err := fsguard.Read(tokenFile, fsguard.MaxToken)
		if err != nil {
			return Credentials{}, &SourceError{Profile: s.Profile, Source: "container", Problem: "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", Err: err}
		}
		token = strings.TrimSpace(string(data))
	}
	r.log.Secret(token)
	p := endpointcreds.New(endpoint, func(o *endpointcreds.Options) {
		if r.deps.HTTPClient != nil {
			o.HTTPClient = r.deps.HTTPClient
		}
		o.AuthorizationToken = token
	})
	return r.provider(ctx, p, "container")
}

// allowedContainerURI is the SDKs' rule for a full container credentials
// URI: https anywhere, http only to the machine itself or the ECS and EKS
// metadata addresses, so that a token is never sent in clear to the network.
func allowedContainerURI(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	if u.Scheme == "https" {
		return true
	}
	if u.Scheme != "http" {
		return false
	}
	host := u.Hostname()
	if host == "localhost" || host == "169.254.170.2" || host == "169.254.170.23" || host == "fd00:ec2::23" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (r *run) provider(ctx context.Context, p aws.CredentialsProvider, what string) (Credentials, error) {
	start := time.Now()
	ac, err := p.Retrieve(ctx)
	r.log.Printf("source: %s answered in %s", what, time.Since(start).Round(time.Millisecond))
	if err != nil {
		return Credentials{}, &SourceError{Profile: r.chain.Source.Profile, Source: what, Problem: "no credentials", Err: err}
	}
	c := Credentials{AccessKeyID: ac.AccessKeyID, SecretAccessKey: ac.SecretAccessKey, SessionToken: ac.SessionToken}
	if ac.CanExpire {
		c.Expiration = ac.Expires.UTC()
	}
	return c, nil
}

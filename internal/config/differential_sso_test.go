package config

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"

	"github.com/kagi-cli/kagi/internal/interop"
)

// The differential corpus, a level up: for every profile with sso_*
// settings in the sso_* cases, which source kagi, botocore and the Go SDK
// choose, and for IAM Identity Center where they sign in and which role
// they ask for. kagi must agree with both where they agree with each
// other; it refuses a profile only where one of them does, or where they
// read it differently (a profile whose meaning depends on the tool is a
// trap, and kagi says so instead of picking one).

// ssoDecision is one tool's reading of a profile.
type ssoDecision struct {
	Decision string // sso, assume-role, keys, process, web-identity, none, error
	StartURL string `json:"start_url"`
	Region   string
	Account  string
	Role     string
	Error    string
}

func (d ssoDecision) same(o ssoDecision) bool {
	return d.Decision == o.Decision && d.StartURL == o.StartURL && d.Region == o.Region && d.Account == o.Account && d.Role == o.Role
}

func kagiDecision(fs *Files, name string) ssoDecision {
	c, err := Resolve(fs, Request{Profile: name, Env: MapEnv(nil)})
	switch {
	case err != nil:
		return ssoDecision{Decision: "error", Error: err.Error()}
	case len(c.Roles) > 0:
		return ssoDecision{Decision: "assume-role"}
	case c.Source.Kind == SSO:
		return ssoDecision{Decision: "sso", StartURL: c.Source.SSO.StartURL, Region: c.Source.SSO.Region, Account: c.Source.SSOAccountID, Role: c.Source.SSORoleName}
	case c.Source.Kind == SharedKeys:
		return ssoDecision{Decision: "keys"}
	case c.Source.Kind == Process:
		return ssoDecision{Decision: "process"}
	}
	return ssoDecision{Decision: c.Source.Kind.String()}
}

// goDecision is the Go SDK's: LoadDefaultConfig builds the credential
// provider (and validates the SSO settings) without fetching anything.
func goDecision(t *testing.T, cfgPath, credPath, name string) ssoDecision {
	ctx := context.Background()
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithSharedConfigProfile(name),
		awsconfig.WithSharedConfigFiles([]string{cfgPath}), awsconfig.WithSharedCredentialsFiles([]string{credPath}),
		awsconfig.WithRegion("us-east-1"))
	if err != nil {
		return ssoDecision{Decision: "error", Error: err.Error()}
	}
	switch p := cfg.Credentials; {
	case aws.IsCredentialsProvider(p, (*ssocreds.Provider)(nil)):
		sc, err := awsconfig.LoadSharedConfigProfile(ctx, name, func(o *awsconfig.LoadSharedConfigOptions) {
			o.ConfigFiles, o.CredentialsFiles = []string{cfgPath}, []string{credPath}
		})
		if err != nil {
			t.Fatalf("profile %q: LoadDefaultConfig reads it, LoadSharedConfigProfile not: %v", name, err)
		}
		d := ssoDecision{Decision: "sso", StartURL: sc.SSOStartURL, Region: sc.SSORegion, Account: sc.SSOAccountID, Role: sc.SSORoleName}
		if sc.SSOSession != nil {
			d.StartURL, d.Region = sc.SSOSession.SSOStartURL, sc.SSOSession.SSORegion
		}
		return d
	case aws.IsCredentialsProvider(p, (*stscreds.AssumeRoleProvider)(nil)):
		return ssoDecision{Decision: "assume-role"}
	case aws.IsCredentialsProvider(p, credentials.StaticCredentialsProvider{}):
		return ssoDecision{Decision: "keys"}
	case aws.IsCredentialsProvider(p, (*processcreds.Provider)(nil)):
		return ssoDecision{Decision: "process"}
	}
	return ssoDecision{Decision: "other"}
}

func TestDifferentialSSO(t *testing.T) {
	python := interop.NeedTool(t, "python3")
	if err := exec.Command(python, "-c", "import botocore.credentials").Run(); err != nil {
		interop.Missing(t, "python3 cannot import botocore")
	}
	// The Go SDK reads the environment too: nothing of this machine's.
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CA_BUNDLE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_ENDPOINT_URL"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	var cases []corpusCase
	for _, c := range loadCorpus(t) {
		if strings.HasPrefix(c.name, "sso_") {
			cases = append(cases, c)
		}
	}
	if len(cases) < 2 {
		t.Fatalf("%d sso_ cases in the corpus", len(cases))
	}
	dir := t.TempDir()
	var paths [][2]string
	for _, c := range cases {
		cp, crp := filepath.Join(dir, c.name+".config"), filepath.Join(dir, c.name+".credentials")
		if err := os.WriteFile(cp, c.config, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(crp, c.credentials, 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, [2]string{cp, crp})
	}
	in, _ := json.Marshal(paths)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, filepath.Join("testdata", "differential", "sso_oracle.py"))
	cmd.Env = append(interop.CleanEnv(t), "PYTHONUTF8=1")
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("sso_oracle.py: %v\n%s", err, stderr.String())
	}
	var boto []map[string]ssoDecision
	if err := json.Unmarshal(stdout.Bytes(), &boto); err != nil {
		t.Fatalf("sso_oracle.py output: %v\n%s", err, stdout.String())
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, _ := Parse("config", ConfigFile, c.config)
			creds, _ := Parse("credentials", CredentialsFile, c.credentials)
			fs := &Files{Config: cfg, Credentials: creds}
			if len(boto[i]) == 0 {
				t.Fatal("botocore found no profile with sso_* settings")
			}
			for name, b := range boto[i] {
				k := kagiDecision(fs, name)
				g := goDecision(t, paths[i][0], paths[i][1], name)
				agree := b.Decision != "error" && g.Decision != "error" && b.same(g)
				switch {
				case k.Decision == "error" && agree:
					t.Errorf("profile %q: kagi refuses it (%s), botocore and the Go SDK both read %+v", name, k.Error, b)
				case k.Decision != "error" && (!k.same(b) || !k.same(g)):
					t.Errorf("profile %q: kagi reads %+v, botocore %+v, the Go SDK %+v", name, k, b, g)
				default:
					t.Logf("profile %q: kagi %s %s | botocore %s %s | Go SDK %s %s", name, k.Decision, k.Error, b.Decision, b.Error, g.Decision, g.Error)
				}
			}
		})
	}
}

package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func parseBoth(t testing.TB, cfg, creds string) *Files {
	t.Helper()
	c, err := Parse("~/.aws/config", ConfigFile, []byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	k, err := Parse("~/.aws/credentials", CredentialsFile, []byte(creds))
	if err != nil {
		t.Fatal(err)
	}
	return &Files{Config: c, Credentials: k}
}

// summary renders a chain compactly for table tests.
func summary(c *Chain) string {
	var b strings.Builder
	fmt.Fprintf(&b, "src=%s", c.Source.Kind)
	if c.Source.Profile != "" {
		fmt.Fprintf(&b, "(%s)", c.Source.Profile)
	}
	if c.Source.Temporary {
		b.WriteString("+token")
	}
	if c.Source.CredentialProcess != "" {
		fmt.Fprintf(&b, "[%s]", c.Source.CredentialProcess)
	}
	if c.Source.WebIdentityTokenFile != "" {
		fmt.Fprintf(&b, "[%s]", c.Source.WebIdentityTokenFile)
	}
	if c.Source.WebIdentityTokenProcess != "" {
		fmt.Fprintf(&b, "[proc=%s]", c.Source.WebIdentityTokenProcess)
	}
	if c.Source.OIDC != "" {
		fmt.Fprintf(&b, "[oidc=%s]", c.Source.OIDC)
	}
	if s := c.Source.SSO; s != nil {
		fmt.Fprintf(&b, "[%s/%s@%s,%s", c.Source.SSOAccountID, c.Source.SSORoleName, s.StartURL, s.Region)
		if s.Name != "" {
			fmt.Fprintf(&b, ",session=%s", s.Name)
		}
		if s.Scopes != nil {
			fmt.Fprintf(&b, ",scopes=%s", strings.Join(s.Scopes, "+"))
		}
		b.WriteString("]")
	}
	if c.MFA != nil && c.MFA.Serial == "" {
		fmt.Fprintf(&b, " session/%s", c.MFA.Duration)
	} else if c.MFA != nil {
		fmt.Fprintf(&b, " mfa=%s/%s", c.MFA.Serial, c.MFA.Duration)
		if c.MFA.Process != "" {
			fmt.Fprintf(&b, "/proc=%s", c.MFA.Process)
		}
	}
	for _, r := range c.Roles {
		fmt.Fprintf(&b, " -> %s:%s", r.Profile, r.RoleARN)
		if r.Chained {
			b.WriteString(" chained")
		}
		if r.MFASerial != "" {
			fmt.Fprintf(&b, " mfa=%s", r.MFASerial)
		}
	}
	if c.Region != "" {
		fmt.Fprintf(&b, " region=%s", c.Region)
	}
	if c.STSEndpoint != "" {
		fmt.Fprintf(&b, " sts=%s", c.STSEndpoint)
	}
	return b.String()
}

// The config of seed article 003 (aws-vault with include_profile
// templates), with the placeholders filled in and its inline comments.
const seed003 = `[profile jumpuser]
region=ap-northeast-1
output=json
mfa_serial=arn:aws:iam::000000000000:mfa/jumpuser
# 以下を追加
[profile role_name]
source_profile=jumpuser # 切り替え元IAMユーザのプロファイル
role_arn=arn:aws:iam::111111111111:role/role_name # 切り替え先ロールのARN
mfa_serial=arn:aws:iam::000000000000:mfa/jumpuser # 切り替え元IAMユーザのMFAデバイスのARN
[profile switchrole]
region=ap-northeast-1
output=json
source_profile=jumpuser
mfa_serial=arn:aws:iam::000000000000:mfa/jumpuser
[profile account_a]
role_arn=arn:aws:iam::111111111111:role/role_name
include_profile=switchrole
[profile account_b]
role_arn=arn:aws:iam::222222222222:role/role_name
include_profile=switchrole
`

// Seed article 001: keys in [default], a role with MFA for Ansible.
const seed001 = `[default]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
[profile xxxx]
role_arn = arn:aws:iam::222222222222:role/yyyy
mfa_serial = arn:aws:iam::111111111111:mfa/zzzz
source_profile = default
`

// Seed article 002: CI keys in the environment, the role in the profile.
const seed002 = `[profile iam-example-role]
role_arn = arn:aws:iam::123456789012:role/iam-example-role
credential_source = Environment
`

const jumpMFA = "arn:aws:iam::000000000000:mfa/jumpuser"

const ciRole = "arn:aws:iam::123456789012:role/ci"

// envKeys is an environment with keys in AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, plus the pairs kv.
func envKeys(kv ...string) map[string]string {
	m := map[string]string{"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "s"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name       string
		cfg, creds string
		req        Request
		env        map[string]string
		want       string
	}{
		{"seed 003: include_profile template", seed003, "", Request{Profile: "account_a"}, nil,
			"src=keyring(jumpuser) mfa=" + jumpMFA + "/12h0m0s -> account_a:arn:aws:iam::111111111111:role/role_name region=ap-northeast-1"},
		{"seed 003: second account shares the template", seed003, "", Request{Profile: "account_b"}, nil,
			"src=keyring(jumpuser) mfa=" + jumpMFA + "/12h0m0s -> account_b:arn:aws:iam::222222222222:role/role_name region=ap-northeast-1"},
		{"seed 003: inline comments stripped", seed003, "", Request{Profile: "role_name"}, nil,
			"src=keyring(jumpuser) mfa=" + jumpMFA + "/12h0m0s -> role_name:arn:aws:iam::111111111111:role/role_name"},
		{"seed 003: IAM user with mfa_serial and no role is an MFA session", seed003, "", Request{Profile: "jumpuser"}, nil,
			"src=keyring(jumpuser) mfa=" + jumpMFA + "/12h0m0s region=ap-northeast-1"},
		{"seed 003: template alone borrows its source's keys (aws-vault)", seed003, "", Request{Profile: "switchrole"}, nil,
			"src=keyring(jumpuser) mfa=" + jumpMFA + "/12h0m0s region=ap-northeast-1"},
		{"seed 001: Ansible role from keys in [default]", seed001, "", Request{Profile: "xxxx"}, nil,
			"src=file(default) mfa=arn:aws:iam::111111111111:mfa/zzzz/12h0m0s -> xxxx:arn:aws:iam::222222222222:role/yyyy"},
		{"seed 002: credential_source = Environment", seed002, "", Request{}, map[string]string{"AWS_PROFILE": "iam-example-role"},
			"src=env(iam-example-role) -> iam-example-role:arn:aws:iam::123456789012:role/iam-example-role"},
		{"credentials-only profile", "", "[ci]\naws_access_key_id = A\naws_secret_access_key = S\n", Request{Profile: "ci"}, nil, "src=file(ci) session/12h0m0s"},
		{"temporary keys in the file", "", "[t]\naws_access_key_id = A\naws_secret_access_key = S\naws_session_token = T\n", Request{Profile: "t"}, nil, "src=file(t)+token"},
		{"temporary keys: MFA goes to AssumeRole", "[profile r]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = t\nmfa_serial = GAHT12345678\n",
			"[t]\naws_access_key_id = A\naws_secret_access_key = S\naws_session_token = T\n", Request{Profile: "r"}, nil,
			"src=file(t)+token -> r:arn:aws:iam::123456789012:role/r mfa=GAHT12345678"},
		{"no keys anywhere: keyring", "[profile u]\nregion = us-east-1\n", "", Request{Profile: "u"}, nil, "src=keyring(u) session/12h0m0s region=us-east-1"},
		{"keys in the credentials file beat credential_process", "[profile p]\ncredential_process = /bin/p\naws_access_key_id = C\naws_secret_access_key = C\n",
			"[p]\naws_access_key_id = A\naws_secret_access_key = S\n", Request{Profile: "p"}, nil, "src=file(p) session/12h0m0s"},
		{"credential_process beats keys in the config file", "[profile p]\ncredential_process = /bin/p --x\naws_access_key_id = C\naws_secret_access_key = C\n", "",
			Request{Profile: "p"}, nil, "src=process(p)[/bin/p --x]"},
		{"source_profile naming itself uses its own keys", "[profile s]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = s\n",
			"[s]\naws_access_key_id = A\naws_secret_access_key = S\n", Request{Profile: "s"}, nil, "src=file(s) -> s:arn:aws:iam::123456789012:role/r"},
		{"source_profile naming itself without file keys: keyring", "[profile s]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = s\n", "",
			Request{Profile: "s"}, nil, "src=keyring(s) -> s:arn:aws:iam::123456789012:role/r"},
		{"two levels of roles: second hop is chained", "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/a\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::222222222222:role/b\nsource_profile = c\nmfa_serial = arn:aws:iam::333333333333:mfa/me\n[profile c]\n", "",
			Request{Profile: "a"}, nil, "src=keyring(c) mfa=arn:aws:iam::333333333333:mfa/me/12h0m0s -> b:arn:aws:iam::222222222222:role/b -> a:arn:aws:iam::111111111111:role/a chained"},
		{"mfa_serial inherited from the source profile", "[profile r]\nrole_arn = arn:aws:iam::111111111111:role/r\nsource_profile = u\n[profile u]\nmfa_serial = arn:aws:iam::222222222222:mfa/u\n", "",
			Request{Profile: "r"}, nil, "src=keyring(u) mfa=arn:aws:iam::222222222222:mfa/u/12h0m0s -> r:arn:aws:iam::111111111111:role/r"},
		{"--no-session: MFA code on the first AssumeRole", seed003, "", Request{Profile: "account_a", NoSession: true}, nil,
			"src=keyring(jumpuser) -> account_a:arn:aws:iam::111111111111:role/role_name mfa=" + jumpMFA + " region=ap-northeast-1"},
		{"--no-session without a role: keys as they are", seed003, "", Request{Profile: "jumpuser", NoSession: true}, nil,
			"src=keyring(jumpuser) region=ap-northeast-1"},
		{"long-term keys without a role get a session without MFA", "", "[u]\naws_access_key_id = A\naws_secret_access_key = S\n", Request{Profile: "u"}, nil,
			"src=file(u) session/12h0m0s"},
		{"the session without MFA takes mfa_session_duration", "[profile u]\nmfa_session_duration = 2h\n", "", Request{Profile: "u"}, nil,
			"src=keyring(u) session/2h0m0s"},
		{"the session without MFA takes --duration", "[profile u]\n", "", Request{Profile: "u", Duration: time.Hour}, nil,
			"src=keyring(u) session/1h0m0s"},
		{"--no-session: long-term keys as they are", "", "[u]\naws_access_key_id = A\naws_secret_access_key = S\n", Request{Profile: "u", NoSession: true}, nil,
			"src=file(u)"},
		{"a role without MFA is assumed straight from the keys", "[profile r]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = u\n[profile u]\n", "", Request{Profile: "r"}, nil,
			"src=keyring(u) -> r:arn:aws:iam::123456789012:role/r"},
		{"temporary keys in the file get no session", "", "[t]\naws_access_key_id = A\naws_secret_access_key = S\naws_session_token = T\nmfa_session_duration = 2h\n", Request{Profile: "t"}, nil,
			"src=file(t)+token"},
		{"credential_process gets no session", "[profile p]\ncredential_process = /bin/p\n", "", Request{Profile: "p"}, nil,
			"src=process(p)[/bin/p]"},
		{"--mfa-serial flag", "[profile u]\n", "", Request{Profile: "u", MFASerial: "arn:aws:iam::123456789012:mfa/flag"}, nil,
			"src=keyring(u) mfa=arn:aws:iam::123456789012:mfa/flag/12h0m0s"},
		{"environment source: MFA code goes to AssumeRole", "[profile e]\nrole_arn = arn:aws:iam::123456789012:role/r\ncredential_source = Environment\nmfa_serial = arn:aws:iam::123456789012:mfa/u\n", "",
			Request{Profile: "e"}, nil, "src=env(e) -> e:arn:aws:iam::123456789012:role/r mfa=arn:aws:iam::123456789012:mfa/u"},
		{"Ec2InstanceMetadata", "[profile i]\nrole_arn = arn:aws:iam::123456789012:role/r\ncredential_source = Ec2InstanceMetadata\n", "", Request{Profile: "i"}, nil,
			"src=ec2(i) -> i:arn:aws:iam::123456789012:role/r"},
		{"EcsContainer", "[profile i]\nrole_arn = arn:aws:iam::123456789012:role/r\ncredential_source = EcsContainer\n", "", Request{Profile: "i"}, nil,
			"src=ecs(i) -> i:arn:aws:iam::123456789012:role/r"},
		{"web identity in a profile", "[profile w]\nrole_arn = arn:aws:iam::123456789012:role/w\nweb_identity_token_file = /var/run/token\n", "", Request{Profile: "w"}, nil,
			"src=web-identity(w)[/var/run/token] -> w:arn:aws:iam::123456789012:role/w"},
		{"role on top of web identity is chained", "[profile top]\nrole_arn = arn:aws:iam::111111111111:role/top\nsource_profile = w\n[profile w]\nrole_arn = arn:aws:iam::123456789012:role/w\nweb_identity_token_file = /t\n", "",
			Request{Profile: "top"}, nil, "src=web-identity(w)[/t] -> w:arn:aws:iam::123456789012:role/w -> top:arn:aws:iam::111111111111:role/top chained"},
		{"--role-arn replaces the final role", seed003, "", Request{Profile: "account_a", RoleARN: "arn:aws:iam::999999999999:role/other"}, nil,
			"src=keyring(jumpuser) mfa=" + jumpMFA + "/12h0m0s -> account_a:arn:aws:iam::999999999999:role/other region=ap-northeast-1"},
		{"--role-arn adds a role to a profile without one", seed003, "", Request{Profile: "jumpuser", RoleARN: "arn:aws-cn:iam::999999999999:role/path/to/r"}, nil,
			"src=keyring(jumpuser) mfa=" + jumpMFA + "/12h0m0s -> jumpuser:arn:aws-cn:iam::999999999999:role/path/to/r region=ap-northeast-1"},
		{"named profile: AWS_ROLE_ARN and web identity env do not hijack", seed002, "", Request{Profile: "iam-example-role"},
			map[string]string{"AWS_ROLE_ARN": "arn:aws:iam::999999999999:role/eks", "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/secrets/token"},
			"src=env(iam-example-role) -> iam-example-role:arn:aws:iam::123456789012:role/iam-example-role"},
		{"AWS_DEFAULT_PROFILE", seed002, "", Request{}, map[string]string{"AWS_DEFAULT_PROFILE": "iam-example-role"},
			"src=env(iam-example-role) -> iam-example-role:arn:aws:iam::123456789012:role/iam-example-role"},
		{"AWS_PROFILE beats AWS_DEFAULT_PROFILE; the request beats both", seed001, "", Request{Profile: "default"}, map[string]string{"AWS_PROFILE": "xxxx", "AWS_DEFAULT_PROFILE": "nope"},
			"src=file(default) session/12h0m0s"},
		{"empty AWS_PROFILE is unset: environment mode", "", "", Request{RoleARN: ciRole}, map[string]string{"AWS_PROFILE": "", "AWS_ACCESS_KEY_ID": "A"}, "src=env -> :" + ciRole},
		{"environment mode: AWS_ROLE_ARN (arar)", "", "", Request{}, envKeys("AWS_ROLE_ARN", ciRole),
			"src=env -> :arn:aws:iam::123456789012:role/ci"},
		{"environment mode: --role-arn beats AWS_ROLE_ARN", "", "", Request{RoleARN: "arn:aws:iam::123456789012:role/flag"}, envKeys("AWS_ROLE_ARN", ciRole),
			"src=env -> :arn:aws:iam::123456789012:role/flag"},
		{"environment mode: web identity", "", "", Request{}, map[string]string{"AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/gh", "AWS_WEB_IDENTITY_TOKEN_FILE": "/tmp/t"},
			"src=web-identity[/tmp/t] -> :arn:aws:iam::123456789012:role/gh"},
		{"environment mode: keys come before a token file, as in the SDKs", "", "", Request{}, envKeys("AWS_ROLE_ARN", ciRole, "AWS_WEB_IDENTITY_TOKEN_FILE", "/tmp/t"),
			"src=env -> :" + ciRole},
		{"environment mode: EKS token for AWS_ROLE_ARN, then --role-arn from it", "", "", Request{RoleARN: "arn:aws:iam::999999999999:role/deploy"},
			map[string]string{"AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/pod", "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/t"},
			"src=web-identity[/var/run/t] -> :arn:aws:iam::123456789012:role/pod -> :arn:aws:iam::999999999999:role/deploy chained"},
		{"environment mode: --role-arn equal to AWS_ROLE_ARN is one hop", "", "", Request{RoleARN: ciRole},
			map[string]string{"AWS_ROLE_ARN": ciRole, "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/t"}, "src=web-identity[/var/run/t] -> :" + ciRole},
		{"environment mode: --oidc github", "", "", Request{RoleARN: ciRole, OIDC: OIDCGitHub},
			envKeys("ACTIONS_ID_TOKEN_REQUEST_URL", "https://x.example/t?a=1", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "bearer-secret"), "src=web-identity[oidc=github] -> :" + ciRole},
		{"environment mode: no keys, container credentials", "", "", Request{RoleARN: ciRole}, map[string]string{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/creds"}, "src=ecs -> :" + ciRole},
		{"environment mode: no keys, instance metadata", "", "", Request{RoleARN: ciRole}, nil, "src=ec2 -> :" + ciRole},
		{"environment mode: one key alone is still the environment (and fails there)", "", "", Request{RoleARN: ciRole}, map[string]string{"AWS_ACCESS_KEY_ID": "A"}, "src=env -> :" + ciRole},
		{"environment mode: region from [default]", "[default]\nregion = sa-east-1\n", "", Request{RoleARN: ciRole}, nil, "src=ec2 -> :" + ciRole + " region=sa-east-1"},
		{"environment mode: --mfa-serial goes to AssumeRole", "", "", Request{MFASerial: "GAHT12345678"}, envKeys("AWS_ROLE_ARN", ciRole),
			"src=env -> :arn:aws:iam::123456789012:role/ci mfa=GAHT12345678"},
		{"web_identity_token_process in a profile (aws-vault)", "[profile w]\nrole_arn = arn:aws:iam::123456789012:role/w\nweb_identity_token_process = oidc-token --aud sts\n", "", Request{Profile: "w"}, nil,
			"src=web-identity(w)[proc=oidc-token --aud sts] -> w:arn:aws:iam::123456789012:role/w"},
		{"mfa_process and mfa_session_duration", "[profile u]\nmfa_serial = arn:aws:iam::123456789012:mfa/u\nmfa_process = ykman oath accounts code -s aws\nmfa_session_duration = 8h\n", "",
			Request{Profile: "u"}, nil, "src=keyring(u) mfa=arn:aws:iam::123456789012:mfa/u/8h0m0s/proc=ykman oath accounts code -s aws"},
		{"mfa_session_duration in seconds", "[profile u]\nmfa_serial = GAHT12345678\nmfa_session_duration = 3600\n", "", Request{Profile: "u"}, nil,
			"src=keyring(u) mfa=GAHT12345678/1h0m0s"},
		{"--duration without a role sets the MFA session", "[profile u]\nmfa_serial = GAHT12345678\n", "", Request{Profile: "u", Duration: 36 * time.Hour}, nil,
			"src=keyring(u) mfa=GAHT12345678/36h0m0s"},
		{"include_profile does not lend a template's keys", "[profile tmpl]\naws_access_key_id = A\naws_secret_access_key = S\nregion = r\n[profile x]\ninclude_profile = tmpl\n", "",
			Request{Profile: "x"}, nil, "src=keyring(x) session/12h0m0s region=r"},
		{"include_profile lends credential_process", "[profile tmpl]\ncredential_process = /bin/p\n[profile x]\ninclude_profile = tmpl\n", "",
			Request{Profile: "x"}, nil, "src=process(x)[/bin/p]"},
		{"source_profile to a credentials-only profile", "[profile r]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\n", "[base]\naws_access_key_id = A\naws_secret_access_key = S\n",
			Request{Profile: "r"}, nil, "src=file(base) -> r:arn:aws:iam::123456789012:role/r"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := parseBoth(t, tt.cfg, tt.creds)
			tt.req.Env = MapEnv(tt.env)
			c, err := Resolve(fs, tt.req)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if got := summary(c); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestResolveRoleSettings(t *testing.T) {
	cfg := `[profile r]
role_arn = arn:aws:iam::123456789012:role/path/r
source_profile = u
role_session_name = ${aws:username}
external_id = ext-123
duration_seconds = 7200
session_tags = team=infra, env = prod
transitive_session_tags = team , env
source_identity = alice
[profile u]
aws_access_key_id = A
aws_secret_access_key = S
[profile named]
role_arn = arn:aws:iam::123456789012:role/r
source_profile = u
role_session_name = alice@example.com
`
	fs := parseBoth(t, cfg, "")
	c, err := Resolve(fs, Request{Profile: "r", Env: MapEnv(nil)})
	if err != nil {
		t.Fatal(err)
	}
	want := RoleHop{Profile: "r", RoleARN: "arn:aws:iam::123456789012:role/path/r", ExternalID: "ext-123", SourceIdentity: "alice",
		SessionNameIsUsername: true, Duration: 2 * time.Hour, Tags: map[string]string{"team": "infra", "env": "prod"},
		TransitiveTags: []string{"team", "env"}, File: "~/.aws/config", Line: 2}
	if len(c.Roles) != 1 || !reflect.DeepEqual(c.Roles[0], want) {
		t.Fatalf("hop = %+v\nwant  %+v", c.Roles, want)
	}
	if c.Source.Kind != SharedKeys || c.Source.Line != 11 || c.Source.File != "~/.aws/config" {
		t.Errorf("source = %+v", c.Source)
	}

	c, err = Resolve(fs, Request{Profile: "named", Env: MapEnv(nil)})
	if err != nil || c.Roles[0].SessionName != "alice@example.com" || c.Roles[0].SessionNameIsUsername {
		t.Fatalf("named: %+v %v", c, err)
	}
	// Flag beats environment beats profile.
	c, _ = Resolve(fs, Request{Profile: "named", Env: MapEnv(map[string]string{"AWS_ROLE_SESSION_NAME": "from-env"})})
	if c.Roles[0].SessionName != "from-env" {
		t.Errorf("env session name: %q", c.Roles[0].SessionName)
	}
	c, _ = Resolve(fs, Request{Profile: "named", SessionName: "from-flag", ExternalID: "flag-ext", Duration: time.Hour,
		Env: MapEnv(map[string]string{"AWS_ROLE_SESSION_NAME": "from-env"})})
	if h := c.Roles[0]; h.SessionName != "from-flag" || h.ExternalID != "flag-ext" || h.Duration != time.Hour {
		t.Errorf("flags: %+v", h)
	}
	c, _ = Resolve(fs, Request{Profile: "named", SessionName: UsernameSessionName, Env: MapEnv(nil)})
	if !c.Roles[0].SessionNameIsUsername || c.Roles[0].SessionName != "" {
		t.Errorf("-u: %+v", c.Roles[0])
	}
}

func TestResolvePrecedence(t *testing.T) {
	cfg := `[profile p]
region = from-profile
endpoint_url = http://profile-endpoint
sts_regional_endpoints = legacy
services = local
[profile q]
include_profile = p
region = own
[profile plain]
endpoint_url = http://plain
[profile src]
region = source-region
[profile role]
role_arn = arn:aws:iam::123456789012:role/r
source_profile = src
[services local]
sts =
  endpoint_url = http://services-sts
`
	fs := parseBoth(t, cfg, "")
	tests := []struct {
		name    string
		profile string
		flag    string
		env     map[string]string
		region  string
		sts     string
	}{
		{"profile", "p", "", nil, "from-profile", "http://services-sts"},
		{"AWS_DEFAULT_REGION beats profile", "p", "", map[string]string{"AWS_DEFAULT_REGION": "dr"}, "dr", "http://services-sts"},
		{"AWS_REGION beats AWS_DEFAULT_REGION", "p", "", map[string]string{"AWS_DEFAULT_REGION": "dr", "AWS_REGION": "r"}, "r", "http://services-sts"},
		{"flag beats all", "p", "flag", map[string]string{"AWS_DEFAULT_REGION": "dr", "AWS_REGION": "r"}, "flag", "http://services-sts"},
		{"AWS_ENDPOINT_URL beats config", "p", "", map[string]string{"AWS_ENDPOINT_URL": "http://env"}, "from-profile", "http://env"},
		{"AWS_ENDPOINT_URL_STS beats AWS_ENDPOINT_URL", "p", "", map[string]string{"AWS_ENDPOINT_URL": "http://env", "AWS_ENDPOINT_URL_STS": "http://env-sts"}, "from-profile", "http://env-sts"},
		{"ignore configured endpoints", "p", "", map[string]string{"AWS_ENDPOINT_URL_STS": "http://env-sts", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, "from-profile", ""},
		{"endpoint_url without services", "plain", "", nil, "", "http://plain"},
		{"own region beats include_profile's", "q", "", nil, "own", "http://services-sts"},
		{"region is not taken from the source profile", "role", "", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Resolve(fs, Request{Profile: tt.profile, Region: tt.flag, Env: MapEnv(tt.env)})
			if err != nil {
				t.Fatal(err)
			}
			if c.Region != tt.region || c.STSEndpoint != tt.sts {
				t.Errorf("region %q sts %q, want %q %q", c.Region, c.STSEndpoint, tt.region, tt.sts)
			}
		})
	}
	c, _ := Resolve(fs, Request{Profile: "p", Env: MapEnv(nil)})
	if c.STSRegionalEndpoints != "legacy" {
		t.Errorf("sts_regional_endpoints = %q", c.STSRegionalEndpoints)
	}
	c, _ = Resolve(fs, Request{Profile: "p", Env: MapEnv(map[string]string{"AWS_STS_REGIONAL_ENDPOINTS": "regional"})})
	if c.STSRegionalEndpoints != "regional" {
		t.Errorf("AWS_STS_REGIONAL_ENDPOINTS = %q", c.STSRegionalEndpoints)
	}
}

func TestResolveReasons(t *testing.T) {
	fs := parseBoth(t, seed003, "")
	c, err := Resolve(fs, Request{Env: MapEnv(map[string]string{"AWS_PROFILE": "account_a", "AWS_ROLE_ARN": "arn:aws:iam::999999999999:role/eks"})})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, r := range c.Reasons {
		lines = append(lines, r.String())
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{
		`profile: profile "account_a": named by AWS_PROFILE`,
		`ignored: profile "account_a": AWS_ROLE_ARN is set but a profile was named`,
		`include: profile "account_a": settings not set here come from profile "switchrole" (~/.aws/config:17)`,
		`source: profile "jumpuser": no role_arn and no keys in the files: long-term keys from the keyring`,
		`mfa: profile "account_a": long-term keys and mfa_serial`,
		`region: profile "account_a": from profile "switchrole" through include_profile (~/.aws/config:11)`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("reasons lack %q:\n%s", want, all)
		}
	}
}

func TestResolveErrors(t *testing.T) {
	const okRole = "role_arn = arn:aws:iam::123456789012:role/r\n"
	tests := []struct {
		name       string
		cfg, creds string
		req        Request
		want       string // the whole message, or a prefix ending in "…"
		hint       string // a substring of Hint(), if any
	}{
		{"unknown profile with suggestion", seed003, "", Request{Profile: "acount_a"}, `unknown profile "acount_a"; did you mean "account_a"?`, "kagi list"},
		{"unknown profile, nothing close", seed003, "", Request{Profile: "zzzzzzzzz"}, `unknown profile "zzzzzzzzz"`, ""},
		{"bare section in the config file", "[legacy]\nregion = x\n", "", Request{Profile: "legacy"},
			`~/.aws/config:1: unknown profile "legacy": [legacy] in the config file is not a profile`, "[profile legacy]"},
		{"role without source", "[profile r]\n" + okRole, "", Request{Profile: "r"},
			`~/.aws/config:2: profile "r": role_arn "arn:aws:iam::123456789012:role/r": the role has no source of credentials to assume it with`, "credential_source = Environment"},
		{"source_profile and credential_source", "[profile r]\n" + okRole + "source_profile = u\ncredential_source = Environment\n[profile u]\n", "", Request{Profile: "r"},
			`~/.aws/config:4: profile "r": credential_source "Environment": both source_profile (line 3) and credential_source are set; the AWS CLI refuses this too`, "keep only one"},
		{"missing source profile", "[profile r]\n" + okRole + "source_profile = jumpusr\n[profile jumpuser]\n", "", Request{Profile: "r"},
			`~/.aws/config:3: profile "r": source_profile "jumpusr": no such profile`, ""},
		{"missing include profile", "[profile r]\ninclude_profile = nope\n", "", Request{Profile: "r"},
			`~/.aws/config:2: profile "r": include_profile "nope": no such profile in the config file`, ""},
		{"bad credential_source", "[profile r]\n" + okRole + "credential_source = Env\n", "", Request{Profile: "r"},
			`~/.aws/config:3: profile "r": credential_source "Env": unknown credential source`, "Environment, Ec2InstanceMetadata and EcsContainer"},
		{"credential_source in the wrong case", "[profile r]\n" + okRole + "credential_source = environment\n", "", Request{Profile: "r"},
			`~/.aws/config:3: profile "r": credential_source "environment": unknown credential source`, "credential_source = Environment"},
		{"malformed role ARN: account", "[profile r]\nrole_arn = arn:aws:iam::SQITCH_ACCOUNT_ID:role/switch\ncredential_source = Environment\n", "", Request{Profile: "r"},
			`~/.aws/config:2: profile "r": role_arn "arn:aws:iam::SQITCH_ACCOUNT_ID:role/switch": the account ID must be 12 digits…`, ""},
		{"malformed role ARN: user, not role", "[profile r]\nrole_arn = arn:aws:iam::123456789012:user/bob\ncredential_source = Environment\n", "", Request{Profile: "r"},
			`~/.aws/config:2: profile "r": role_arn "arn:aws:iam::123456789012:user/bob": not an IAM role ARN…`, ""},
		{"malformed role ARN: sts", "[profile r]\nrole_arn = arn:aws:sts::123456789012:assumed-role/r/s\ncredential_source = Environment\n", "", Request{Profile: "r"},
			`~/.aws/config:2: profile "r": role_arn "arn:aws:sts::123456789012:assumed-role/r/s": not an IAM role ARN…`, ""},
		{"malformed role ARN: empty name", "[profile r]\nrole_arn = arn:aws:iam::123456789012:role/\ncredential_source = Environment\n", "", Request{Profile: "r"},
			`~/.aws/config:2: profile "r": role_arn "arn:aws:iam::123456789012:role/": the role name must be 1 to 64 characters`, ""},
		{"bad role_session_name", "[profile r]\n" + okRole + "credential_source = Environment\nrole_session_name = has space\n", "", Request{Profile: "r"},
			`~/.aws/config:4: profile "r": role_session_name "has space": may only hold letters, digits and _+=,.@-`, ""},
		{"bad mfa_serial placeholder from the article", "[profile u]\nmfa_serial=<mfaのarn>\n", "", Request{Profile: "u"},
			`~/.aws/config:2: profile "u": mfa_serial "<mfaのarn>": not an MFA device ARN…`, ""},
		{"bad mfa_serial: 13-digit account", "[profile u]\nmfa_serial=arn:aws:iam::0000000000000:mfa/jumpuser\n", "", Request{Profile: "u"},
			`~/.aws/config:2: profile "u": mfa_serial "arn:aws:iam::0000000000000:mfa/jumpuser": the account ID must be 12 digits…`, ""},
		{"duration_seconds too short", "[profile r]\n" + okRole + "credential_source = Environment\nduration_seconds = 600\n", "", Request{Profile: "r"},
			`~/.aws/config:4: profile "r": duration_seconds "600": STS allows 900 to 43200 seconds…`, ""},
		{"duration_seconds too long", "[profile r]\n" + okRole + "credential_source = Environment\nduration_seconds = 43201\n", "", Request{Profile: "r"},
			`~/.aws/config:4: profile "r": duration_seconds "43201": STS allows 900 to 43200 seconds…`, ""},
		{"duration_seconds not a number", "[profile r]\n" + okRole + "credential_source = Environment\nduration_seconds = 1h\n", "", Request{Profile: "r"},
			`~/.aws/config:4: profile "r": duration_seconds "1h": not a whole number of seconds`, ""},
		{"chained hop over an hour", "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/a\nsource_profile = b\nduration_seconds = 7200\n[profile b]\n" + okRole + "credential_source = Environment\n", "", Request{Profile: "a"},
			`~/.aws/config:4: profile "a": duration_seconds "7200": this role is assumed from another role, and STS caps a chained role session at 3600 seconds (1h)`, "3600 or less"},
		{"--duration on a chained hop", "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/a\nsource_profile = b\n[profile b]\n" + okRole + "credential_source = Environment\n", "", Request{Profile: "a", Duration: 2 * time.Hour},
			`profile "a": --duration "2h0m0s": this role is assumed from another role…`, ""},
		{"mfa_session_duration too long", "[profile u]\nmfa_serial = GAHT12345678\nmfa_session_duration = 37h\n", "", Request{Profile: "u"},
			`~/.aws/config:3: profile "u": mfa_session_duration "37h": STS allows 900 seconds to 36h…`, ""},
		{"mfa_session_duration nonsense", "[profile u]\nmfa_serial = GAHT12345678\nmfa_session_duration = soon\n", "", Request{Profile: "u"},
			`~/.aws/config:3: profile "u": mfa_session_duration "soon": not a duration…`, ""},
		{"access key without secret", "", "[k]\naws_access_key_id = AKIAEXAMPLE\n", Request{Profile: "k"},
			`~/.aws/credentials:2: profile "k": aws_access_key_id: aws_secret_access_key is missing`, "kagi add k"},
		{"web_identity_token_file without role_arn", "[profile w]\nweb_identity_token_file = /t\n", "", Request{Profile: "w"},
			`~/.aws/config:2: profile "w": web_identity_token_file "/t": needs role_arn…`, "role_arn"},
		{"bad session_tags", "[profile r]\n" + okRole + "credential_source = Environment\nsession_tags = a=b,c\n", "", Request{Profile: "r"},
			`~/.aws/config:4: profile "r": session_tags "a=b,c": want key=value pairs separated by commas`, ""},
		{"bad sts_regional_endpoints", "[profile u]\nsts_regional_endpoints = global\n", "", Request{Profile: "u"},
			`~/.aws/config:2: profile "u": sts_regional_endpoints "global": want regional or legacy`, ""},
		{"bad --role-arn", seed003, "", Request{Profile: "jumpuser", RoleARN: "role/x"}, `--role-arn "role/x": not an IAM role ARN…`, ""},
		{"bad --session-name", seed003, "", Request{Profile: "account_a", SessionName: "x"}, `--session-name "x": must be 2 to 64 characters`, ""},
		{"bad AWS_ROLE_ARN in environment mode", "", "", Request{Env: MapEnv(map[string]string{"AWS_ROLE_ARN": "nope"})}, `AWS_ROLE_ARN "nope": not an IAM role ARN…`, ""},
		{"bad --mfa-serial", "[profile u]\n", "", Request{Profile: "u", MFASerial: "123"}, `--mfa-serial "123": not an MFA device ARN…`, ""},
		{"environment mode without a role", "", "", Request{Env: MapEnv(envKeys())},
			"no role to assume: without a profile, kagi needs --role-arn or AWS_ROLE_ARN", "AWS_ROLE_ARN"},
		{"environment mode: bad --session-name", "", "", Request{RoleARN: ciRole, SessionName: "has space", Env: MapEnv(envKeys())},
			`--session-name "has space": may only hold letters, digits and _+=,.@-`, ""},
		{"environment mode: bad AWS_ROLE_SESSION_NAME", "", "", Request{RoleARN: ciRole, Env: MapEnv(envKeys("AWS_ROLE_SESSION_NAME", "x"))},
			`AWS_ROLE_SESSION_NAME "x": must be 2 to 64 characters`, ""},
		{"environment mode: -u with a web identity", "", "", Request{SessionName: UsernameSessionName,
			Env: MapEnv(map[string]string{"AWS_ROLE_ARN": ciRole, "AWS_WEB_IDENTITY_TOKEN_FILE": "/t"})},
			"-u/--username-session: a web identity has no IAM user name to use as the session name", "--session-name"},
		{"--oidc with an unknown provider", "", "", Request{RoleARN: ciRole, OIDC: "gitlab", Env: MapEnv(nil)}, `--oidc "gitlab": unknown identity provider`, "AWS_WEB_IDENTITY_TOKEN_FILE"},
		{"--oidc github outside GitHub Actions", "", "", Request{RoleARN: ciRole, OIDC: OIDCGitHub, Env: MapEnv(map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": "https://x"})},
			`--oidc "github": ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set`, "id-token: write"},
		{"--oidc with a profile", seed002, "", Request{Profile: "iam-example-role", OIDC: OIDCGitHub},
			`--oidc "github": works without a profile, and profile "iam-example-role" was named`, "AWS_PROFILE"},
		{"web_identity_token_file and _process both", "[profile w]\n" + okRole + "web_identity_token_file = /t\nweb_identity_token_process = p\n", "", Request{Profile: "w"},
			`~/.aws/config:4: profile "w": web_identity_token_process: web_identity_token_file (line 3) is set too`, "keep only one"},
		{"web_identity_token_process without role_arn", "[profile w]\nweb_identity_token_process = p\n", "", Request{Profile: "w"},
			`~/.aws/config:2: profile "w": web_identity_token_process: needs role_arn…`, ""},
		{"--session-tag with a reserved key", "", "", Request{RoleARN: ciRole, Tags: map[string]string{"aws:x": "1"}, Env: MapEnv(envKeys())},
			`--session-tag "aws:x": tag keys starting with aws: are reserved`, ""},
		{"--session-tag with a bad character", "", "", Request{RoleARN: ciRole, Tags: map[string]string{"team": "a;b"}, Env: MapEnv(envKeys())},
			`--session-tag "team": tags may only hold letters, digits, spaces and _.:/=+-@`, ""},
		{"--transitive-tag without its tag", "", "", Request{RoleARN: ciRole, Tags: map[string]string{"team": "infra"}, TransitiveTags: []string{"project"}, Env: MapEnv(envKeys())},
			`--transitive-tag: transitive tag key "project" is not a session tag`, "--session-tag KEY=VALUE"},
		{"transitive_session_tags without its tag", "[profile r]\n" + okRole + "credential_source = Environment\nsession_tags = a=b\ntransitive_session_tags = a, c\n", "", Request{Profile: "r"},
			`~/.aws/config:5: profile "r": transitive_session_tags "a, c": transitive tag key "c" is not a session tag`, "session_tags"},
		{"session tags on a web identity hop", "", "", Request{Tags: map[string]string{"team": "x"}, Env: MapEnv(map[string]string{"AWS_ROLE_ARN": ciRole, "AWS_WEB_IDENTITY_TOKEN_FILE": "/t"})},
			`role_arn "` + ciRole + `": is assumed with a web identity token, and AssumeRoleWithWebIdentity takes no session tags`, "claims"},
		{"external_id on a web identity profile", "[profile w]\n" + okRole + "web_identity_token_file = /t\nexternal_id = abc\n", "", Request{Profile: "w"},
			`~/.aws/config:2: profile "w": role_arn "arn:aws:iam::123456789012:role/r": is assumed with a web identity token, and AssumeRoleWithWebIdentity takes no external id`, ""},
		{"bad --source-identity", "", "", Request{RoleARN: ciRole, SourceIdentity: "has space", Env: MapEnv(envKeys())},
			`--source-identity "has space": may only hold letters, digits and _+=,.@-`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := parseBoth(t, tt.cfg, tt.creds)
			c, err := Resolve(fs, tt.req)
			if err == nil {
				t.Fatalf("no error; chain %s", summary(c))
			}
			got := err.Error()
			if want, prefix := strings.CutSuffix(tt.want, "…"); prefix {
				if !strings.HasPrefix(got, want) {
					t.Errorf("err  %s\nwant %s…", got, want)
				}
			} else if got != tt.want {
				t.Errorf("err  %s\nwant %s", got, tt.want)
			}
			var h interface{ Hint() string }
			if tt.hint != "" && (!errors.As(err, &h) || !strings.Contains(h.Hint(), tt.hint)) {
				t.Errorf("hint of %v lacks %q", err, tt.hint)
			}
			if got != strings.TrimSpace(got) || strings.HasSuffix(got, ".") || got[0] >= 'A' && got[0] <= 'Z' && !strings.HasPrefix(got, "AWS_") {
				t.Errorf("message style: %q", got)
			}
		})
	}
}

func TestResolveTypedErrors(t *testing.T) {
	fs := parseBoth(t, seed003+"[profile r]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = acount_b\n", "")
	_, err := Resolve(fs, Request{Profile: "acount_b"})
	var u *UnknownProfileError
	if !errors.As(err, &u) || u.Name != "acount_b" || u.Suggestion != "account_b" {
		t.Fatalf("err = %#v", err)
	}
	_, err = Resolve(fs, Request{Profile: "r"})
	var se *SettingError
	if !errors.As(err, &se) || !errors.As(err, &u) || u.Suggestion != "account_b" || se.Line != 23 {
		t.Fatalf("missing source profile: %#v", err)
	}
}

func TestResolveCycles(t *testing.T) {
	tests := []struct {
		name, cfg, profile string
		want               CycleError
	}{
		{"source_profile", "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/a\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::111111111111:role/b\nsource_profile = c\n[profile c]\nrole_arn = arn:aws:iam::111111111111:role/c\nsource_profile = a\n",
			"a", CycleError{Path: []string{"a", "b", "c", "a"}, Via: "source_profile", File: "~/.aws/config", Line: 9}},
		{"source_profile loop below the start", "[profile x]\nrole_arn = arn:aws:iam::111111111111:role/x\nsource_profile = a\n[profile a]\nsource_profile = b\n[profile b]\nsource_profile = a\n",
			"x", CycleError{Path: []string{"a", "b", "a"}, Via: "source_profile", File: "~/.aws/config", Line: 7}},
		{"include_profile", "[profile a]\ninclude_profile = b\n[profile b]\ninclude_profile = a\n",
			"a", CycleError{Path: []string{"a", "b", "a"}, Via: "include_profile", File: "~/.aws/config", Line: 4}},
		{"include_profile of itself", "[profile a]\ninclude_profile = a\n",
			"a", CycleError{Path: []string{"a", "a"}, Via: "include_profile", File: "~/.aws/config", Line: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Resolve(parseBoth(t, tt.cfg, ""), Request{Profile: tt.profile})
			var ce *CycleError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *CycleError", err)
			}
			if !reflect.DeepEqual(*ce, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *ce, tt.want)
			}
			if !strings.Contains(ce.Hint(), tt.want.Via) {
				t.Errorf("hint %q", ce.Hint())
			}
			if !strings.Contains(err.Error(), strings.Join(tt.want.Path, " -> ")) {
				t.Errorf("message %q does not name the loop", err)
			}
		})
	}
}

// A peer tool loops forever on this; here it is one pass over the profiles.
func TestResolveLargeCycle(t *testing.T) {
	const n = 10000
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "[profile p%d]\nrole_arn = arn:aws:iam::123456789012:role/r%d\nsource_profile = p%d\ninclude_profile = t%d\n[profile t%d]\ninclude_profile = t%d\n", i, i, (i+1)%n, i, i, i+1)
	}
	b.WriteString("[profile t10000]\nregion = x\n")
	fs := parseBoth(t, b.String(), "")
	start := time.Now()
	_, err := Resolve(fs, Request{Profile: "p0"})
	var ce *CycleError
	if !errors.As(err, &ce) || ce.Via != "source_profile" || len(ce.Path) != n+1 || ce.Path[0] != "p0" || ce.Path[n] != "p0" {
		t.Fatalf("err = %.200v", err)
	}
	t.Logf("10,000-profile source_profile loop found in %v", time.Since(start))

	// The same for a long include_profile loop.
	b.Reset()
	for i := range n {
		fmt.Fprintf(&b, "[profile i%d]\ninclude_profile = i%d\n", i, (i+1)%n)
	}
	_, err = Resolve(parseBoth(t, b.String(), ""), Request{Profile: "i0"})
	if !errors.As(err, &ce) || ce.Via != "include_profile" || len(ce.Path) != n+1 {
		t.Fatalf("include loop: err = %.200v", err)
	}
}

func TestSourceKindString(t *testing.T) {
	want := map[SourceKind]string{KeyringKeys: "keyring", SharedKeys: "file", Environment: "env", WebIdentity: "web-identity",
		Process: "process", InstanceMetadata: "ec2", ContainerMetadata: "ecs", SSO: "sso", 0: "unknown"}
	for k, s := range want {
		if k.String() != s {
			t.Errorf("%d.String() = %q, want %q", k, k.String(), s)
		}
	}
}

func TestStaticKeysRedacted(t *testing.T) {
	fs := parseBoth(t, seed001, "")
	k, err := fs.StaticKeys("default")
	if err != nil || k.SecretAccessKey != "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" {
		t.Fatalf("StaticKeys: %v", err)
	}
	for _, s := range []string{fmt.Sprintf("%v", k), fmt.Sprintf("%+v", k), fmt.Sprintf("%#v", k), fmt.Sprint(k)} {
		if strings.Contains(s, "wJalr") || strings.Contains(s, "AKIA") {
			t.Errorf("keys printed: %s", s)
		}
	}
	if _, err := fs.StaticKeys("xxxx"); err == nil {
		t.Error("a profile without keys has keys")
	}
}

// FuzzResolve: whatever parses, every profile in it resolves or fails with
// a message, without panicking or looping.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{seed001, seed002, seed003, "[profile a]\ninclude_profile = a\n",
		"[profile a]\nrole_arn = arn:aws:iam::111111111111:role/a\nsource_profile = a\nmfa_serial = GAHT12345678\n"} {
		f.Add(s, "[a]\naws_access_key_id = A\naws_secret_access_key = S\n", false)
	}
	f.Fuzz(func(t *testing.T, cfg, creds string, noSession bool) {
		c, err1 := Parse("c", ConfigFile, []byte(cfg))
		k, err2 := Parse("k", CredentialsFile, []byte(creds))
		if err1 != nil || err2 != nil {
			return
		}
		fs := &Files{Config: c, Credentials: k}
		for _, name := range append(fs.ProfileNames(), "") {
			ch, err := Resolve(fs, Request{Profile: name, NoSession: noSession, Env: MapEnv(nil)})
			if err != nil && err.Error() == "" || err == nil && ch.Source.Kind == 0 {
				t.Fatalf("profile %q: chain %+v, err %v", name, ch, err)
			}
		}
	})
}

// Seed article 002's trap, seen from --debug: keys in the environment and a
// profile whose source is not the environment.
func TestResolveReasonsEnvKeysIgnored(t *testing.T) {
	fs := parseBoth(t, seed003+seed002, "")
	reasons := func(req Request) string {
		t.Helper()
		c, err := Resolve(fs, req)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, r := range c.Reasons {
			lines = append(lines, r.String())
		}
		return strings.Join(lines, "\n")
	}
	const ignored = `ignored: profile "account_a": AWS_ACCESS_KEY_ID is set, but the profile's source is keyring, not credential_source = Environment: the environment keys are not used`
	if got := reasons(Request{Env: MapEnv(envKeys("AWS_PROFILE", "account_a"))}); !strings.Contains(got, ignored) {
		t.Errorf("reasons lack %q:\n%s", ignored, got)
	}
	if got := reasons(Request{Env: MapEnv(envKeys("AWS_PROFILE", "iam-example-role"))}); strings.Contains(got, "environment keys are not used") {
		t.Errorf("credential_source = Environment uses them:\n%s", got)
	}
	if got := reasons(Request{Env: MapEnv(map[string]string{"AWS_PROFILE": "account_a"})}); strings.Contains(got, "AWS_ACCESS_KEY_ID") {
		t.Errorf("no keys, nothing to say:\n%s", got)
	}
}

// Flags add to a profile's tags: a flag's value wins for its key, flag
// transitive keys join the profile's, and they apply to the final role only.
func TestResolveFlagTags(t *testing.T) {
	cfg := `[profile base]
role_arn = arn:aws:iam::111111111111:role/base
credential_source = Environment
session_tags = team=infra
[profile r]
role_arn = arn:aws:iam::123456789012:role/r
source_profile = base
session_tags = team=infra, env=prod
transitive_session_tags = team
source_identity = from-profile
`
	fs := parseBoth(t, cfg, "")
	c, err := Resolve(fs, Request{Profile: "r", Env: MapEnv(nil), Tags: map[string]string{"env": "staging", "job": "42"},
		TransitiveTags: []string{"job"}, SourceIdentity: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	h := c.Roles[1]
	if want := map[string]string{"team": "infra", "env": "staging", "job": "42"}; !reflect.DeepEqual(h.Tags, want) {
		t.Errorf("tags %v, want %v", h.Tags, want)
	}
	if want := []string{"team", "job"}; !reflect.DeepEqual(h.TransitiveTags, want) {
		t.Errorf("transitive %v, want %v", h.TransitiveTags, want)
	}
	if h.SourceIdentity != "alice" {
		t.Errorf("source identity %q", h.SourceIdentity)
	}
	if b := c.Roles[0]; !reflect.DeepEqual(b.Tags, map[string]string{"team": "infra"}) || b.SourceIdentity != "" {
		t.Errorf("first hop changed: %+v", b)
	}
	// The profile's own maps are not written through.
	c2, _ := Resolve(fs, Request{Profile: "r", Env: MapEnv(nil)})
	if len(c2.Roles[1].Tags) != 2 {
		t.Errorf("profile tags after a flag run: %v", c2.Roles[1].Tags)
	}
	// Environment mode takes them too.
	c, err = Resolve(fs, Request{RoleARN: ciRole, Env: MapEnv(envKeys()), Tags: map[string]string{"job": "7"}, TransitiveTags: []string{"job"}})
	if err != nil || c.Roles[0].Tags["job"] != "7" || len(c.Roles[0].TransitiveTags) != 1 {
		t.Fatalf("environment mode: %+v, %v", c, err)
	}
}

// The Identity Center portal's endpoint resolves as botocore resolves a
// service's: AWS_ENDPOINT_URL_SSO, AWS_ENDPOINT_URL, the [services]
// section's sso sub-section, the profile's endpoint_url; none when
// ignore_configured_endpoint_urls is true (in the profile or the
// environment). Only an Identity Center source has one.
func TestResolveSSOEndpoint(t *testing.T) {
	cfg := `[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = eu-west-1
[profile svc]
sso_session = corp
sso_account_id = 222222222222
sso_role_name = Admin
services = local
endpoint_url = http://profile-endpoint
[profile plain]
sso_session = corp
sso_account_id = 222222222222
sso_role_name = Admin
endpoint_url = http://plain
[profile ignoring]
sso_session = corp
sso_account_id = 222222222222
sso_role_name = Admin
services = local
ignore_configured_endpoint_urls = true
[profile deploy]
role_arn = arn:aws:iam::444444444444:role/deploy
source_profile = svc
[profile keys]
aws_access_key_id = AKIAEXAMPLEEXAMPLE01
aws_secret_access_key = not-a-real-secret
services = local
[services local]
sts =
  endpoint_url = http://services-sts
sso =
  endpoint_url = http://services-sso
`
	fs := parseBoth(t, cfg, "")
	for _, tt := range []struct {
		name, profile string
		env           map[string]string
		sso, sts      string
	}{
		{"services section", "svc", nil, "http://services-sso", "http://services-sts"},
		{"endpoint_url", "plain", nil, "http://plain", "http://plain"},
		{"AWS_ENDPOINT_URL beats config", "svc", map[string]string{"AWS_ENDPOINT_URL": "http://env"}, "http://env", "http://env"},
		{"AWS_ENDPOINT_URL_SSO beats AWS_ENDPOINT_URL", "svc", map[string]string{"AWS_ENDPOINT_URL": "http://env", "AWS_ENDPOINT_URL_SSO": "http://env-sso"}, "http://env-sso", "http://env"},
		{"ignored in the profile", "ignoring", map[string]string{"AWS_ENDPOINT_URL": "http://env"}, "", ""},
		{"ignored in the environment", "svc", map[string]string{"AWS_ENDPOINT_URL_SSO": "http://env-sso", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, "", ""},
		{"a role's chain: the profile asked for decides, as its client", "deploy", nil, "", ""},
		{"no Identity Center source, no portal", "keys", nil, "", "http://services-sts"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Resolve(fs, Request{Profile: tt.profile, Env: MapEnv(tt.env)})
			if err != nil {
				t.Fatal(err)
			}
			if c.SSOEndpoint != tt.sso || c.STSEndpoint != tt.sts {
				t.Errorf("sso %q sts %q, want %q %q", c.SSOEndpoint, c.STSEndpoint, tt.sso, tt.sts)
			}
		})
	}
}

// A profile that names no credentials (a [default] with a region, the
// profiles aws-vault users write) is a settings profile; any credential
// setting, its own or lent through include_profile, makes it a profile
// that needs keys.
func TestResolveSettingsOnly(t *testing.T) {
	fs := parseBoth(t, `[default]
region = us-east-1
output = json
cli_pager =
[profile endpoints]
endpoint_url = http://127.0.0.1:4566
services = local
[services local]
sts =
  endpoint_url = http://127.0.0.1:4566
[profile empty]
[profile alice]
region = eu-west-1
mfa_serial = arn:aws:iam::111111111111:mfa/alice
[profile mfaproc]
mfa_process = oathtool
[profile self]
source_profile = self
[profile lends]
source_profile = default
[profile dur]
duration_seconds = 3600
[profile tmpl]
mfa_serial = arn:aws:iam::111111111111:mfa/alice
[profile included]
include_profile = tmpl
[profile region-tmpl]
region = us-west-2
[profile included-region]
include_profile = region-tmpl
[profile role]
role_arn = arn:aws:iam::222222222222:role/x
source_profile = default
`, `[filekeys]
aws_access_key_id = AKIAFILEKEYSEXAMPLE1
aws_secret_access_key = s
`)
	// An empty section names a profile for keys: not settings only.
	want := map[string]bool{"default": true, "endpoints": true, "included-region": true, "region-tmpl": true}
	for _, name := range fs.ProfileNames() {
		c, err := Resolve(fs, Request{Profile: name, Env: MapEnv(nil)})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.SettingsOnly != want[name] {
			t.Errorf("%s: SettingsOnly = %v, want %v (%s)", name, c.SettingsOnly, want[name], summary(c))
		}
	}
}

// An unknown name from AWS_PROFILE or AWS_DEFAULT_PROFILE says so: the
// user did not type it in this command.
func TestResolveUnknownProfileFromEnv(t *testing.T) {
	fs := parseBoth(t, "[profile prod]\nregion = us-east-1\n", "")
	for _, tc := range []struct {
		req  Request
		want string
	}{
		{Request{Env: MapEnv(map[string]string{"AWS_PROFILE": "prdo"})}, `unknown profile "prdo" (from AWS_PROFILE); did you mean "prod"?`},
		{Request{Env: MapEnv(map[string]string{"AWS_DEFAULT_PROFILE": "prdo"})}, `unknown profile "prdo" (from AWS_DEFAULT_PROFILE); did you mean "prod"?`},
		{Request{Profile: "prdo", Env: MapEnv(map[string]string{"AWS_PROFILE": "prdo"})}, `unknown profile "prdo"; did you mean "prod"?`},
	} {
		_, err := Resolve(fs, tc.req)
		var unk *UnknownProfileError
		if !errors.As(err, &unk) || err.Error() != tc.want {
			t.Errorf("got %v, want %s", err, tc.want)
		}
	}
}

package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

const ssoConfig = `[profile dev]
sso_session = corp
sso_account_id = 222222222222
sso_role_name = AdministratorAccess
region = eu-west-1

[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access, extra:scope

[profile legacy]
sso_start_url = https://legacy.awsapps.com/start
sso_region = eu-central-1
sso_account_id = 333333333333
sso_role_name = ReadOnly

[profile deploy]
role_arn = arn:aws:iam::444444444444:role/deploy
source_profile = dev

[profile deploy2]
role_arn = arn:aws:iam::555555555555:role/deeper
source_profile = deploy

[profile lent]
source_profile = dev

[profile login-only]
sso_session = corp

[profile template]
sso_session = corp
sso_account_id = 222222222222
[profile included]
include_profile = template
sso_role_name = ViewOnly

[profile both-same]
sso_session = corp
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
sso_account_id = 222222222222
sso_role_name = AdministratorAccess

[profile with-process]
sso_session = corp
sso_account_id = 222222222222
sso_role_name = AdministratorAccess
credential_process = /bin/false
`

func TestResolveSSO(t *testing.T) {
	const sess = "@https://example.awsapps.com/start,us-east-1,session=corp,scopes=sso:account:access+extra:scope]"
	tests := []struct {
		name string
		req  Request
		want string
	}{
		{"sso_session form", Request{Profile: "dev"}, "src=sso(dev)[222222222222/AdministratorAccess" + sess + " region=eu-west-1"},
		{"legacy form", Request{Profile: "legacy"}, "src=sso(legacy)[333333333333/ReadOnly@https://legacy.awsapps.com/start,eu-central-1]"},
		{"role from an SSO profile", Request{Profile: "deploy"},
			"src=sso(dev)[222222222222/AdministratorAccess" + sess + " -> deploy:arn:aws:iam::444444444444:role/deploy chained"},
		{"two roles from an SSO profile", Request{Profile: "deploy2"},
			"src=sso(dev)[222222222222/AdministratorAccess" + sess + " -> deploy:arn:aws:iam::444444444444:role/deploy chained -> deploy2:arn:aws:iam::555555555555:role/deeper chained"},
		{"source_profile without role_arn lends the SSO source", Request{Profile: "lent"}, "src=sso(dev)[222222222222/AdministratorAccess" + sess},
		{"--role-arn on an SSO profile", Request{Profile: "dev", RoleARN: "arn:aws:iam::444444444444:role/x"},
			"src=sso(dev)[222222222222/AdministratorAccess" + sess + " -> dev:arn:aws:iam::444444444444:role/x chained region=eu-west-1"},
		{"settings through include_profile", Request{Profile: "included"}, "src=sso(included)[222222222222/ViewOnly" + sess},
		{"legacy keys equal to the session's", Request{Profile: "both-same"}, "src=sso(both-same)[222222222222/AdministratorAccess" + sess},
		{"credential_process loses to SSO", Request{Profile: "with-process"}, "src=sso(with-process)[222222222222/AdministratorAccess" + sess},
	}
	fs := parseBoth(t, ssoConfig, "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Env = MapEnv(nil)
			c, err := Resolve(fs, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(c); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if c.MFA != nil {
				t.Errorf("MFA step %+v, want none", c.MFA)
			}
		})
	}
}

func TestResolveSSOReasons(t *testing.T) {
	c, err := Resolve(parseBoth(t, ssoConfig, ""), Request{Profile: "deploy", Env: MapEnv(nil)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range c.Reasons {
		got = append(got, r.String())
	}
	want := `source: profile "dev": IAM Identity Center: GetRoleCredentials of role "AdministratorAccess" in account 222222222222, signed in through [sso-session corp] at https://example.awsapps.com/start (us-east-1); no MFA step (~/.aws/config:2)`
	if !contains(got, want) {
		t.Errorf("reasons:\n%s\nlack\n%s", strings.Join(got, "\n"), want)
	}
	c, err = Resolve(parseBoth(t, ssoConfig, ""), Request{Profile: "with-process", Env: MapEnv(nil)})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range c.Reasons {
		found = found || r.Step == "ignored" && strings.Contains(r.Why, "credential_process")
	}
	if !found {
		t.Errorf("no reason says credential_process is ignored: %v", c.Reasons)
	}
}

func TestResolveSSOChainedDuration(t *testing.T) {
	cfg := ssoConfig + "[profile long]\nrole_arn = arn:aws:iam::444444444444:role/deploy\nsource_profile = dev\nduration_seconds = 7200\n"
	_, err := Resolve(parseBoth(t, cfg, ""), Request{Profile: "long", Env: MapEnv(nil)})
	if err == nil || !strings.Contains(err.Error(), "STS caps a chained role session at 3600 seconds") {
		t.Fatalf("err = %v", err)
	}
	_, err = Resolve(parseBoth(t, ssoConfig, ""), Request{Profile: "deploy", Duration: 2 * time.Hour, Env: MapEnv(nil)})
	if err == nil || !strings.Contains(err.Error(), "chained") {
		t.Fatalf("--duration 2h on a role from SSO: err = %v", err)
	}
}

func TestResolveSSOErrors(t *testing.T) {
	const sess = "[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n"
	tests := []struct {
		name, cfg, creds, profile string
		want, hint                string
	}{
		{"missing sso-session section", "[profile s]\nsso_session = crop\nsso_account_id = 222222222222\nsso_role_name = A\n" + sess, "", "s",
			`~/.aws/config:2: profile "s": sso_session "crop": no [sso-session crop] section in the config file; the AWS CLI and the Go SDK refuse this too`, "sso_session = corp"},
		{"section without start URL", "[profile s]\nsso_session = corp\nsso_account_id = 222222222222\nsso_role_name = A\n[sso-session corp]\nsso_region = us-east-1\n", "", "s",
			`~/.aws/config:5: [sso-session corp]: is missing sso_start_url`, "add sso_start_url"},
		{"section without either", "[profile s]\nsso_session = corp\nsso_account_id = 222222222222\nsso_role_name = A\n[sso-session corp]\n", "", "s",
			`~/.aws/config:5: [sso-session corp]: is missing sso_start_url and sso_region`, "[sso-session corp]"},
		{"legacy without region", "[profile s]\nsso_start_url = https://x.awsapps.com/start\nsso_account_id = 222222222222\nsso_role_name = A\n", "", "s",
			`~/.aws/config:2: profile "s": is configured for IAM Identity Center (SSO) but sso_region is missing`, "sso_session = NAME"},
		{"no account", "[profile s]\nsso_session = corp\nsso_role_name = A\n" + sess, "", "s",
			`~/.aws/config:2: profile "s": is configured for IAM Identity Center (SSO) but sso_account_id is missing: there is no role to get credentials for`, "sso_account_id = 123456789012"},
		{"login-only profile", "[profile s]\nsso_session = corp\n" + sess, "", "s",
			`~/.aws/config:2: profile "s": is configured for IAM Identity Center (SSO) but sso_account_id and sso_role_name are missing…`, "kagi sso profiles"},
		{"bad account", "[profile s]\nsso_session = corp\nsso_account_id = 2222\nsso_role_name = A\n" + sess, "", "s",
			`~/.aws/config:3: profile "s": sso_account_id "2222": the account ID must be 12 digits`, ""},
		{"session and a different legacy start URL", "[profile s]\nsso_session = corp\nsso_start_url = https://other.awsapps.com/start\nsso_account_id = 222222222222\nsso_role_name = A\n" + sess, "", "s",
			`~/.aws/config:3: profile "s": sso_start_url "https://other.awsapps.com/start": differs from sso_start_url "https://example.awsapps.com/start" of [sso-session corp] (~/.aws/config:6); the AWS CLI and the Go SDK refuse this too`, "remove sso_start_url"},
		{"session and a different legacy region", "[profile s]\nsso_session = corp\nsso_region = eu-west-1\nsso_account_id = 222222222222\nsso_role_name = A\n" + sess, "", "s",
			`~/.aws/config:3: profile "s": sso_region "eu-west-1": differs from sso_region "us-east-1" of [sso-session corp]…`, "remove sso_region"},
		{"role_arn in the SSO profile itself", "[profile s]\nsso_session = corp\nsso_account_id = 222222222222\nsso_role_name = A\nrole_arn = arn:aws:iam::444444444444:role/r\n" + sess, "", "s",
			`~/.aws/config:2: profile "s": sso_session "corp": is set in a profile with role_arn; the AWS CLI refuses a role whose source is the same profile's IAM Identity Center settings`, "source_profile = THAT_PROFILE"},
		{"static keys beside SSO", "[profile s]\nsso_session = corp\nsso_account_id = 222222222222\nsso_role_name = A\n" + sess, "[s]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n", "s",
			`~/.aws/credentials:2: profile "s": aws_access_key_id "AKIAEXAMPLE": is set beside IAM Identity Center settings (sso_session, line 2); the AWS CLI would use Identity Center and the Go SDK the keys`, "move aws_access_key_id"},
		{"credential_source beside SSO", "[profile s]\nsso_session = corp\nsso_account_id = 222222222222\nsso_role_name = A\ncredential_source = Environment\n" + sess, "", "s",
			`~/.aws/config:5: profile "s": credential_source "Environment": is set beside IAM Identity Center settings…`, ""},
		{"source_profile beside SSO without role_arn", "[profile s]\nsso_session = corp\nsso_account_id = 222222222222\nsso_role_name = A\nsource_profile = o\n[profile o]\n" + sess, "", "s",
			`~/.aws/config:5: profile "s": source_profile "o": is set beside IAM Identity Center settings…`, ""},
		{"role from a broken SSO profile", "[profile r]\nrole_arn = arn:aws:iam::444444444444:role/r\nsource_profile = s\n[profile s]\nsso_session = nope\nsso_account_id = 222222222222\nsso_role_name = A\n", "", "r",
			`~/.aws/config:5: profile "s": sso_session "nope": no [sso-session nope] section in the config file…`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Resolve(parseBoth(t, tt.cfg, tt.creds), Request{Profile: tt.profile, Env: MapEnv(nil)})
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
			if strings.Contains(got, "AKIAEXAMPLE\"") && strings.Contains(got, "aws_secret") {
				t.Errorf("error shows a secret: %s", got)
			}
		})
	}
}

func TestSSOCacheKey(t *testing.T) {
	// The AWS CLI v2's file names: sha1 of the session name, or of the
	// start URL for a legacy profile (values from Python's hashlib).
	for _, c := range []struct {
		s    SSOSession
		want string
	}{
		{SSOSession{Name: "dev", StartURL: "https://x"}, "34c6fceca75e456f25e7e99531e2425c6c1de443"},
		{SSOSession{StartURL: "https://d-abc123.awsapps.com/start"}, "40a89917e3175433e361b710a9d43528d7f1890a"},
		{SSOSession{Name: "my-sso"}, "0ad374308c5a4e22f723adf10145eafad7c4031c"},
	} {
		if got := c.s.CacheKey(); got != c.want {
			t.Errorf("%+v.CacheKey() = %s, want %s", c.s, got, c.want)
		}
	}
}

func TestSSOSessionHelpers(t *testing.T) {
	fs := parseBoth(t, ssoConfig+"[sso-session broken]\nsso_region = x\n", "")
	s, err := SSOSessionNamed(fs, "corp")
	if err != nil {
		t.Fatal(err)
	}
	want := &SSOSession{Name: "corp", StartURL: "https://example.awsapps.com/start", Region: "us-east-1", Scopes: []string{"sso:account:access", "extra:scope"}, File: "~/.aws/config", Line: 7}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("SSOSessionNamed = %+v, want %+v", s, want)
	}
	if _, err := SSOSessionNamed(fs, "nope"); err == nil || !strings.Contains(err.Error(), "--sso-session \"nope\": no [sso-session nope] section") {
		t.Errorf("SSOSessionNamed(nope): %v", err)
	}
	for profile, name := range map[string]string{"dev": "corp", "deploy2": "corp", "lent": "corp", "login-only": "corp", "legacy": ""} {
		s, err := SSOSessionOf(fs, profile)
		if err != nil {
			t.Errorf("SSOSessionOf(%s): %v", profile, err)
			continue
		}
		if s.Name != name {
			t.Errorf("SSOSessionOf(%s) = %+v", profile, s)
		}
	}
	if s, _ := SSOSessionOf(fs, "legacy"); s.StartURL != "https://legacy.awsapps.com/start" || s.Region != "eu-central-1" || s.Scopes != nil {
		t.Errorf("SSOSessionOf(legacy) = %+v", s)
	}
	if _, err := SSOSessionOf(parseBoth(t, "[profile k]\n", ""), "k"); err == nil || !strings.Contains(err.Error(), "does not use IAM Identity Center") {
		t.Errorf("SSOSessionOf(k): %v", err)
	}
	if _, err := SSOSessionOf(parseBoth(t, "[profile a]\nsource_profile = b\n[profile b]\nsource_profile = a\n", ""), "a"); !errors.As(err, new(*CycleError)) {
		t.Errorf("SSOSessionOf of a loop: %v", err)
	}
	all, errs := SSOSessions(fs)
	var names []string
	for _, s := range all {
		names = append(names, s.Name+"|"+s.StartURL)
	}
	if want := []string{"corp|https://example.awsapps.com/start", "|https://legacy.awsapps.com/start"}; !reflect.DeepEqual(names, want) {
		t.Errorf("SSOSessions = %q, want %q", names, want)
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "[sso-session broken]: is missing sso_start_url") {
		t.Errorf("SSOSessions errors = %v", errs)
	}
}

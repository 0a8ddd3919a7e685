package cli

import (
	"context"
	"errors"
	"testing"

	"github.com/kagi-cli/kagi/internal/config"
)

const pickConfig = `[profile jumpuser]
mfa_serial = arn:aws:iam::111111111111:mfa/jumpuser
[profile prod]
role_arn = arn:aws:iam::333333333333:role/ops/admin
source_profile = jumpuser
[profile sandbox]
sso_session = corp
sso_account_id = 222222222222
sso_role_name = AdministratorAccess
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1
[profile filekeys]
aws_access_key_id = AKIAFILEKEYSEXAMPLE1
aws_secret_access_key = file-secret-for-tests-only
[profile broken]
source_profile = nowhere
role_arn = arn:aws:iam::333333333333:role/admin
`

// What the picker shows beside each profile: kagi list's short forms.
func TestPickerDetail(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/config", pickConfig)
	env := config.MapEnv(map[string]string{"AWS_CONFIG_FILE": dir + "/config", "AWS_SHARED_CREDENTIALS_FILE": dir + "/none", "HOME": dir})
	files, err := config.Load(env)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"prod":     "333333333333:admin  mfa/jumpuser",
		"jumpuser": "jumpuser  mfa/jumpuser",
		"sandbox":  "sso 222222222222/AdministratorAccess",
		"filekeys": "filekeys (file)  no MFA",
	} {
		chain, err := config.Resolve(files, config.Request{Profile: name, Env: env})
		if got := pickerDetail(newListEntry(name, chain, err)); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	chain, err := config.Resolve(files, config.Request{Profile: "broken", Env: env})
	if got := pickerDetail(newListEntry("broken", chain, err)); err == nil || got != "cannot be used: "+err.Error() {
		t.Errorf("broken: %q (%v)", got, err)
	}
}

// The picker is for a person at a terminal with nothing chosen yet:
// every flag and variable that names a profile or environment mode keeps
// it away.
func TestProfileChosenBy(t *testing.T) {
	for _, tc := range []struct {
		env   map[string]string
		flags credFlags
		want  string
	}{
		{nil, credFlags{}, ""},
		{map[string]string{"AWS_PROFILE": ""}, credFlags{}, ""}, // empty is unset, as the SDKs read it
		{map[string]string{"AWS_PROFILE": "prod"}, credFlags{}, "AWS_PROFILE"},
		{map[string]string{"AWS_DEFAULT_PROFILE": "prod"}, credFlags{}, "AWS_DEFAULT_PROFILE"},
		{nil, credFlags{RoleARN: "arn:aws:iam::333333333333:role/admin"}, "--role-arn"},
		{nil, credFlags{OIDC: "github"}, "--oidc"},
		{map[string]string{"AWS_ROLE_ARN": "arn:aws:iam::333333333333:role/admin"}, credFlags{}, "AWS_ROLE_ARN"},
		{map[string]string{"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE"}, credFlags{}, "AWS_ACCESS_KEY_ID"},
		{map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": "/t"}, credFlags{}, "AWS_WEB_IDENTITY_TOKEN_FILE"},
		{map[string]string{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/x"}, credFlags{}, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"},
		{map[string]string{"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:1/"}, credFlags{}, "AWS_CONTAINER_CREDENTIALS_FULL_URI"},
		{map[string]string{"CI": "true"}, credFlags{}, "CI"},
		{map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": "https://x"}, credFlags{}, "ACTIONS_ID_TOKEN_REQUEST_URL"},
	} {
		io, _, _ := testIO(tc.env)
		if got := (&app{io: io}).profileChosenBy(tc.flags); got != tc.want {
			t.Errorf("env %v flags %+v: %q, want %q", tc.env, tc.flags, got, tc.want)
		}
	}
}

// Where the picker cannot ask, the error is the one a missing profile
// has always given, with its hint; pickProfile returns before it opens
// any terminal.
func TestPickProfileCannotAsk(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/config", pickConfig)
	writeFile(t, dir+"/empty", "")
	for _, tc := range []struct {
		name  string
		env   map[string]string
		inTTY bool
	}{
		{"stdin not a terminal", map[string]string{"AWS_CONFIG_FILE": dir + "/config"}, false},
		{"KAGI_NO_PICKER", map[string]string{"AWS_CONFIG_FILE": dir + "/config", "KAGI_NO_PICKER": "1"}, true},
		{"no profiles", map[string]string{"AWS_CONFIG_FILE": dir + "/empty"}, true},
		{"TERM=dumb", map[string]string{"AWS_CONFIG_FILE": dir + "/config", "TERM": "dumb"}, true},
	} {
		tc.env["AWS_SHARED_CREDENTIALS_FILE"] = dir + "/none"
		io, _, _ := testIO(tc.env)
		io.InIsTTY = tc.inTTY
		a := &app{io: io}
		files, err := a.loadConfig()
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.pickProfile(context.Background(), files)
		var nr *config.NoRoleError
		if !errors.As(err, &nr) {
			t.Errorf("%s: %v, want *config.NoRoleError", tc.name, err)
		}
	}
}

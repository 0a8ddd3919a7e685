package cli

import (
	"context"
	"strings"
	"testing"
)

const ssoListConfig = `[profile prod-admin]
sso_session = corp
sso_account_id = 222222222222
sso_role_name = AdministratorAccess
[profile deploy]
role_arn = arn:aws:iam::444444444444:role/deploy
source_profile = prod-admin
[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
`

// An Identity Center profile on the terminal: the source says sso, the
// ROLE column the permission set in its account.
func TestListNarrowSSO(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/config", ssoListConfig)
	env := map[string]string{"AWS_CONFIG_FILE": dir + "/config", "AWS_SHARED_CREDENTIALS_FILE": dir + "/none", "KAGI_CACHE_DIR": dir + "/cache"}
	io, out, _ := testIO(env)
	io.OutIsTTY = true
	io.OutWidth = func() int { return 80 }
	if err := (&app{io: io}).runList(context.Background(), listOptions{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\n")
	var admin, deploy string
	for _, l := range lines {
		f := strings.Fields(l)
		switch {
		case len(f) > 0 && f[0] == "prod-admin":
			admin = strings.Join(f, " ")
		case len(f) > 0 && f[0] == "deploy":
			deploy = strings.Join(f, " ")
		}
	}
	if admin != "prod-admin sso - 222222222222/AdministratorAccess -" {
		t.Errorf("prod-admin row %q in\n%s", admin, out)
	}
	if deploy != "deploy sso (prod-admin) - 444444444444:deploy -" {
		t.Errorf("deploy row %q in\n%s", deploy, out)
	}
}

package interop

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/awsemu"
)

// emuSSOBoto3Script signs in with the device code flow through botocore's
// sso-oidc client (the approval posted to the verification page as a
// browser's form would), reads a pending poll and two portal refusals, then
// leaves botocore's own SSO credential provider to refresh an expired token
// from a cache file in the AWS CLI v2's format and call GetRoleCredentials.
// The result is one JSON object on stdout.
const emuSSOBoto3Script = `
import datetime, hashlib, json, os, urllib.parse, urllib.request
import boto3
from botocore.exceptions import ClientError

url, start = os.environ["EMU_URL"], os.environ["START_URL"]
out = {}
oidc = boto3.client("sso-oidc", endpoint_url=url, region_name="us-east-1")
reg = oidc.register_client(clientName="interop", clientType="public", scopes=["sso:account:access"])
cid, secret = reg["clientId"], reg["clientSecret"]
grant = "urn:ietf:params:oauth:grant-type:device_code"

pending = oidc.start_device_authorization(clientId=cid, clientSecret=secret, startUrl=start)
try:
    oidc.create_token(clientId=cid, clientSecret=secret, grantType=grant, deviceCode=pending["deviceCode"])
except ClientError as e:
    out["pending"] = e.response["Error"]["Code"]

dev = oidc.start_device_authorization(clientId=cid, clientSecret=secret, startUrl=start)
form = urllib.parse.urlencode({"user_code": dev["userCode"]}).encode()
urllib.request.urlopen(urllib.request.Request(dev["verificationUri"], data=form)).read()
tok = oidc.create_token(clientId=cid, clientSecret=secret, grantType=grant, deviceCode=dev["deviceCode"])
out["expires_in"] = tok["expiresIn"]

sso = boto3.client("sso", endpoint_url=url, region_name="us-east-1")
for name, kw in [("bad_token", dict(accessToken="aoa-bogus", accountId="222222222222", roleName="AdministratorAccess")),
                 ("unassigned", dict(accessToken=tok["accessToken"], accountId="333333333333", roleName="AdministratorAccess"))]:
    try:
        sso.get_role_credentials(**kw)
    except ClientError as e:
        out[name] = [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]]
out["accounts"] = [a["accountName"] for a in sso.list_accounts(accessToken=tok["accessToken"])["accountList"]]

# The AWS CLI v2's cache: an access token that has expired, a refresh token
# that has not.
cache = os.path.join(os.environ["HOME"], ".aws", "sso", "cache")
os.makedirs(cache, exist_ok=True)
path = os.path.join(cache, hashlib.sha1(b"corp").hexdigest() + ".json")
fmt = "%Y-%m-%dT%H:%M:%SZ"
now = datetime.datetime.now(datetime.timezone.utc)
with open(path, "w") as f:
    json.dump({"startUrl": start, "region": "us-east-1", "accessToken": tok["accessToken"],
               "expiresAt": (now - datetime.timedelta(minutes=1)).strftime(fmt),
               "clientId": cid, "clientSecret": secret,
               "registrationExpiresAt": datetime.datetime.fromtimestamp(reg["clientSecretExpiresAt"], datetime.timezone.utc).strftime(fmt),
               "refreshToken": tok["refreshToken"]}, f)
sts = boto3.Session(profile_name="prod").client("sts")
out["arn"] = sts.get_caller_identity()["Arn"]
with open(path) as f:
    after = json.load(f)
out["rotated"] = after["refreshToken"] != tok["refreshToken"] and after["accessToken"] != tok["accessToken"]
print(json.dumps(out))
`

// TestEmuSSOWithBoto3 checks the emulator's Identity Center against
// botocore: its sso-oidc and sso clients parse the answers and the errors,
// and its SSO credential provider refreshes a cached token and gets role
// credentials that the emulator's STS knows.
func TestEmuSSOWithBoto3(t *testing.T) {
	python := NeedTool(t, "python3")
	if err := exec.Command(python, "-c", "import boto3").Run(); err != nil {
		Missing(t, "python3 cannot import boto3")
	}
	const start = "https://example.awsapps.com/start"
	srv := awsemu.New(&awsemu.World{SSO: &awsemu.SSO{StartURL: start, Region: "us-east-1", Users: []awsemu.SSOUser{
		{Name: "alice@example.com", Assignments: []awsemu.SSOAssignment{{Account: "222222222222", AccountName: "prod", Role: "AdministratorAccess"}}},
	}}})
	url, stop, err := srv.Start(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)

	env := CleanEnv(t, "EMU_URL="+url, "START_URL="+start, "AWS_ENDPOINT_URL="+url, "AWS_DEFAULT_REGION=us-east-1")
	var home string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "HOME="); ok {
			home = v
		}
	}
	config := "[profile prod]\nsso_session = corp\nsso_account_id = 222222222222\nsso_role_name = AdministratorAccess\n\n" +
		"[sso-session corp]\nsso_start_url = " + start + "\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n"
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".aws", "config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-c", emuSSOBoto3Script)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("boto3 script: %v\n%s", err, stderr.String())
	}
	var got struct {
		Pending    string   `json:"pending"`
		ExpiresIn  int      `json:"expires_in"`
		BadToken   []any    `json:"bad_token"`
		Unassigned []any    `json:"unassigned"`
		Accounts   []string `json:"accounts"`
		Arn        string   `json:"arn"`
		Rotated    bool     `json:"rotated"`
	}
	decodeJSON(t, "boto3 sso script", stdout.Bytes(), &got)
	if got.Pending != "AuthorizationPendingException" || got.ExpiresIn != 3600 {
		t.Errorf("device flow: pending %q, expiresIn %d", got.Pending, got.ExpiresIn)
	}
	if len(got.BadToken) != 2 || got.BadToken[0] != "UnauthorizedException" || got.BadToken[1] != 401.0 ||
		len(got.Unassigned) != 2 || got.Unassigned[0] != "ForbiddenException" || got.Unassigned[1] != 403.0 {
		t.Errorf("portal refusals: %v %v", got.BadToken, got.Unassigned)
	}
	if len(got.Accounts) != 1 || got.Accounts[0] != "prod" {
		t.Errorf("accounts %v", got.Accounts)
	}
	want := "arn:aws:sts::222222222222:assumed-role/" + awsemu.SSORoleName("222222222222", "AdministratorAccess") + "/alice@example.com"
	if got.Arn != want || !got.Rotated {
		t.Errorf("botocore's SSO provider: arn %q (want %q), tokens rotated in the cache: %v", got.Arn, want, got.Rotated)
	}
	// Two device-code polls and botocore's one refresh; one
	// GetRoleCredentials of its own beside the two refused.
	if s := srv.Stats(); s["CreateToken"] != 3 || s["GetRoleCredentials"] != 3 || s["DeviceConsent"] != 1 || s["GetCallerIdentity"] != 1 {
		t.Errorf("stats %v", s)
	}
}

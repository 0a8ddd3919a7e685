package interop

import (
	"bytes"
	"context"
	"os/exec"
	"testing"
	"time"
)

// emuBoto3Script makes one call that must succeed, one that must be refused,
// and reads two IAM lists (one empty, which botocore must see as []). Keys
// come from the environment; the result is one JSON object on stdout.
const emuBoto3Script = `
import json, os
import boto3
from botocore.exceptions import ClientError

url = os.environ["EMU_URL"]
sts = boto3.client("sts", endpoint_url=url, region_name="us-east-1")
out = {"arn": sts.get_caller_identity()["Arn"]}

bad = boto3.client("sts", endpoint_url=url, region_name="us-east-1",
                   aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"], aws_secret_access_key="wrong-secret")
try:
    bad.get_caller_identity()
    out["refusal"] = None
except ClientError as e:
    out["refusal"] = e.response["Error"]["Code"]
    out["status"] = e.response["ResponseMetadata"]["HTTPStatusCode"]

iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1")
out["alice_mfa"] = [d["SerialNumber"] for d in iam.list_mfa_devices()["MFADevices"]]
out["bob_mfa"] = iam.list_mfa_devices(UserName="bob")["MFADevices"]
print(json.dumps(out))
`

// TestEmuWithBoto3 checks that boto3 (botocore, as in Ansible) signs
// requests the emulator accepts and parses its answers and refusals.
func TestEmuWithBoto3(t *testing.T) {
	python := NeedTool(t, "python3")
	if err := exec.Command(python, "-c", "import boto3").Run(); err != nil {
		Missing(t, "python3 cannot import boto3")
	}
	url, srv := startEmu(t)

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-c", emuBoto3Script)
	cmd.Env = CleanEnv(t, "EMU_URL="+url,
		"AWS_ACCESS_KEY_ID="+emuAliceKey, "AWS_SECRET_ACCESS_KEY="+emuAliceSecret)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("boto3 script: %v\n%s", err, stderr.String())
	}
	var got struct {
		Arn      string   `json:"arn"`
		Refusal  string   `json:"refusal"`
		Status   int      `json:"status"`
		AliceMFA []string `json:"alice_mfa"`
		BobMFA   []string `json:"bob_mfa"`
	}
	decodeJSON(t, "boto3 script", stdout.Bytes(), &got)
	if got.Arn != emuAliceARN {
		t.Errorf("get_caller_identity Arn %q, want %q", got.Arn, emuAliceARN)
	}
	if got.Refusal != "SignatureDoesNotMatch" || got.Status != 403 {
		t.Errorf("wrong secret: %q %d, want SignatureDoesNotMatch 403", got.Refusal, got.Status)
	}
	if len(got.AliceMFA) != 1 || got.AliceMFA[0] != emuAliceSerial || got.BobMFA == nil || len(got.BobMFA) != 0 {
		t.Errorf("list_mfa_devices: alice %v, bob %v", got.AliceMFA, got.BobMFA)
	}
	if s := srv.Stats(); s["GetCallerIdentity"] != 2 || s["ListMFADevices"] != 2 {
		t.Errorf("stats %v", s)
	}
}

package awsemu_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kagi-cli/kagi/internal/awsemu"
)

// mfaPolicyEnv is the test world with alice under the "only with MFA"
// IAM policy (iam_requires_mfa).
func mfaPolicyEnv(t *testing.T) *env {
	t.Helper()
	w := testWorld(t)
	w.Users[0].IAMRequiresMFA = true
	c := newClock()
	srv := awsemu.New(w, awsemu.WithClock(c.Now))
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &env{srv: srv, url: ts.URL, clock: c, world: w}
}

func TestIAMRequiresMFARefusesKeysAndSessionsWithoutMFA(t *testing.T) {
	e := mfaPolicyEnv(t)
	ctx := context.Background()
	keys := e.iam(alice())
	_, err := keys.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	wantAPIError(t, err, "AccessDenied", 403, "iam:ListAccessKeys on resource: user alice with an explicit deny in an identity-based policy")
	_, err = keys.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	wantAPIError(t, err, "AccessDenied", 403, "User: arn:aws:iam::111111111111:user/alice is not authorized to perform: iam:CreateAccessKey on resource: user alice with an explicit deny")
	_, err = keys.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(aliceKey)})
	wantAPIError(t, err, "AccessDenied", 403, "iam:DeleteAccessKey")
	_, err = keys.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(aliceKey)})
	wantAPIError(t, err, "AccessDenied", 403, "iam:GetAccessKeyLastUsed")
	// Reading the user and its devices stays open, as in AWS's example policy.
	if _, err := keys.GetUser(ctx, &iam.GetUserInput{}); err != nil {
		t.Errorf("GetUser without MFA: %v", err)
	}
	if _, err := keys.ListMFADevices(ctx, &iam.ListMFADevicesInput{}); err != nil {
		t.Errorf("ListMFADevices without MFA: %v", err)
	}
	// So do STS calls: GetCallerIdentity needs no permission.
	if _, err := e.sts(alice()).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("GetCallerIdentity: %v", err)
	}
	// bob has no such policy.
	if _, err := e.iam(bob()).ListAccessKeys(ctx, &iam.ListAccessKeysInput{}); err != nil {
		t.Errorf("bob ListAccessKeys: %v", err)
	}
	// With an MFA session every key call works.
	mfa := e.iam(e.mfaSession(t))
	out, err := mfa.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	if err != nil || len(out.AccessKeyMetadata) != 1 {
		t.Fatalf("ListAccessKeys with MFA: %v %+v", err, out)
	}
}

func TestIAMKeyRotationShapes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(bob())

	// Never used yet (IAM's own calls below count from now on).
	lu, err := e.iam(alice()).GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(bobKey)})
	if err != nil {
		t.Fatal(err)
	}
	if lu.AccessKeyLastUsed.LastUsedDate != nil || *lu.AccessKeyLastUsed.ServiceName != "N/A" || *lu.AccessKeyLastUsed.Region != "N/A" || *lu.UserName != "bob" {
		t.Errorf("never used: %+v", lu.AccessKeyLastUsed)
	}

	created, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
	if err != nil {
		t.Fatal(err)
	}
	newKey := aws.Credentials{AccessKeyID: *created.AccessKey.AccessKeyId, SecretAccessKey: *created.AccessKey.SecretAccessKey}
	list, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("bob")})
	if err != nil || len(list.AccessKeyMetadata) != 2 {
		t.Fatalf("ListAccessKeys: %v %+v", err, list)
	}
	for _, k := range list.AccessKeyMetadata {
		if k.CreateDate == nil || k.Status != "Active" {
			t.Errorf("key %s: %+v", *k.AccessKeyId, k)
		}
	}
	// The two-key quota.
	_, err = c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
	wantAPIError(t, err, "LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2")

	// The old key made a session; then it is deleted.
	sess, err := e.sts(bob()).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	lu, err = e.iam(newKey).GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(bobKey)})
	if err != nil {
		t.Fatal(err)
	}
	if lu.AccessKeyLastUsed.LastUsedDate == nil || *lu.AccessKeyLastUsed.ServiceName != "sts" || *lu.AccessKeyLastUsed.Region != "us-east-1" {
		t.Errorf("used: %+v", lu.AccessKeyLastUsed)
	}
	if _, err := e.iam(newKey).DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: aws.String(bobKey)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.sts(bob()).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", 403, "The security token included in the request is invalid.")
	// A session made from the deleted key lasts until it expires, as in AWS.
	s := aws.Credentials{AccessKeyID: *sess.Credentials.AccessKeyId, SecretAccessKey: *sess.Credentials.SecretAccessKey, SessionToken: *sess.Credentials.SessionToken}
	if _, err := e.sts(s).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("session of the deleted key: %v", err)
	}
	_, err = e.iam(newKey).DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: aws.String(bobKey)})
	wantAPIError(t, err, "NoSuchEntity", 404, "The Access Key with id "+bobKey+" cannot be found.")
	_, err = e.iam(newKey).GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(bobKey)})
	wantAPIError(t, err, "NoSuchEntity", 404, "")
}

func TestNewKeyDelayModelsEventualConsistency(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.srv.SetFaults(awsemu.Faults{NewKeyDelayMS: 4000}); err != nil {
		t.Fatal(err)
	}
	created, err := e.iam(bob()).CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	k := aws.Credentials{AccessKeyID: *created.AccessKey.AccessKeyId, SecretAccessKey: *created.AccessKey.SecretAccessKey}
	_, err = e.sts(k).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", 403, "")
	e.clock.Advance(4 * time.Second)
	if _, err := e.sts(k).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("after the delay: %v", err)
	}
	if err := e.srv.SetFaults(awsemu.Faults{NewKeyDelayMS: -1}); err == nil {
		t.Error("a negative delay was accepted")
	}
}

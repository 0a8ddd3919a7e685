package awsemu_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kagi-cli/kagi/internal/awsemu"
)

func TestIAMReadsTheCaller(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(alice())
	u, err := c.GetUser(ctx, &iam.GetUserInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *u.User.UserName != "alice" || *u.User.Arn != aliceARN || *u.User.Path != "/" || u.User.CreateDate == nil {
		t.Errorf("GetUser: %+v", u.User)
	}
	other, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bob")})
	if err != nil {
		t.Fatal(err)
	}
	if *other.User.Arn != bobARN {
		t.Errorf("GetUser bob: %s", *other.User.Arn)
	}
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nobody")})
	wantAPIError(t, err, "NoSuchEntity", 404, "The user with name nobody cannot be found.")

	mfa, err := c.ListMFADevices(ctx, &iam.ListMFADevicesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(mfa.MFADevices) != 1 || *mfa.MFADevices[0].SerialNumber != aliceSerial || *mfa.MFADevices[0].UserName != "alice" {
		t.Errorf("ListMFADevices: %+v", mfa.MFADevices)
	}
	none, err := c.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("bob")})
	if err != nil {
		t.Fatal(err)
	}
	if len(none.MFADevices) != 0 || none.IsTruncated {
		t.Errorf("ListMFADevices bob: %+v", none.MFADevices)
	}
}

func TestIAMCallerRules(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// A role session must name the user.
	role := e.assume(t, bob(), &sts.AssumeRoleInput{RoleArn: aws.String(roleLong), RoleSessionName: aws.String("s1")})
	_, err := e.iam(role).GetUser(ctx, &iam.GetUserInput{})
	wantAPIError(t, err, "ValidationError", 400, "Must specify userName when calling with non-User credentials")

	// GetSessionToken credentials without MFA may not call IAM (IAM says
	// so as of a token it does not know); with MFA they may.
	out, err := e.sts(alice()).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	plain := aws.Credentials{AccessKeyID: *out.Credentials.AccessKeyId, SecretAccessKey: *out.Credentials.SecretAccessKey, SessionToken: *out.Credentials.SessionToken}
	_, err = e.iam(plain).GetUser(ctx, &iam.GetUserInput{})
	wantAPIError(t, err, "InvalidClientTokenId", 403, "The security token included in the request is invalid.")
	u, err := e.iam(e.mfaSession(t)).GetUser(ctx, &iam.GetUserInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *u.User.UserName != "alice" {
		t.Errorf("GetUser with an MFA session: %s", *u.User.UserName)
	}
	// Signing rules are the same as STS's.
	_, err = e.iam(aws.Credentials{AccessKeyID: aliceKey, SecretAccessKey: "wrong"}).GetUser(ctx, &iam.GetUserInput{})
	wantAPIError(t, err, "SignatureDoesNotMatch", 403, "")
}

func TestIAMAccessKeys(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.iam(alice())
	list, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.AccessKeyMetadata) != 1 || *list.AccessKeyMetadata[0].AccessKeyId != aliceKey || list.AccessKeyMetadata[0].Status != "Active" {
		t.Fatalf("ListAccessKeys: %+v", list.AccessKeyMetadata)
	}

	created, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	k := created.AccessKey
	if *k.UserName != "alice" || len(*k.AccessKeyId) != 20 || *k.AccessKeyId == aliceKey || len(*k.SecretAccessKey) != 40 {
		t.Errorf("CreateAccessKey: %s %s", *k.UserName, *k.AccessKeyId)
	}
	fresh := aws.Credentials{AccessKeyID: *k.AccessKeyId, SecretAccessKey: *k.SecretAccessKey}
	id, err := e.sts(fresh).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("the new key: %v", err)
	}
	if *id.Arn != aliceARN {
		t.Errorf("the new key signs as %s", *id.Arn)
	}
	_, err = c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	wantAPIError(t, err, "LimitExceeded", 409, "AccessKeysPerUser: 2")

	// Delete the old key with the new one: the old one stops working.
	if _, err := e.iam(fresh).DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(aliceKey)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.sts(alice()).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", 403, "")
	_, err = e.iam(fresh).DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(aliceKey)})
	wantAPIError(t, err, "NoSuchEntity", 404, "The Access Key with id "+aliceKey+" cannot be found.")
	list, err = e.iam(fresh).ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.AccessKeyMetadata) != 1 || *list.AccessKeyMetadata[0].AccessKeyId != *k.AccessKeyId {
		t.Errorf("after the delete: %+v", list.AccessKeyMetadata)
	}
}

// A world file can date a key (kagi doctor --online flags keys older than
// 90 days): ListAccessKeys returns that CreateDate, and keys without one
// date from the emulator's start. A date that does not parse is refused.
func TestIAMAccessKeyCreateDateFromWorld(t *testing.T) {
	w := testWorld(t)
	w.Users[1].AccessKeys[0].Created = "2020-02-03T04:05:06Z"
	srv := awsemu.New(w)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	e := &env{srv: srv, url: ts.URL, clock: newClock(), world: w}
	ctx := context.Background()
	list, err := e.iam(bob()).ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.AccessKeyMetadata) != 1 || !list.AccessKeyMetadata[0].CreateDate.Equal(time.Date(2020, 2, 3, 4, 5, 6, 0, time.UTC)) {
		t.Errorf("ListAccessKeys bob: %+v", list.AccessKeyMetadata)
	}
	list, err = e.iam(alice()).ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.AccessKeyMetadata) != 1 || time.Since(*list.AccessKeyMetadata[0].CreateDate) > time.Hour {
		t.Errorf("ListAccessKeys alice: %+v", list.AccessKeyMetadata)
	}

	bad := testWorld(t)
	bad.Users[0].AccessKeys[0].Created = "last year"
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), `created "last year"`) {
		t.Errorf("Validate with a bad created: %v", err)
	}
}

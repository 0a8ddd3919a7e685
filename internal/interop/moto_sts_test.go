package interop

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/kagi-cli/kagi/internal/awsemu"
)

// TestEmulatorAndMotoAgree sends the same STS calls, through the same AWS
// SDK for Go v2 client, to the emulator and to moto_server, an STS nobody
// here wrote. Both must answer in a shape the SDK parses into the same
// fields, so the emulator cannot drift into a dialect only kagi understands.
func TestEmulatorAndMotoAgree(t *testing.T) {
	ctx := context.Background()
	motoURL := StartMoto(t)

	world, err := awsemu.ParseWorld([]byte(`{
	  "users":[{"account":"123456789012","name":"alice",
	    "access_keys":[{"id":"AKIAEXAMPLEALICE0001","secret":"alice-secret"}]}],
	  "roles":[{"arn":"arn:aws:iam::123456789012:role/admin",
	    "trust":{"principals":["arn:aws:iam::123456789012:root"]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	emuURL, stop, err := awsemu.New(world).Start(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)

	for name, url := range map[string]string{"awsemu": emuURL, "moto": motoURL} {
		t.Run(name, func(t *testing.T) {
			client := stsClient(url, "AKIAEXAMPLEALICE0001", "alice-secret", "")

			id, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatalf("GetCallerIdentity: %v", err)
			}
			if aws.ToString(id.Account) != "123456789012" || !strings.HasPrefix(aws.ToString(id.Arn), "arn:aws:") {
				t.Errorf("GetCallerIdentity = %s %s", aws.ToString(id.Account), aws.ToString(id.Arn))
			}

			st, err := client.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(3600)})
			if err != nil {
				t.Fatalf("GetSessionToken: %v", err)
			}
			checkCredentials(t, "GetSessionToken", st.Credentials)

			ar, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{
				RoleArn:         aws.String("arn:aws:iam::123456789012:role/admin"),
				RoleSessionName: aws.String("interop"),
				DurationSeconds: aws.Int32(900),
			})
			if err != nil {
				t.Fatalf("AssumeRole: %v", err)
			}
			checkCredentials(t, "AssumeRole", ar.Credentials)
			if got, want := aws.ToString(ar.AssumedRoleUser.Arn), "arn:aws:sts::123456789012:assumed-role/admin/interop"; got != want {
				t.Errorf("AssumedRoleUser.Arn = %q, want %q", got, want)
			}
			if exp := aws.ToTime(ar.Credentials.Expiration); exp.Sub(time.Now()) > 16*time.Minute {
				t.Errorf("AssumeRole for 900s expires at %v, more than 15 minutes away", exp)
			}

			// The role's own credentials sign the next call.
			role := stsClient(url, aws.ToString(ar.Credentials.AccessKeyId),
				aws.ToString(ar.Credentials.SecretAccessKey), aws.ToString(ar.Credentials.SessionToken))
			id, err = role.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatalf("GetCallerIdentity as the role: %v", err)
			}
			if !strings.Contains(aws.ToString(id.Arn), ":assumed-role/admin/interop") {
				t.Errorf("caller as the role = %q", aws.ToString(id.Arn))
			}
		})
	}
}

func checkCredentials(t *testing.T, call string, c *types.Credentials) {
	t.Helper()
	if c == nil {
		t.Fatalf("%s returned no credentials", call)
	}
	if aws.ToString(c.AccessKeyId) == "" || aws.ToString(c.SecretAccessKey) == "" || aws.ToString(c.SessionToken) == "" {
		t.Errorf("%s returned incomplete credentials", call)
	}
	if exp := aws.ToTime(c.Expiration); !exp.After(time.Now()) {
		t.Errorf("%s credentials expire at %v, not in the future", call, exp)
	}
}

func stsClient(url, id, secret, token string) *sts.Client {
	return sts.New(sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider(id, secret, token),
	})
}

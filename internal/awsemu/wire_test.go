package awsemu_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// post sends a form body to the emulator, signed for service with creds
// unless creds is empty, and returns the status and body.
func (e *env) post(t *testing.T, form, service string, creds aws.Credentials, signedAt time.Time) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url+"/", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if creds.AccessKeyID != "" {
		sum := sha256.Sum256([]byte(form))
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, "eu-west-1", signedAt); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// squash removes the whitespace between elements of an XML literal.
func squash(s string) string {
	return regexp.MustCompile(`>\s+<`).ReplaceAllString(strings.TrimSpace(s), "><")
}

var requestID = regexp.MustCompile(`<RequestId>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}</RequestId>`)

func TestWireShapes(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	tests := []struct {
		name    string
		form    string
		service string
		creds   aws.Credentials
		status  int
		want    string
	}{
		{"GetCallerIdentity", "Action=GetCallerIdentity&Version=2011-06-15", "sts", alice(), 200, `
			<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
			  <GetCallerIdentityResult>
			    <Arn>arn:aws:iam::111111111111:user/alice</Arn><UserId>AIDA*</UserId><Account>111111111111</Account>
			  </GetCallerIdentityResult>
			  <ResponseMetadata><RequestId/></ResponseMetadata>
			</GetCallerIdentityResponse>`},
		{"wrong secret", "Action=GetCallerIdentity&Version=2011-06-15", "sts", aws.Credentials{AccessKeyID: aliceKey, SecretAccessKey: "x"}, 403, `
			<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
			  <Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.</Message></Error>
			  <RequestId/>
			</ErrorResponse>`},
		{"an STS action signed for IAM", "Action=GetCallerIdentity&Version=2011-06-15", "iam", alice(), 403, `
			<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
			  <Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>Credential should be scoped to correct service: &#39;sts&#39;. </Message></Error>
			  <RequestId/>
			</ErrorResponse>`},
		{"an IAM action signed for STS", "Action=GetUser&Version=2010-05-08", "sts", alice(), 403, `
			<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
			  <Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>Credential should be scoped to correct service: &#39;iam&#39;. </Message></Error>
			  <RequestId/>
			</ErrorResponse>`},
		{"unsigned", "Action=GetCallerIdentity&Version=2011-06-15", "sts", aws.Credentials{}, 403, `
			<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
			  <Error><Type>Sender</Type><Code>MissingAuthenticationToken</Code><Message>Request is missing Authentication Token</Message></Error>
			  <RequestId/>
			</ErrorResponse>`},
		{"unknown action", "Action=DecodeAuthorizationMessage&Version=2011-06-15", "sts", alice(), 400, `
			<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
			  <Error><Type>Sender</Type><Code>InvalidAction</Code><Message>Could not find operation DecodeAuthorizationMessage for version 2011-06-15</Message></Error>
			  <RequestId/>
			</ErrorResponse>`},
		{"wrong version", "Action=GetCallerIdentity&Version=2010-05-08", "sts", alice(), 400, `
			<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
			  <Error><Type>Sender</Type><Code>InvalidAction</Code><Message>Could not find operation GetCallerIdentity for version 2010-05-08</Message></Error>
			  <RequestId/>
			</ErrorResponse>`},
		{"DeleteAccessKey has no result", "Action=DeleteAccessKey&Version=2010-05-08&AccessKeyId=" + aliceKey, "iam", alice(), 200, `
			<DeleteAccessKeyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
			  <ResponseMetadata><RequestId/></ResponseMetadata>
			</DeleteAccessKeyResponse>`},
		{"empty list", "Action=ListMFADevices&Version=2010-05-08", "iam", bob(), 200, `
			<ListMFADevicesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
			  <ListMFADevicesResult><IsTruncated>false</IsTruncated><MFADevices></MFADevices></ListMFADevicesResult>
			  <ResponseMetadata><RequestId/></ResponseMetadata>
			</ListMFADevicesResponse>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := e.post(t, tt.form, tt.service, tt.creds, now)
			got := requestID.ReplaceAllString(body, "<RequestId/>")
			got = regexp.MustCompile(`<UserId>AIDA[A-Z2-7]{17}</UserId>`).ReplaceAllString(got, "<UserId>AIDA*</UserId>")
			if status != tt.status || got != squash(tt.want) {
				t.Errorf("status %d, body\n%s\nwant %d,\n%s", status, body, tt.status, squash(tt.want))
			}
		})
	}
}

// A client that signs only content-type;host;x-amz-date (botocore does)
// verifies as well as the Go SDK, which signs more.
func TestMinimalSignedHeaders(t *testing.T) {
	e := newEnv(t)
	form := "Action=GetCallerIdentity&Version=2011-06-15"
	req, err := http.NewRequest(http.MethodPost, e.url+"/", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.ContentLength = 0 // so the signer leaves content-length out, as botocore does
	sum := sha256.Sum256([]byte(form))
	if err := v4.NewSigner().SignHTTP(context.Background(), alice(), req, hex.EncodeToString(sum[:]), "sts", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(req.Header.Get("Authorization"), "SignedHeaders=content-type;host;x-amz-date,") {
		t.Fatalf("the test signed other headers: %s", req.Header.Get("Authorization"))
	}
	req.ContentLength = int64(len(form))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	// Changing the body breaks the signature.
	req2, _ := http.NewRequest(http.MethodPost, e.url+"/", strings.NewReader(form+"&DurationSeconds=900"))
	req2.Header = req.Header.Clone()
	resp2, err := http.DefaultClient.Do(req2)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != 403 {
		t.Errorf("tampered body: status %d, want 403", resp2.StatusCode)
	}
}

func TestDateHeaderFollowsTheEmulatorClock(t *testing.T) {
	e := newEnv(t)
	e.clock.Advance(72 * time.Hour)
	resp, err := http.Get(e.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		t.Fatal(err)
	}
	if d := got.Sub(e.clock.Now()); d.Abs() > time.Second {
		t.Errorf("Date %v, emulator clock %v", got, e.clock.Now())
	}
}

package awsemu_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kagi-cli/kagi/internal/awsemu"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestStatsAndRequestLog(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	session := e.mfaSession(t)
	_, err := e.sts(session).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleAdmin), RoleSessionName: aws.String("s1")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.sts(alice()).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleAdmin), RoleSessionName: aws.String("s1")})
	wantAPIError(t, err, "AccessDenied", 403, "")
	_, err = e.sts(aws.Credentials{AccessKeyID: aliceKey, SecretAccessKey: "wrong"}).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "SignatureDoesNotMatch", 403, "")

	want := map[string]int{"GetSessionToken": 1, "AssumeRole": 2, "GetCallerIdentity": 1}
	if got := e.srv.Stats(); mustJSON(t, got) != mustJSON(t, want) {
		t.Errorf("Stats() = %v, want %v", got, want)
	}
	status, body := get(t, e.url+"/_emu/stats")
	var stats map[string]int
	if err := json.Unmarshal([]byte(body), &stats); status != 200 || err != nil || mustJSON(t, stats) != mustJSON(t, want) {
		t.Errorf("/_emu/stats: %d %s", status, body)
	}

	log := e.srv.Requests()
	type entry struct {
		action, caller, code string
		status               int
	}
	wantLog := []entry{
		{"GetSessionToken", aliceARN, "", 200},
		{"AssumeRole", aliceARN, "", 200},
		{"AssumeRole", aliceARN, "AccessDenied", 403},
		{"GetCallerIdentity", "", "SignatureDoesNotMatch", 403},
	}
	if len(log) != len(wantLog) {
		t.Fatalf("log %+v", log)
	}
	for i, w := range wantLog {
		g := log[i]
		if (entry{g.Action, g.Caller, g.Code, g.Status}) != w {
			t.Errorf("log[%d] = %+v, want %+v", i, g, w)
		}
	}
	if log[3].AccessKeyID != aliceKey || log[0].Service != "sts" {
		t.Errorf("log[3] = %+v", log[3])
	}
	status, body = get(t, e.url+"/_emu/requests")
	if status != 200 || !strings.Contains(body, `"action": "AssumeRole"`) {
		t.Errorf("/_emu/requests: %d %s", status, body)
	}
	for _, secret := range []string{aliceSecret, session.SecretAccessKey, session.SessionToken, "wrong"} {
		if strings.Contains(body, secret) {
			t.Errorf("the request log holds a secret: %s", body)
		}
	}
}

func TestControlTOTP(t *testing.T) {
	e := newEnv(t)
	want, err := awsemu.TOTPCode("JBSWY3DPEHPK3PXP", e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if status, body := get(t, e.url+"/_emu/totp?serial="+aliceSerial); status != 200 || body != want+"\n" {
		t.Errorf("/_emu/totp: %d %q, want %q", status, body, want)
	}
	e.mfaSession(t) // spends the current code
	next, err := awsemu.TOTPCode("JBSWY3DPEHPK3PXP", e.clock.Now().Add(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if status, body := get(t, e.url+"/_emu/totp?fresh=1&serial="+aliceSerial); status != 200 || body != next+"\n" {
		t.Errorf("/_emu/totp fresh: %d %q, want %q", status, body, next)
	}
	if status, _ := get(t, e.url+"/_emu/totp?serial=arn:aws:iam::111111111111:mfa/nobody"); status != 404 {
		t.Errorf("unknown serial: status %d", status)
	}
}

func TestControlFaults(t *testing.T) {
	e := newEnv(t)
	post := func(body string) (int, string) {
		resp, err := http.Post(e.url+"/_emu/faults", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := post(`{"error_rate":1,"actions":["GetCallerIdentity"]}`); status != 200 {
		t.Fatalf("POST /_emu/faults: %d %s", status, body)
	}
	if f := e.srv.Faults(); f.ErrorRate != 1 || len(f.Actions) != 1 {
		t.Errorf("faults after POST: %+v", f)
	}
	_, err := e.sts(alice()).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InternalFailure", 500, "")
	if status, body := get(t, e.url+"/_emu/faults"); status != 200 || !strings.Contains(body, `"error_rate": 1`) {
		t.Errorf("GET /_emu/faults: %d %s", status, body)
	}
	for _, bad := range []string{`{"error_rate":2}`, `{"latency":5}`, `not json`} {
		if status, _ := post(bad); status != 400 {
			t.Errorf("POST %s: status %d, want 400", bad, status)
		}
	}
	if status, _ := post(`{}`); status != 200 {
		t.Fatal("clearing faults failed")
	}
	if _, err := e.sts(alice()).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("after clearing: %v", err)
	}
	if status, _ := get(t, e.url+"/_emu/nothing"); status != 404 {
		t.Errorf("unknown control path: %d", status)
	}
}

func TestStart(t *testing.T) {
	srv := awsemu.New(testWorld(t))
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "example.com:0", "127.0.0.1"} {
		if _, _, err := srv.Start(context.Background(), addr); err == nil {
			t.Errorf("Start(%q): no error", addr)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url, stop, err := srv.Start(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Errorf("url %s", url)
	}
	if status, _ := get(t, url+"/_emu/stats"); status != 200 {
		t.Errorf("stats: %d", status)
	}
	stop()
	stop() // twice is fine
	if _, err := http.Get(url + "/_emu/stats"); err == nil {
		t.Error("still serving after stop")
	}

	// Cancelling the context stops it too.
	url, stop, err = srv.Start(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := http.Get(url + "/_emu/stats"); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("still serving 5s after the context ended")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Revoke ends a principal's sessions the way AWS does (an explicit deny for
// credentials issued before it) or makes STS forget them; neither touches
// long-term keys or credentials issued afterwards. Deleting the access key
// that made a session does not end it, as in AWS.
func TestRevokeSessions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	session := e.mfaSession(t)
	admin := e.assume(t, session, &sts.AssumeRoleInput{RoleArn: aws.String(roleAdmin), RoleSessionName: aws.String("s1")})
	readonly := &sts.AssumeRoleInput{RoleArn: aws.String(roleReadonly), RoleSessionName: aws.String("s2")}

	// A role's sessions, denied: every action but GetCallerIdentity fails.
	if n, err := e.srv.Revoke(roleAdmin, awsemu.RevokeDeny); err != nil || n != 1 {
		t.Fatalf("Revoke(role) = %d, %v", n, err)
	}
	_, err := e.sts(admin).AssumeRole(ctx, readonly)
	wantAPIError(t, err, "AccessDenied", 403, "with an explicit deny in an identity-based policy")
	if _, err := e.sts(admin).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("GetCallerIdentity needs no permission, yet: %v", err)
	}
	// A new session of the role works; so does the MFA session.
	admin2 := e.assume(t, session, &sts.AssumeRoleInput{RoleArn: aws.String(roleAdmin), RoleSessionName: aws.String("s1")})
	e.assume(t, admin2, readonly)

	// A user's GetSessionToken sessions, forgotten: InvalidClientTokenId.
	// Its long-term key still works.
	status, body := post(t, e.url+"/_emu/revoke", `{"arn":"`+aliceARN+`","how":"forget"}`)
	if status != 200 || !strings.Contains(body, `"revoked": 1`) {
		t.Fatalf("/_emu/revoke: %d %s", status, body)
	}
	_, err = e.sts(session).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", 403, "")
	if _, err := e.sts(alice()).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("the long-term key: %v", err)
	}
	if status, body := post(t, e.url+"/_emu/revoke", `{"arn":"`+aliceARN+`","how":"later"}`); status != 400 {
		t.Errorf("an unknown way: %d %s", status, body)
	}

	// DeleteAccessKey leaves the sessions made with the key valid.
	session = e.mfaSession(t)
	k, err := e.iam(alice()).CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	fresh := aws.Credentials{AccessKeyID: *k.AccessKey.AccessKeyId, SecretAccessKey: *k.AccessKey.SecretAccessKey}
	if _, err := e.iam(fresh).DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(aliceKey)}); err != nil {
		t.Fatal(err)
	}
	e.assume(t, session, &sts.AssumeRoleInput{RoleArn: aws.String(roleAdmin), RoleSessionName: aws.String("s3")})
}

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

package interop

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// awsCLI runs the AWS CLI against the emulator at url with keys from the
// environment only (never argv), and returns stdout, stderr and the error.
func awsCLI(t *testing.T, bin, url string, keys []string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(args, "--endpoint-url", url, "--output", "json")...)
	cmd.Env = CleanEnv(t, append([]string{"AWS_DEFAULT_REGION=us-east-1"}, keys...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

func aliceKeys(secret string) []string {
	return []string{"AWS_ACCESS_KEY_ID=" + emuAliceKey, "AWS_SECRET_ACCESS_KEY=" + secret}
}

// wantCLIRefusal checks that the CLI failed with code in its message.
func wantCLIRefusal(t *testing.T, what, stderr string, err error, code, msg string) {
	t.Helper()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("%s: got %v, want the CLI to fail with %s", what, err, code)
	}
	if !strings.Contains(stderr, "("+code+")") || !strings.Contains(stderr, msg) {
		t.Errorf("%s: stderr %q, want (%s) and %q", what, stderr, code, msg)
	}
}

// TestEmuWithAWSCLI drives the emulator with the AWS CLI (botocore), which
// signs fewer headers than the Go SDK and parses the XML with its own code:
// the daily path of a kagi user, by hand.
func TestEmuWithAWSCLI(t *testing.T) {
	bin := NeedAWSCLI(t)
	url, srv := startEmu(t)

	out, stderr, err := awsCLI(t, bin, url, aliceKeys(emuAliceSecret), "sts", "get-caller-identity")
	if err != nil {
		t.Fatalf("get-caller-identity: %v\n%s", err, stderr)
	}
	var id struct{ Arn, Account, UserId string }
	decodeJSON(t, "get-caller-identity", []byte(out), &id)
	if id.Arn != emuAliceARN || id.Account != "111111111111" {
		t.Errorf("get-caller-identity: %+v", id)
	}

	_, stderr, err = awsCLI(t, bin, url, aliceKeys("wrong-secret"), "sts", "get-caller-identity")
	wantCLIRefusal(t, "wrong secret", stderr, err, "SignatureDoesNotMatch", "signature")

	code, err := srv.FreshTOTP(emuAliceSerial)
	if err != nil {
		t.Fatal(err)
	}
	wrong := emuWrongCode(t)
	_, stderr, err = awsCLI(t, bin, url, aliceKeys(emuAliceSecret),
		"sts", "get-session-token", "--serial-number", emuAliceSerial, "--token-code", wrong)
	wantCLIRefusal(t, "wrong MFA code", stderr, err, "AccessDenied", "invalid MFA one time pass code")

	out, stderr, err = awsCLI(t, bin, url, aliceKeys(emuAliceSecret),
		"sts", "get-session-token", "--serial-number", emuAliceSerial, "--token-code", code)
	if err != nil {
		t.Fatalf("get-session-token: %v\n%s", err, stderr)
	}
	var st struct {
		Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration string }
	}
	decodeJSON(t, "get-session-token", []byte(out), &st)
	if !strings.HasPrefix(st.Credentials.AccessKeyId, "ASIA") || st.Credentials.SessionToken == "" {
		t.Fatalf("get-session-token: %s", out)
	}
	if exp, err := time.Parse(time.RFC3339, st.Credentials.Expiration); err != nil || exp.Sub(time.Now()) < 11*time.Hour {
		t.Errorf("get-session-token expiration %q, want about 12h away", st.Credentials.Expiration)
	}

	_, stderr, err = awsCLI(t, bin, url, aliceKeys(emuAliceSecret),
		"sts", "get-session-token", "--serial-number", emuAliceSerial, "--token-code", code)
	wantCLIRefusal(t, "reused MFA code", stderr, err, "AccessDenied", "invalid MFA one time pass code")

	session := []string{"AWS_ACCESS_KEY_ID=" + st.Credentials.AccessKeyId,
		"AWS_SECRET_ACCESS_KEY=" + st.Credentials.SecretAccessKey, "AWS_SESSION_TOKEN=" + st.Credentials.SessionToken}
	out, stderr, err = awsCLI(t, bin, url, session,
		"sts", "assume-role", "--role-arn", emuAdminRole, "--role-session-name", "alice")
	if err != nil {
		t.Fatalf("assume-role with the MFA session: %v\n%s", err, stderr)
	}
	var ar struct {
		AssumedRoleUser struct{ Arn string }
		Credentials     struct{ AccessKeyId string }
	}
	decodeJSON(t, "assume-role", []byte(out), &ar)
	if ar.AssumedRoleUser.Arn != "arn:aws:sts::222222222222:assumed-role/admin/alice" || !strings.HasPrefix(ar.Credentials.AccessKeyId, "ASIA") {
		t.Errorf("assume-role: %s", out)
	}

	// The same role from the long-term keys, without MFA: refused.
	_, stderr, err = awsCLI(t, bin, url, aliceKeys(emuAliceSecret),
		"sts", "assume-role", "--role-arn", emuAdminRole, "--role-session-name", "alice")
	wantCLIRefusal(t, "assume-role without MFA", stderr, err, "AccessDenied", "is not authorized to perform: sts:AssumeRole")

	stats := srv.Stats()
	if stats["GetCallerIdentity"] != 2 || stats["GetSessionToken"] != 3 || stats["AssumeRole"] != 2 {
		t.Errorf("stats %v", stats)
	}
}

package awsemu_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/kagi-cli/kagi/internal/awsemu"
)

func TestGetCallerIdentityOfAUser(t *testing.T) {
	e := newEnv(t)
	out, err := e.sts(alice()).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *out.Arn != aliceARN || *out.Account != acctUsers || !strings.HasPrefix(*out.UserId, "AIDA") {
		t.Errorf("got %s %s %s", *out.Arn, *out.Account, *out.UserId)
	}
}

func TestSignatureRefusals(t *testing.T) {
	tests := []struct {
		name   string
		creds  aws.Credentials
		skew   time.Duration // emulator clock minus the real one
		code   string
		status int
		msg    string
	}{
		{"wrong secret", aws.Credentials{AccessKeyID: aliceKey, SecretAccessKey: "wrong"}, 0,
			"SignatureDoesNotMatch", 403, "does not match the signature you provided"},
		{"unknown key", aws.Credentials{AccessKeyID: "AKIAUNKNOWN000000000", SecretAccessKey: aliceSecret}, 0,
			"InvalidClientTokenId", 403, "security token included in the request is invalid"},
		{"session token on a long-term key", aws.Credentials{AccessKeyID: aliceKey, SecretAccessKey: aliceSecret, SessionToken: "x"}, 0,
			"InvalidClientTokenId", 403, ""},
		{"client clock 10 minutes slow", alice(), 10 * time.Minute, "SignatureDoesNotMatch", 403, "Signature expired"},
		{"client clock 10 minutes fast", alice(), -10 * time.Minute, "SignatureDoesNotMatch", 403, "Signature not yet current"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.clock.Advance(tt.skew)
			_, err := e.sts(tt.creds).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
			wantAPIError(t, err, tt.code, tt.status, tt.msg)
		})
	}
}

func TestSkewWithinFiveMinutesIsAccepted(t *testing.T) {
	e := newEnv(t)
	e.clock.Advance(4 * time.Minute)
	if _, err := e.sts(alice()).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
}

// The Date header carries the emulator's clock, so the SDK's clock skew
// correction works against it as against AWS: one refusal, then a retry
// signed with the corrected time.
func TestSDKCorrectsClockSkewFromDateHeader(t *testing.T) {
	e := newEnv(t)
	e.clock.Advance(20 * time.Minute)
	if _, err := e.stsRetrying(alice()).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	if got := e.srv.Stats()["GetCallerIdentity"]; got != 2 {
		t.Errorf("GetCallerIdentity requests = %d, want 2 (refused, then corrected)", got)
	}
}

func TestGetSessionToken(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	out, err := e.sts(alice()).GetSessionToken(ctx, &sts.GetSessionTokenInput{
		SerialNumber: aws.String(aliceSerial), TokenCode: aws.String(e.code(t)),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	if !strings.HasPrefix(*c.AccessKeyId, "ASIA") || *c.SecretAccessKey == "" || *c.SessionToken == "" {
		t.Errorf("credentials %+v", c)
	}
	if want := e.clock.Now().Add(12 * time.Hour); c.Expiration.Sub(want).Abs() > time.Second {
		t.Errorf("expiration %v, want %v (the 12h default)", c.Expiration, want)
	}
	session := aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken}
	id, err := e.sts(session).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *id.Arn != aliceARN {
		t.Errorf("session caller %s, want %s", *id.Arn, aliceARN)
	}
	// Session credentials cannot make another session.
	_, err = e.sts(session).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	wantAPIError(t, err, "AccessDenied", 403, "Cannot call GetSessionToken with session credentials")

	// Without MFA is allowed; the duration is what was asked.
	out, err = e.sts(bob()).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	if want := e.clock.Now().Add(15 * time.Minute); out.Credentials.Expiration.Sub(want).Abs() > time.Second {
		t.Errorf("expiration %v, want %v", out.Credentials.Expiration, want)
	}
}

func TestGetSessionTokenRefusals(t *testing.T) {
	tests := []struct {
		name   string
		in     func(e *env, t *testing.T) *sts.GetSessionTokenInput
		code   string
		status int
		msg    string
	}{
		{"duration below 900", func(e *env, t *testing.T) *sts.GetSessionTokenInput {
			return &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(899)}
		}, "ValidationError", 400, "greater than or equal to 900"},
		{"duration above 36h", func(e *env, t *testing.T) *sts.GetSessionTokenInput {
			return &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(129601)}
		}, "ValidationError", 400, "less than or equal to 129600"},
		{"wrong code", func(e *env, t *testing.T) *sts.GetSessionTokenInput {
			return &sts.GetSessionTokenInput{SerialNumber: aws.String(aliceSerial), TokenCode: aws.String(wrongCode(e, t))}
		}, "AccessDenied", 403, "MultiFactorAuthentication failed with invalid MFA one time pass code."},
		{"code that is not six digits", func(e *env, t *testing.T) *sts.GetSessionTokenInput {
			return &sts.GetSessionTokenInput{SerialNumber: aws.String(aliceSerial), TokenCode: aws.String("12345a")}
		}, "ValidationError", 400, "tokenCode"},
		{"someone else's device", func(e *env, t *testing.T) *sts.GetSessionTokenInput {
			return &sts.GetSessionTokenInput{SerialNumber: aws.String("arn:aws:iam::111111111111:mfa/bob"), TokenCode: aws.String(e.code(t))}
		}, "AccessDenied", 403, "unable to validate MFA code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			_, err := e.sts(alice()).GetSessionToken(context.Background(), tt.in(e, t))
			wantAPIError(t, err, tt.code, tt.status, tt.msg)
		})
	}
}

// wrongCode is a six-digit code that is none of the three the emulator
// would accept now.
func wrongCode(e *env, t *testing.T) string {
	t.Helper()
	now := e.clock.Now()
	bad := map[string]bool{}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		c, err := awsemu.TOTPCode("JBSWY3DPEHPK3PXP", now.Add(d))
		if err != nil {
			t.Fatal(err)
		}
		bad[c] = true
	}
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		if !bad[c] {
			return c
		}
	}
	t.Fatal("no wrong code")
	return ""
}

func TestMFACodeIsGoodOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	code, err := e.srv.TOTP(aliceSerial)
	if err != nil {
		t.Fatal(err)
	}
	in := &sts.GetSessionTokenInput{SerialNumber: aws.String(aliceSerial), TokenCode: aws.String(code)}
	if _, err := e.sts(alice()).GetSessionToken(ctx, in); err != nil {
		t.Fatal(err)
	}
	_, err = e.sts(alice()).GetSessionToken(ctx, in)
	wantAPIError(t, err, "AccessDenied", 403, "invalid MFA one time pass code")

	// The spent code is no longer fresh; the next step's code is, and works.
	fresh, err := e.srv.FreshTOTP(aliceSerial)
	if err != nil {
		t.Fatal(err)
	}
	if fresh == code {
		t.Fatalf("FreshTOTP returned the spent code")
	}
	in.TokenCode = aws.String(fresh)
	if _, err := e.sts(alice()).GetSessionToken(ctx, in); err != nil {
		t.Fatalf("next step's code: %v", err)
	}
	if _, err := e.srv.FreshTOTP(aliceSerial); err == nil {
		t.Errorf("FreshTOTP with the current and next codes spent: no error")
	}
	e.clock.Advance(60 * time.Second)
	if _, err := e.srv.FreshTOTP(aliceSerial); err != nil {
		t.Errorf("FreshTOTP a minute later: %v", err)
	}
}

// A code of the previous 30-second step is still accepted (RFC 6238
// section 5.2 allows one step of network delay); two steps back is not.
func TestMFAToleratesOneStep(t *testing.T) {
	e := newEnv(t)
	code, err := e.srv.TOTP(aliceSerial)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(30 * time.Second)
	in := &sts.GetSessionTokenInput{SerialNumber: aws.String(aliceSerial), TokenCode: aws.String(code)}
	if _, err := e.sts(alice()).GetSessionToken(context.Background(), in); err != nil {
		t.Fatalf("previous step's code: %v", err)
	}
	old, err := e.srv.TOTP(aliceSerial)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(60 * time.Second)
	in.TokenCode = aws.String(old)
	_, err = e.sts(alice()).GetSessionToken(context.Background(), in)
	wantAPIError(t, err, "AccessDenied", 403, "invalid MFA one time pass code")
}

func TestAssumeRole(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	session := e.mfaSession(t)
	out, err := e.sts(session).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleAdmin), RoleSessionName: aws.String("alice-admin")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := *out.AssumedRoleUser.Arn, "arn:aws:sts::222222222222:assumed-role/admin/alice-admin"; got != want {
		t.Errorf("AssumedRoleUser.Arn %s, want %s", got, want)
	}
	if !strings.HasPrefix(*out.AssumedRoleUser.AssumedRoleId, "AROA") || !strings.HasSuffix(*out.AssumedRoleUser.AssumedRoleId, ":alice-admin") {
		t.Errorf("AssumedRoleId %s", *out.AssumedRoleUser.AssumedRoleId)
	}
	if want := e.clock.Now().Add(time.Hour); out.Credentials.Expiration.Sub(want).Abs() > time.Second {
		t.Errorf("expiration %v, want %v (the 1h default)", out.Credentials.Expiration, want)
	}
	admin := aws.Credentials{AccessKeyID: *out.Credentials.AccessKeyId, SecretAccessKey: *out.Credentials.SecretAccessKey, SessionToken: *out.Credentials.SessionToken}
	id, err := e.sts(admin).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *id.Arn != *out.AssumedRoleUser.Arn || *id.Account != acctProd || *id.UserId != *out.AssumedRoleUser.AssumedRoleId {
		t.Errorf("caller %s %s %s", *id.Arn, *id.Account, *id.UserId)
	}

	// Chaining keeps the MFA context: readonly requires MFA and trusts
	// sessions of admin.
	ro := e.assume(t, admin, &sts.AssumeRoleInput{RoleArn: aws.String(roleReadonly), RoleSessionName: aws.String("ro")})
	id, err = e.sts(ro).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:sts::333333333333:assumed-role/readonly/ro"; *id.Arn != want {
		t.Errorf("chained caller %s, want %s", *id.Arn, want)
	}

	// A role with a path: the session ARN has only the role's name.
	dev, err := e.sts(alice()).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleDevPath), RoleSessionName: aws.String("dev")})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:sts::222222222222:assumed-role/dev/dev"; *dev.AssumedRoleUser.Arn != want {
		t.Errorf("role with path: %s, want %s", *dev.AssumedRoleUser.Arn, want)
	}
}

func TestAssumeRoleWithMFAInTheCall(t *testing.T) {
	e := newEnv(t)
	_, err := e.sts(alice()).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(roleAdmin), RoleSessionName: aws.String("s" + "1"),
		SerialNumber: aws.String(aliceSerial), TokenCode: aws.String(e.code(t)),
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAssumeRoleDurations(t *testing.T) {
	e := newEnv(t)
	session := e.mfaSession(t)
	out, err := e.sts(session).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(roleAdmin), RoleSessionName: aws.String("two-hours"), DurationSeconds: aws.Int32(7200)})
	if err != nil {
		t.Fatal(err)
	}
	if want := e.clock.Now().Add(2 * time.Hour); out.Credentials.Expiration.Sub(want).Abs() > time.Second {
		t.Errorf("expiration %v, want %v", out.Credentials.Expiration, want)
	}
	// Role chaining may ask for exactly one hour.
	admin := aws.Credentials{AccessKeyID: *out.Credentials.AccessKeyId, SecretAccessKey: *out.Credentials.SecretAccessKey, SessionToken: *out.Credentials.SessionToken}
	e.assume(t, admin, &sts.AssumeRoleInput{RoleArn: aws.String(roleLong), RoleSessionName: aws.String("chained"), DurationSeconds: aws.Int32(3600)})
}

func TestAssumeRoleRefusals(t *testing.T) {
	type callers struct{ alice, bob, mfaSession, plainSession, admin aws.Credentials }
	tests := []struct {
		name   string
		as     func(c callers) aws.Credentials
		in     sts.AssumeRoleInput
		code   string
		status int
		msg    string
	}{
		{"no MFA from long-term keys", func(c callers) aws.Credentials { return c.alice },
			sts.AssumeRoleInput{RoleArn: aws.String(roleAdmin), RoleSessionName: aws.String("s1")},
			"AccessDenied", 403, "User: arn:aws:iam::111111111111:user/alice is not authorized to perform: sts:AssumeRole on resource: " + roleAdmin},
		{"no MFA from a session made without it", func(c callers) aws.Credentials { return c.plainSession },
			sts.AssumeRoleInput{RoleArn: aws.String(roleAdmin), RoleSessionName: aws.String("s1")},
			"AccessDenied", 403, "not authorized"},
		{"trust names another user", func(c callers) aws.Credentials { return c.alice },
			sts.AssumeRoleInput{RoleArn: aws.String(roleBobOnly), RoleSessionName: aws.String("s1")},
			"AccessDenied", 403, "not authorized"},
		{"trust names no one", func(c callers) aws.Credentials { return c.bob },
			sts.AssumeRoleInput{RoleArn: aws.String(roleNobody), RoleSessionName: aws.String("s1")},
			"AccessDenied", 403, "not authorized"},
		{"no such role", func(c callers) aws.Credentials { return c.bob },
			sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::222222222222:role/missing"), RoleSessionName: aws.String("s1")},
			"AccessDenied", 403, "not authorized"},
		{"role trusts admin sessions, not users", func(c callers) aws.Credentials { return c.mfaSession },
			sts.AssumeRoleInput{RoleArn: aws.String(roleReadonly), RoleSessionName: aws.String("s1")},
			"AccessDenied", 403, "not authorized"},
		{"external id missing", func(c callers) aws.Credentials { return c.bob },
			sts.AssumeRoleInput{RoleArn: aws.String(roleExternal), RoleSessionName: aws.String("s1")},
			"AccessDenied", 403, "not authorized"},
		{"external id wrong", func(c callers) aws.Credentials { return c.bob },
			sts.AssumeRoleInput{RoleArn: aws.String(roleExternal), RoleSessionName: aws.String("s1"), ExternalId: aws.String("ext-0000")},
			"AccessDenied", 403, "not authorized"},
		{"session name is not the user name", func(c callers) aws.Credentials { return c.bob },
			sts.AssumeRoleInput{RoleArn: aws.String(roleUsername), RoleSessionName: aws.String("alice")},
			"AccessDenied", 403, "not authorized"},
		{"username session name from a role session", func(c callers) aws.Credentials { return c.admin },
			sts.AssumeRoleInput{RoleArn: aws.String(roleUsername), RoleSessionName: aws.String("alice")},
			"AccessDenied", 403, "not authorized"},
		{"session name too short", func(c callers) aws.Credentials { return c.bob },
			sts.AssumeRoleInput{RoleArn: aws.String(roleLong), RoleSessionName: aws.String("a")},
			"ValidationError", 400, "roleSessionName"},
		{"session name too long", func(c callers) aws.Credentials { return c.bob },
			sts.AssumeRoleInput{RoleArn: aws.String(roleLong), RoleSessionName: aws.String(strings.Repeat("a", 65))},
			"ValidationError", 400, "less than or equal to 64"},
		{"session name with a space", func(c callers) aws.Credentials { return c.bob },
			sts.AssumeRoleInput{RoleArn: aws.String(roleLong), RoleSessionName: aws.String("bob smith")},
			"ValidationError", 400, `[\w+=,.@-]*`},
		{"duration below 900", func(c callers) aws.Credentials { return c.bob },
			sts.AssumeRoleInput{RoleArn: aws.String(roleLong), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(899)},
			"ValidationError", 400, "greater than or equal to 900"},
		{"duration above the default role maximum", func(c callers) aws.Credentials { return c.bob },
			sts.AssumeRoleInput{RoleArn: aws.String(roleExternal), RoleSessionName: aws.String("s1"), ExternalId: aws.String("ext-4711"), DurationSeconds: aws.Int32(3601)},
			"ValidationError", 400, "MaxSessionDuration"},
		{"duration above the role's maximum", func(c callers) aws.Credentials { return c.mfaSession },
			sts.AssumeRoleInput{RoleArn: aws.String(roleAdmin), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(7201)},
			"ValidationError", 400, "MaxSessionDuration"},
		{"role chaining above one hour", func(c callers) aws.Credentials { return c.admin },
			sts.AssumeRoleInput{RoleArn: aws.String(roleLong), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(3601)},
			"ValidationError", 400, "1 hour session limit for roles assumed by role chaining"},
		{"malformed MFA code in the call", func(c callers) aws.Credentials { return c.alice },
			sts.AssumeRoleInput{RoleArn: aws.String(roleAdmin), RoleSessionName: aws.String("s1"), SerialNumber: aws.String(aliceSerial), TokenCode: aws.String("wrong!")},
			"ValidationError", 400, "tokenCode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			session := e.mfaSession(t)
			plain, err := e.sts(alice()).GetSessionToken(context.Background(), &sts.GetSessionTokenInput{})
			if err != nil {
				t.Fatal(err)
			}
			c := callers{
				alice: alice(), bob: bob(), mfaSession: session,
				plainSession: aws.Credentials{AccessKeyID: *plain.Credentials.AccessKeyId, SecretAccessKey: *plain.Credentials.SecretAccessKey, SessionToken: *plain.Credentials.SessionToken},
				admin:        e.assume(t, session, &sts.AssumeRoleInput{RoleArn: aws.String(roleAdmin), RoleSessionName: aws.String("alice")}),
			}
			in := tt.in
			_, err = e.sts(tt.as(c)).AssumeRole(context.Background(), &in)
			wantAPIError(t, err, tt.code, tt.status, tt.msg)
		})
	}
}

func TestAssumeRoleTrustRulesThatAdmit(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, tt := range []struct {
		name  string
		creds aws.Credentials
		in    sts.AssumeRoleInput
	}{
		{"external id", bob(), sts.AssumeRoleInput{RoleArn: aws.String(roleExternal), RoleSessionName: aws.String("s1"), ExternalId: aws.String("ext-4711")}},
		{"session name is the user name", bob(), sts.AssumeRoleInput{RoleArn: aws.String(roleUsername), RoleSessionName: aws.String("bob")}},
		{"trust names the user", bob(), sts.AssumeRoleInput{RoleArn: aws.String(roleBobOnly), RoleSessionName: aws.String("s1")}},
		{"session name at the limits", bob(), sts.AssumeRoleInput{RoleArn: aws.String(roleLong), RoleSessionName: aws.String("b_+=,.@-" + strings.Repeat("x", 56))}},
	} {
		if _, err := e.sts(tt.creds).AssumeRole(ctx, &tt.in); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

func TestAssumeRoleWrongMFACodeInTheCall(t *testing.T) {
	e := newEnv(t)
	_, err := e.sts(alice()).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(roleAdmin), RoleSessionName: aws.String("s1"),
		SerialNumber: aws.String(aliceSerial), TokenCode: aws.String(wrongCode(e, t)),
	})
	wantAPIError(t, err, "AccessDenied", 403, "invalid MFA one time pass code")
}

func TestTemporaryCredentialRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.srv.SetFaults(awsemu.Faults{CredentialLifetimeSeconds: 2}); err != nil {
		t.Fatal(err)
	}
	out, err := e.sts(bob()).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	if want := e.clock.Now().Add(2 * time.Second); c.Expiration.Sub(want).Abs() > time.Second {
		t.Errorf("expiration %v, want %v (the lifetime override)", c.Expiration, want)
	}
	good := aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken}
	if _, err := e.sts(good).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	noToken, wrongToken := good, good
	noToken.SessionToken = ""
	// Change the last character, to something it is not (a fixed "x"
	// would leave one token in 64 unchanged).
	last, other := good.SessionToken[len(good.SessionToken)-1], "x"
	if last == 'x' {
		other = "y"
	}
	wrongToken.SessionToken = good.SessionToken[:len(good.SessionToken)-1] + other
	_, err = e.sts(noToken).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", 403, "")
	_, err = e.sts(wrongToken).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", 403, "")

	e.clock.Advance(3 * time.Second)
	_, err = e.sts(good).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "ExpiredToken", 400, "The security token included in the request is expired")
}

func TestAssumeRoleWithWebIdentity(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	token, err := e.world.MintToken(issuer, awsemu.TokenClaims{Subject: "repo:kagi-cli/kagi:ref:refs/heads/main", IssuedAt: e.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	// No credentials at all: the call is unsigned.
	out, err := e.sts(aws.Credentials{}).AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(roleCI), RoleSessionName: aws.String("gha"), WebIdentityToken: aws.String(token)})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:sts::222222222222:assumed-role/ci/gha"; *out.AssumedRoleUser.Arn != want {
		t.Errorf("Arn %s, want %s", *out.AssumedRoleUser.Arn, want)
	}
	if *out.SubjectFromWebIdentityToken != "repo:kagi-cli/kagi:ref:refs/heads/main" || *out.Audience != audience || *out.Provider != issuer {
		t.Errorf("subject %s audience %s provider %s", *out.SubjectFromWebIdentityToken, *out.Audience, *out.Provider)
	}
	ci := aws.Credentials{AccessKeyID: *out.Credentials.AccessKeyId, SecretAccessKey: *out.Credentials.SecretAccessKey, SessionToken: *out.Credentials.SessionToken}
	id, err := e.sts(ci).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *id.Arn != *out.AssumedRoleUser.Arn {
		t.Errorf("caller %s", *id.Arn)
	}
}

func TestAssumeRoleWithWebIdentityRefusals(t *testing.T) {
	otherPriv, _, err := awsemu.NewOIDCKey()
	if err != nil {
		t.Fatal(err)
	}
	const sub = "repo:kagi-cli/kagi:ref:refs/heads/main"
	tests := []struct {
		name   string
		token  func(e *env) (string, error)
		role   string
		code   string
		status int
		msg    string
	}{
		{"signed with another key", func(e *env) (string, error) {
			w := testWorld(t)
			w.OIDC[0].PrivateKeyPEM = otherPriv
			return w.MintToken(issuer, awsemu.TokenClaims{Subject: sub, IssuedAt: e.clock.Now()})
		}, roleCI, "InvalidIdentityToken", 400, "could not be validated"},
		{"unknown issuer", func(e *env) (string, error) {
			w := testWorld(t)
			w.OIDC[0].Issuer = "https://elsewhere.example"
			return w.MintToken("https://elsewhere.example", awsemu.TokenClaims{Subject: sub, IssuedAt: e.clock.Now()})
		}, roleCI, "InvalidIdentityToken", 400, "No OpenIDConnect provider found in your account for https://elsewhere.example"},
		{"wrong audience", func(e *env) (string, error) {
			return e.world.MintToken(issuer, awsemu.TokenClaims{Subject: sub, Audience: "someone-else", IssuedAt: e.clock.Now()})
		}, roleCI, "InvalidIdentityToken", 400, "Incorrect token audience"},
		{"expired", func(e *env) (string, error) {
			return e.world.MintToken(issuer, awsemu.TokenClaims{Subject: sub, IssuedAt: e.clock.Now().Add(-2 * time.Hour)})
		}, roleCI, "ExpiredTokenException", 400, "Token expired"},
		{"not a JWT", func(e *env) (string, error) { return "not.a.jwt", nil },
			roleCI, "InvalidIdentityToken", 400, ""},
		{"subject outside the trust's globs", func(e *env) (string, error) {
			return e.world.MintToken(issuer, awsemu.TokenClaims{Subject: "repo:someone/else:ref:refs/heads/main", IssuedAt: e.clock.Now()})
		}, roleCI, "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity"},
		{"role that does not trust the issuer", func(e *env) (string, error) {
			return e.world.MintToken(issuer, awsemu.TokenClaims{Subject: sub, IssuedAt: e.clock.Now()})
		}, roleLong, "AccessDenied", 403, "Not authorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			token, err := tt.token(e)
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.sts(aws.Credentials{}).AssumeRoleWithWebIdentity(context.Background(), &sts.AssumeRoleWithWebIdentityInput{
				RoleArn: aws.String(tt.role), RoleSessionName: aws.String("gha"), WebIdentityToken: aws.String(token)})
			wantAPIError(t, err, tt.code, tt.status, tt.msg)
		})
	}
}

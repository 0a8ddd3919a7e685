package creds

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/kagi-cli/kagi/internal/config"
)

// call runs one AWS operation, logs it and turns its error into one of
// this package's (see translate).
func (r *run) call(ctx context.Context, action, subject, profile string, op func(ctx context.Context) error) error {
	start := time.Now()
	err := op(ctx)
	r.logCall(ctx, action, subject, start, err)
	return r.translate(ctx, action, subject, profile, err)
}

func (r *run) logCall(ctx context.Context, action, subject string, start time.Time, err error) {
	took := time.Since(start).Round(time.Millisecond)
	endpoint := r.clients(ctx).endpoint
	if err == nil {
		r.log.Printf("sts: %s %s at %s: ok (%s)", action, subject, endpoint, took)
		return
	}
	code, msg, _ := apiCode(err)
	if code == "" {
		msg = err.Error()
	}
	r.log.Printf("sts: %s %s at %s: failed after %s: %s %s", action, subject, endpoint, took, code, msg)
}

// translate makes err a single line naming the action, the role and the
// endpoint: UnavailableError when AWS could not be reached or kept
// throttling, APIError when it refused.
func (r *run) translate(ctx context.Context, action, subject, profile string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s %s: %w", action, subject, ctx.Err())
	}
	endpoint := r.clients(ctx).endpoint
	if reason, ok := unavailable(err); ok {
		return &UnavailableError{Action: action, Endpoint: endpoint, Attempts: attempts(err), Reason: reason, Err: err}
	}
	code, msg, isAPI := apiCode(err)
	if !isAPI {
		return fmt.Errorf("%s %s at %s: %w", action, subject, endpoint, err)
	}
	ae := &APIError{Action: action, Role: subject, Profile: profile, Code: code, Message: msg, Err: err}
	if r.chain.Source.Kind == config.KeyringKeys {
		ae.Keys = r.chain.Source.Profile
	}
	return ae
}

// sdkErr keeps the SDK's error as it is when it is one withMFA must
// recognise (the MFA code was refused), and translates it otherwise.
func (r *run) sdkErr(ctx context.Context, action, subject, profile string, err error) error {
	if err == nil || mfaCodeRejected(err) || mfaDeviceUnknown(err) {
		return err
	}
	return r.translate(ctx, action, subject, profile, err)
}

func (r *run) getSessionToken(ctx context.Context, src Credentials, m *config.MFASession) (Credentials, error) {
	in := &sts.GetSessionTokenInput{}
	if m.Duration > 0 {
		in.DurationSeconds = aws.Int32(int32(m.Duration / time.Second))
	}
	var out *sts.GetSessionTokenOutput
	if m.Serial == "" {
		// No MFA device: the session only keeps the long-term keys out of
		// the child's hands, so no code is asked for.
		err := r.call(ctx, "sts:GetSessionToken", "without MFA for "+m.Duration.String(), r.sessionProfile(), func(ctx context.Context) error {
			var err error
			out, err = r.clients(ctx).sts.GetSessionToken(ctx, in, func(o *sts.Options) { o.Credentials = staticCreds(src) })
			return err
		})
		if err != nil {
			return Credentials{}, r.sourceRefused(err)
		}
		c := fromSTS(out.Credentials.AccessKeyId, out.Credentials.SecretAccessKey, out.Credentials.SessionToken, out.Credentials.Expiration)
		r.log.Secret(c.SecretAccessKey, c.SessionToken)
		return c, nil
	}
	in.SerialNumber = aws.String(m.Serial)
	err := r.withMFA(ctx, "sts:GetSessionToken", m.Serial, m.Process, m.ProcessProfile, r.sessionProfile(), func(ctx context.Context, code string) error {
		in.TokenCode = aws.String(code)
		start := time.Now()
		var err error
		out, err = r.clients(ctx).sts.GetSessionToken(ctx, in, func(o *sts.Options) { o.Credentials = staticCreds(src) })
		r.logCall(ctx, "sts:GetSessionToken", fmt.Sprintf("%s for %s", m.Serial, m.Duration), start, err)
		return r.sdkErr(ctx, "sts:GetSessionToken", m.Serial, r.sessionProfile(), err)
	})
	if err != nil {
		return Credentials{}, r.sourceRefused(err)
	}
	c := fromSTS(out.Credentials.AccessKeyId, out.Credentials.SecretAccessKey, out.Credentials.SessionToken, out.Credentials.Expiration)
	r.log.Secret(c.SecretAccessKey, c.SessionToken)
	if err := r.checkArrival(ctx, "sts:GetSessionToken", m.Serial, c, out.ResultMetadata); err != nil {
		return Credentials{}, err
	}
	return c, nil
}

// assumeRole assumes role hop i with the caller's credentials.
func (r *run) assumeRole(ctx context.Context, i int, caller Credentials) (Credentials, error) {
	h := r.chain.Roles[i]
	name, err := r.sessionName(ctx, h, caller)
	if err != nil {
		return Credentials{}, err
	}
	in := &sts.AssumeRoleInput{RoleArn: aws.String(h.RoleARN), RoleSessionName: aws.String(name)}
	if d := hopDuration(h); d > 0 {
		in.DurationSeconds = aws.Int32(int32(d / time.Second))
	}
	if h.ExternalID != "" {
		in.ExternalId = aws.String(h.ExternalID)
	}
	if h.SourceIdentity != "" {
		in.SourceIdentity = aws.String(h.SourceIdentity)
	}
	for k, v := range h.Tags {
		in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	in.TransitiveTagKeys = append(in.TransitiveTagKeys, h.TransitiveTags...)
	subject := fmt.Sprintf("%s as %q", h.RoleARN, name)
	do := func(ctx context.Context) (*sts.AssumeRoleOutput, error) {
		start := time.Now()
		out, err := r.clients(ctx).sts.AssumeRole(ctx, in, func(o *sts.Options) { o.Credentials = staticCreds(caller) })
		r.logCall(ctx, "sts:AssumeRole", subject+" for "+durationText(hopDuration(h)), start, err)
		return out, err
	}
	var out *sts.AssumeRoleOutput
	if h.MFASerial != "" {
		in.SerialNumber = aws.String(h.MFASerial)
		err = r.withMFA(ctx, "sts:AssumeRole", h.MFASerial, h.MFAProcess, h.MFAProcessProfile, h.Profile, func(ctx context.Context, code string) error {
			in.TokenCode = aws.String(code)
			var err error
			out, err = do(ctx)
			return r.sdkErr(ctx, "sts:AssumeRole", subject, h.Profile, err)
		})
	} else {
		out, err = do(ctx)
		if err != nil && accessDenied(err) && !r.hasMFA() && caller.SessionToken == "" {
			if hint := r.mfaHint(ctx, h, caller, err); hint != nil {
				return Credentials{}, hint
			}
		}
		err = r.sdkErr(ctx, "sts:AssumeRole", subject, h.Profile, err)
	}
	if err != nil {
		if i == 0 && r.chain.MFA == nil {
			err = r.sourceRefused(err)
		}
		return Credentials{}, err
	}
	c := fromSTS(out.Credentials.AccessKeyId, out.Credentials.SecretAccessKey, out.Credentials.SessionToken, out.Credentials.Expiration)
	r.log.Secret(c.SecretAccessKey, c.SessionToken)
	if err := r.checkArrival(ctx, "sts:AssumeRole", h.RoleARN, c, out.ResultMetadata); err != nil {
		return Credentials{}, err
	}
	return c, nil
}

func durationText(d time.Duration) string {
	if d == 0 {
		return "STS's default duration"
	}
	return d.String()
}

// hasMFA reports whether the chain uses an MFA device anywhere.
func (r *run) hasMFA() bool {
	if r.chain.MFA != nil && r.chain.MFA.Serial != "" {
		return true
	}
	for _, h := range r.chain.Roles {
		if h.MFASerial != "" {
			return true
		}
	}
	return false
}

// mfaHint looks for the caller's MFA device after AssumeRole was denied to
// a chain without mfa_serial: the usual cause is a trust policy requiring
// aws:MultiFactorAuthPresent. Any failure of the lookup yields nil and the
// original error stands.
func (r *run) mfaHint(ctx context.Context, h config.RoleHop, caller Credentials, denied error) error {
	start := time.Now()
	serials, err := r.clients(ctx).listMFADevices(ctx, iamEndpoint(r.deps.Env, r.chain), caller)
	if err != nil {
		r.log.Printf("iam: iam:ListMFADevices failed (%s): %v", time.Since(start).Round(time.Millisecond), err)
		return nil
	}
	r.log.Printf("iam: iam:ListMFADevices: %d devices (%s)", len(serials), time.Since(start).Round(time.Millisecond))
	if len(serials) == 0 {
		return nil
	}
	profile := r.chain.Source.Profile
	if profile == "" {
		profile = h.Profile
	}
	code, msg, _ := apiCode(denied)
	return &MFASerialMissingError{Profile: profile, RoleARN: h.RoleARN, Serial: serials[0],
		Err: &APIError{Action: "sts:AssumeRole", Role: h.RoleARN, Code: code, Message: msg, Err: denied}}
}

// sourceRefused turns "the calling credentials have expired" into
// ExpiredSourceError when those credentials are the source's own.
func (r *run) sourceRefused(err error) error {
	if !expiredToken(err) {
		return err
	}
	return &ExpiredSourceError{Profile: r.chain.Source.Profile, Source: r.chain.Source.Kind.String(), Err: err}
}

// sessionName is the RoleSessionName for h: its own, the caller's IAM user
// name for ${aws:username}, else kagi and the time, which STS accepts and
// CloudTrail shows as kagi's.
func (r *run) sessionName(ctx context.Context, h config.RoleHop, caller Credentials) (string, error) {
	switch {
	case h.SessionNameIsUsername:
		return r.username(ctx, caller, h)
	case h.SessionName != "":
		return h.SessionName, nil
	}
	return "kagi-" + strconv.FormatInt(r.now().Unix(), 10), nil
}

// username is the caller's IAM user name, as ${aws:username} is in policies,
// from GetCallerIdentity: the last element of a user ARN
// (arn:aws:iam::ACCT:user/PATH/NAME), the session name of an assumed role.
func (r *run) username(ctx context.Context, caller Credentials, h config.RoleHop) (string, error) {
	var out *sts.GetCallerIdentityOutput
	err := r.call(ctx, "sts:GetCallerIdentity", "for the session name of "+h.RoleARN, h.Profile, func(ctx context.Context) error {
		var err error
		out, err = r.clients(ctx).sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, func(o *sts.Options) { o.Credentials = staticCreds(caller) })
		return err
	})
	if err != nil {
		return "", r.sourceRefused(err)
	}
	name, ok := usernameOf(aws.ToString(out.Arn))
	if !ok {
		return "", fmt.Errorf("role %s: the session name is the caller's IAM user name, but the caller %s is not an IAM user", h.RoleARN, aws.ToString(out.Arn))
	}
	r.log.Printf("sts: session name %q from the caller %s", name, aws.ToString(out.Arn))
	return name, nil
}

// usernameOf returns the name in an IAM user or STS assumed-role or
// federated-user ARN.
func usernameOf(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 {
		return "", false
	}
	res := parts[5]
	switch {
	case strings.HasPrefix(res, "user/"), strings.HasPrefix(res, "assumed-role/"), strings.HasPrefix(res, "federated-user/"):
		name := res[strings.LastIndexByte(res, '/')+1:]
		return name, name != ""
	}
	return "", false
}

// assumeRoleWithWebIdentity exchanges the source's token for role h.
func (r *run) assumeRoleWithWebIdentity(ctx context.Context, h config.RoleHop) (Credentials, error) {
	token, err := r.webIdentityToken(ctx)
	if err != nil {
		return Credentials{}, err
	}
	if h.SessionNameIsUsername {
		return Credentials{}, fmt.Errorf("role %s: a web identity has no IAM user name for role_session_name = %s", h.RoleARN, config.UsernameSessionName)
	}
	name, _ := r.sessionName(ctx, h, Credentials{})
	in := &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(h.RoleARN), RoleSessionName: aws.String(name), WebIdentityToken: aws.String(token)}
	if d := hopDuration(h); d > 0 {
		in.DurationSeconds = aws.Int32(int32(d / time.Second))
	}
	var out *sts.AssumeRoleWithWebIdentityOutput
	err = r.call(ctx, "sts:AssumeRoleWithWebIdentity", fmt.Sprintf("%s as %q", h.RoleARN, name), h.Profile, func(ctx context.Context) error {
		var err error
		// The call is unsigned: the token is the credential.
		out, err = r.clients(ctx).sts.AssumeRoleWithWebIdentity(ctx, in, func(o *sts.Options) { o.Credentials = aws.AnonymousCredentials{} })
		return err
	})
	if err != nil {
		return Credentials{}, err
	}
	c := fromSTS(out.Credentials.AccessKeyId, out.Credentials.SecretAccessKey, out.Credentials.SessionToken, out.Credentials.Expiration)
	r.log.Secret(c.SecretAccessKey, c.SessionToken)
	if err := r.checkArrival(ctx, "sts:AssumeRoleWithWebIdentity", h.RoleARN, c, out.ResultMetadata); err != nil {
		return Credentials{}, err
	}
	return c, nil
}

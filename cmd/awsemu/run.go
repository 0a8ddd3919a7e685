package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/kagi-cli/kagi/internal/awsemu"
)

const usage = `usage: awsemu serve --world FILE [--addr 127.0.0.1:0]
       awsemu totp --world FILE --serial ARN

serve   serve STS, IAM and (when the world has "sso") IAM Identity Center on a
        loopback address until interrupted; the first line on stdout is
        "listening on http://HOST:PORT"
totp    print the current code of the MFA device ARN

The world file (JSON; every key optional):
  users           IAM users: account, name, access_keys [{id, secret}], mfa {serial, totp_secret}
  roles           roles: arn, trust {principals, require_mfa, external_id, session_name,
                  subjects}, max_session_duration
  oidc            web identity issuers: issuer, audience, public_key_pem / private_key_pem
  github_actions  a GitHub Actions ID token endpoint: issuer, request_token, subject
  sso             IAM Identity Center: start_url, region, users [{name, assignments
                  [{account, account_name, account_email, role}]}], auto_allow (the
                  pages click their own Allow button, for a headless browser)
  faults          latency_ms, throttle_tps, error_rate, credential_lifetime_seconds,
                  clock_offset_seconds, sso_access_token_seconds,
                  sso_refresh_token_seconds, actions

Identity Center, on the same address (point AWS_ENDPOINT_URL at it):
  OIDC    POST /client/register, /device_authorization, /token; GET /authorize
          (the sign-in page of the authorization-code flow) and /device (the
          device verification page), each with an Allow button
  portal  GET /federation/credentials, /assignment/accounts, /assignment/roles;
          POST /logout
  Role credentials act as arn:aws:sts::ACCOUNT:assumed-role/AWSReservedSSO_ROLE_HEX/USER;
  a role trusting the account's root (or that role's ARN, under
  role/aws-reserved/sso.amazonaws.com/[REGION/], the region when not us-east-1)
  can be assumed with them.

Control endpoints (tests): GET /_emu/stats, /_emu/requests, /_emu/faults,
/_emu/totp?serial=ARN; POST /_emu/faults, /_emu/revoke, and
POST /_emu/sso/token {"user": NAME, "expires_in": SECONDS, "refresh": BOOL,
"refresh_expires_in": SECONDS} (a portal token without a browser; negative
durations: expired that long ago) and /_emu/sso/approve {"user_code": CODE}
(a device authorization approved without a browser).

Exit status: 0 ok, 1 error, 2 usage error.
`

// errUsage marks a command line that cannot be run; the usage is printed.
var errUsage = errors.New("usage")

// run is awsemu with its arguments and output: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprint(stderr, usage)
		return 2
	default:
		fmt.Fprintf(stderr, "awsemu: error: %v\n", err)
		return 1
	}
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	fs := flag.NewFlagSet("awsemu "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // run prints the usage once, to the right stream
	world := fs.String("world", "", "world `FILE` (JSON)")
	switch args[0] {
	case "serve":
		addr := fs.String("addr", "127.0.0.1:0", "loopback `ADDRESS` to listen on")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *world == "" {
			return errUsage
		}
		return serve(ctx, *world, *addr, stdout)
	case "totp":
		serial := fs.String("serial", "", "MFA device `ARN`")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		if *world == "" || *serial == "" {
			return errUsage
		}
		return totp(*world, *serial, stdout)
	case "-h", "-help", "--help", "help":
		return flag.ErrHelp
	}
	return errUsage
}

// parse parses flags; a bad flag or a stray argument is a usage error (the
// flag package has already said which).
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return nil
}

func serve(ctx context.Context, worldFile, addr string, stdout io.Writer) error {
	w, err := awsemu.LoadWorld(worldFile)
	if err != nil {
		return err
	}
	url, stop, err := awsemu.New(w).Start(ctx, addr)
	if err != nil {
		return err
	}
	defer stop()
	// os.Stdout is unbuffered, so the line is out before anyone waits on it.
	if _, err := fmt.Fprintf(stdout, "listening on %s\n", url); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

func totp(worldFile, serial string, stdout io.Writer) error {
	w, err := awsemu.LoadWorld(worldFile)
	if err != nil {
		return err
	}
	code, err := awsemu.New(w).TOTP(serial)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, code)
	return err
}

package cli

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/creds"
	"github.com/kagi-cli/kagi/internal/server"
	"github.com/kagi-cli/kagi/internal/termtext"
)

type serverOptions struct {
	Profile string
	EC2     bool
	Creds   credFlags
}

func (a *app) serverCommand() *cobra.Command {
	var opts serverOptions
	cmd := &cobra.Command{
		Use:   "server [PROFILE] [flags]",
		Short: "Serve refreshing credentials on a loopback endpoint, in the foreground",
		Long: `Serve the profile's temporary credentials on 127.0.0.1 (a port the system
picks) until interrupted, for IDEs and long-lived shells: SDKs fetch them from
there and fetch them again before they expire, and kagi refreshes the role from
the cached MFA session; when the MFA session itself ends, kagi asks for a new
code (mfa_process, KAGI_PROMPT or the terminal kagi runs in).

kagi prints the variables to set, as shell commands on standard output:

  export AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:PORT/
  export AWS_CONTAINER_AUTHORIZATION_TOKEN=...

The token is random and new each run; the endpoint refuses requests without
it, from off this machine's loopback, with a Host other than 127.0.0.1:PORT,
and any method but GET. Keys in the environment (AWS_ACCESS_KEY_ID...) and
AWS_PROFILE beat the endpoint in every SDK: an unset line printed after the
exports clears them.

With --ec2 kagi serves the EC2 instance metadata API instead (IMDSv2 only:
a token from PUT /latest/api/token), for tools that know no other way, and
prints AWS_EC2_METADATA_SERVICE_ENDPOINT. It has no token of its own: any
program of any user on this machine that can reach the port can have the
credentials, as on an EC2 instance. Prefer the container endpoint.

Exit codes: 0 when stopped by SIGINT or SIGTERM after serving; 1 when kagi
could not get credentials or listen; 2 for a usage error.`,
		Example: `  kagi server prod          # copy the export lines into the IDE's or shell's environment
  kagi server --ec2 prod    # for tools that only know the instance metadata service`,
		Args:              profileArg(""),
		ValidArgsFunction: a.completeProfiles,
		RunE: run(func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Profile = args[0]
			}
			return dispatch(a, opts, func(o serverOptions) error { return a.runServer(cmd.Context(), o) })
		}),
	}
	opts.Creds.register(cmd)
	cmd.Flags().BoolVar(&opts.EC2, "ec2", false, "serve the EC2 instance metadata API (IMDSv2) instead of the container endpoint")
	return cmd
}

// runServer serves until ctx ends (SIGINT, SIGTERM).
func (a *app) runServer(ctx context.Context, opts serverOptions) error {
	cs, err := a.startServer(ctx, ctx, opts.Profile, opts.Creds, opts.EC2)
	if err != nil {
		return err
	}
	defer cs.ep.Close()
	var lines []string
	if opts.EC2 {
		lines = []string{
			// No trailing slash: the JavaScript SDK v2 appends
			// "/latest/api/token" to it as it is.
			"export AWS_EC2_METADATA_SERVICE_ENDPOINT=" + strings.TrimSuffix(cs.ep.URL(), "/"),
			"unset AWS_EC2_METADATA_DISABLED " + shadowingVars,
		}
	} else {
		lines = []string{
			"export AWS_CONTAINER_CREDENTIALS_FULL_URI=" + cs.ep.URL(),
			"export AWS_CONTAINER_AUTHORIZATION_TOKEN=" + cs.token,
			"unset " + shadowingVars,
		}
	}
	if r := cs.chain.Region; r != "" {
		lines = append(lines, "export AWS_REGION="+r+" AWS_DEFAULT_REGION="+r)
	}
	// os.Stdout is unbuffered: a script reading the first line has it now.
	fmt.Fprintln(a.io.Out, strings.Join(lines, "\n"))
	fmt.Fprintf(a.io.Err, "kagi: serving credentials of %s on %s until interrupted\n", profileText(cs.chain.Profile), cs.ep.URL())
	select {
	case <-ctx.Done():
	case <-cs.ep.Done():
	}
	cs.ep.Close()
	fmt.Fprintln(a.io.Err, "kagi: credential endpoint stopped")
	return nil
}

// shadowingVars are what beats a credential endpoint in SDKs' chains: keys
// in the environment, a profile, the other container URI, and a token file
// (read instead of AWS_CONTAINER_AUTHORIZATION_TOKEN when set).
const shadowingVars = "AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_SECURITY_TOKEN " +
	"AWS_CREDENTIAL_EXPIRATION AWS_PROFILE AWS_DEFAULT_PROFILE AWS_CONTAINER_CREDENTIALS_RELATIVE_URI " +
	"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"

func profileText(p string) string {
	if p == "" {
		return "the environment"
	}
	return fmt.Sprintf("profile %q", p)
}

// credServer is a running credential endpoint.
type credServer struct {
	ep    *server.Endpoint
	token string // the ECS endpoint's; "" for IMDS
	chain *config.Chain
}

// startServer gets credentials once, before serving, so that an MFA code
// is asked for while the person is watching and a bad profile fails before
// anything starts; then it serves them from a loopback endpoint that
// refreshes them through the same chain until ctx ends.
//
// ctx bounds getting the first credentials; serve bounds serving and the
// refreshes (they differ for exec --server, which serves until its command
// exits, whatever signals arrive).
func (a *app) startServer(ctx, serve context.Context, profile string, f credFlags, ec2 bool) (*credServer, error) {
	got, err := a.retrieve(ctx, profile, f)
	if err != nil {
		return nil, err
	}
	if !got.Credentials.Expires() {
		hint := "configure mfa_serial or role_arn for the profile, or run without --server"
		if f.NoSession && got.Chain.Source.LongTerm() {
			hint = "drop --no-session: kagi then serves a session made from the keys"
		}
		return nil, &hintError{
			err:  fmt.Errorf("%s yields long-term keys: a credential endpoint serves only temporary credentials", profileText(got.Chain.Profile)),
			hint: hint,
		}
	}
	// The code given with --mfa-token or KAGI_MFA_TOKEN has been spent: when
	// the MFA session ends, a new one must come from mfa_process, KAGI_PROMPT
	// or the terminal. Replacing a.io (not changing what it points to) keeps
	// the caller's IO as it was.
	f.MFAToken = ""
	later := *a.io
	lookup := a.io.LookupEnv
	later.LookupEnv = func(name string) (string, bool) {
		if name == "KAGI_MFA_TOKEN" {
			return "", false
		}
		return lookup(name)
	}
	a.io = &later

	log := a.log()
	refresher := server.NewRefresher(serve, func(ctx context.Context) (creds.Credentials, error) {
		got, err := a.retrieve(ctx, profile, f)
		if err != nil {
			return creds.Credentials{}, err
		}
		log.Printf("server: credentials of %s now expire %s", profileText(got.Chain.Profile), expiryText(got.Credentials.Expiration))
		return got.Credentials, nil
	}, server.RefresherOptions{
		Now: a.io.Now,
		OnError: func(err error) {
			fmt.Fprintf(a.io.Err, "kagi: error: refreshing the served credentials of %s: %s\n", profileText(got.Chain.Profile), termtext.Lines(err.Error()))
		},
	})
	refresher.Seed(got.Credentials)

	cs := &credServer{chain: got.Chain}
	var handler func(host string) http.Handler
	if ec2 {
		handler = func(host string) http.Handler {
			return server.NewIMDS(host, refresher, server.IMDSOptions{Role: imdsRoleName(got.Chain), Region: got.Chain.Region, Now: a.io.Now, Log: log})
		}
	} else {
		cs.token = server.NewToken()
		handler = func(host string) http.Handler { return server.NewECS(host, cs.token, refresher, log) }
	}
	cs.ep, err = server.Start(serve, handler)
	if err != nil {
		return nil, err
	}
	log.Printf("server: serving %s on %s", profileText(got.Chain.Profile), cs.ep.URL())
	return cs, nil
}

// imdsRoleName is the name listed under iam/security-credentials/: the
// final role's name, as on an instance with that role.
func imdsRoleName(c *config.Chain) string {
	if len(c.Roles) == 0 {
		return "kagi"
	}
	arn := c.Roles[len(c.Roles)-1].RoleARN
	return arn[strings.LastIndex(arn, "/")+1:]
}

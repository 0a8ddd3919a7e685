package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kagi-cli/kagi/internal/awsemu"
)

// TestExecManyReadsTheConfigOnceAndSharesTheMFASession: exec --profiles
// reads the config once for all its runs (not once per profile), and gets
// the MFA session the roles share before any run starts, so no run begins
// with a cache miss of its role while the session is still to be had, and
// none waits on its lock; the runs share their connections to STS. A
// profile that does not resolve is a failed row; the others run.
func TestExecManyReadsTheConfigOnceAndSharesTheMFASession(t *testing.T) {
	const n = 4
	w := newManyWorld(t, n)
	srv, env, conns := w.srv, w.env, w.conns

	code, err := srv.FreshTOTP(manySerial)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tio, out, errOut := testIO(env)
	// The child is this test binary running no test: it exits 0 anywhere.
	exit := Main(context.Background(), []string{"exec", "--debug", "--profiles", "acct-*", "--parallel", "2", "--mfa-token", code, "--json",
		"--", self, "-test.run=^$"}, tio)
	stderr := errOut.String()
	if exit != ExitError {
		t.Fatalf("exit %d, want 1 (the broken profile)\n%s", exit, stderr)
	}
	var results []struct {
		Profile  string `json:"profile"`
		ExitCode int    `json:"exit_code"`
		Error    string `json:"error"`
	}
	if err := json.Unmarshal(out.Bytes(), &results); err != nil {
		t.Fatalf("summary: %v\n%s", err, out)
	}
	for _, r := range results {
		switch {
		case r.Profile == "acct-broken":
			if r.ExitCode != -1 || !strings.Contains(r.Error, `"nobody"`) {
				t.Errorf("acct-broken: %+v, want the resolution error", r)
			}
		case r.ExitCode != 0:
			t.Errorf("%s: exit %d: %s", r.Profile, r.ExitCode, r.Error)
		}
	}
	if len(results) != n+1 {
		t.Errorf("%d rows, want %d", len(results), n+1)
	}

	if reads := strings.Count(stderr, "kagi: debug: config: read "); reads != 1 {
		t.Errorf("the config was read %d times, want once\n%s", reads, stderr)
	}
	session := strings.Index(stderr, "sts:GetSessionToken "+manySerial)
	firstRun := strings.Index(stderr, "cache: miss for role ")
	if session < 0 || firstRun < 0 || firstRun < session {
		t.Errorf("a run started before the shared MFA session was had (session at %d, first role miss at %d)\n%s", session, firstRun, stderr)
	}
	if strings.Contains(stderr, "after waiting for the lock") {
		t.Errorf("a run waited on a lock\n%s", stderr)
	}
	if st := srv.Stats(); st["GetSessionToken"] != 1 || st["AssumeRole"] != n {
		t.Errorf("emulator %v, want 1 GetSessionToken and %d AssumeRole", st, n)
	}
	// The runs share their connections: two at a time need two (one more
	// when a run asks just before another's is back in the pool), not one
	// for each of the five calls.
	if c := conns.Load(); c > 3 {
		t.Errorf("%d connections to STS for %d calls two at a time, want them shared", c, n+1)
	}
}

// TestExecManyInterruptedBeforeTheRuns: Ctrl-C while the shared MFA
// session is being had (here: before it is asked for) starts no run and
// calls nothing, and still ends as an interrupted fan-out does: every
// profile in the summary as skipped, exit 130.
func TestExecManyInterruptedBeforeTheRuns(t *testing.T) {
	w := newManyWorld(t, 2)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tio, out, errOut := testIO(w.env)
	exit := Main(ctx, []string{"exec", "--profiles", "acct-*", "--mfa-token", "123456", "--json", "--", self, "-test.run=^$"}, tio)
	if exit != ExitInterrupted {
		t.Fatalf("exit %d, want %d\n%s", exit, ExitInterrupted, errOut)
	}
	var results []struct {
		Profile string `json:"profile"`
		Skipped bool   `json:"skipped"`
	}
	if err := json.Unmarshal(out.Bytes(), &results); err != nil {
		t.Fatalf("summary: %v\n%s", err, out)
	}
	if len(results) != 3 {
		t.Fatalf("%d rows, want 3: %+v", len(results), results)
	}
	for _, r := range results {
		if !r.Skipped {
			t.Errorf("%s ran", r.Profile)
		}
	}
	if st := w.srv.Stats(); len(st) != 0 {
		t.Errorf("emulator saw %v, want nothing", st)
	}
}

// manyWorld is a jump user with MFA whose keys are stored, n roles in as
// many accounts (profiles acct-1...), and acct-broken, which does not
// resolve; the emulator is reached through a proxy that counts
// connections.
type manyWorld struct {
	srv   *awsemu.Server
	env   map[string]string
	conns *atomic.Int32
}

const manySerial = "arn:aws:iam::111111111111:mfa/jumpuser"

func newManyWorld(t *testing.T, n int) *manyWorld {
	t.Helper()
	const (
		keyID  = "AKIAJUMPUSEREXAMPLE1"
		secret = "jump-secret-for-tests-only"
		serial = manySerial
	)
	var roles []awsemu.Role
	config := "[profile jumpuser]\nmfa_serial = " + serial + "\n"
	for i := 1; i <= n; i++ {
		arn := fmt.Sprintf("arn:aws:iam::5000000000%02d:role/admin", i)
		roles = append(roles, awsemu.Role{ARN: arn, Trust: awsemu.Trust{Principals: []string{"arn:aws:iam::111111111111:root"}, RequireMFA: true}})
		config += fmt.Sprintf("[profile acct-%d]\nrole_arn = %s\nsource_profile = jumpuser\n", i, arn)
	}
	config += "[profile acct-broken]\nrole_arn = arn:aws:iam::599999999999:role/admin\nsource_profile = nobody\n"
	srv := awsemu.New(&awsemu.World{
		Users: []awsemu.User{{Account: "111111111111", Name: "jumpuser",
			AccessKeys: []awsemu.AccessKey{{ID: keyID, Secret: secret}},
			MFA:        &awsemu.MFADevice{Serial: serial, TOTPSecret: "JBSWY3DPEHPK3PXP"}}},
		Roles: roles,
	})
	url, stop, err := srv.Start(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	url, conns := countingProxy(t, url)

	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "config"), config)
	env := hermetic(map[string]string{
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_ENDPOINT_URL":            url,
		"KAGI_FILE_PASSPHRASE":        "test-passphrase",
	})
	withKeys := map[string]string{"AWS_ACCESS_KEY_ID": keyID, "AWS_SECRET_ACCESS_KEY": secret}
	for k, v := range env {
		withKeys[k] = v
	}
	tio, _, errOut := testIO(withKeys)
	if code := Main(context.Background(), []string{"add", "jumpuser", "--env"}, tio); code != ExitOK {
		t.Fatalf("add: exit %d\n%s", code, errOut)
	}
	return &manyWorld{srv: srv, env: env, conns: conns}
}

// countingProxy forwards connections on 127.0.0.1 to target's host and
// counts them; it returns its own URL.
func countingProxy(t *testing.T, target string) (string, *atomic.Int32) {
	t.Helper()
	u, err := neturl.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var n atomic.Int32
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			out, err := net.Dial("tcp", u.Host)
			if err != nil {
				in.Close()
				continue
			}
			go func() { io.Copy(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
	}()
	return "http://" + ln.Addr().String(), &n
}

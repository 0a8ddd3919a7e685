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
	const (
		keyID  = "AKIAJUMPUSEREXAMPLE1"
		secret = "jump-secret-for-tests-only"
		serial = "arn:aws:iam::111111111111:mfa/jumpuser"
		n      = 4
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

	code, err := srv.FreshTOTP(serial)
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
	session := strings.Index(stderr, "sts:GetSessionToken "+serial)
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

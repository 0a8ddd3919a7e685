package interop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/awsemu"
)

// The clients below run for a few credential lifetimes, which the emulator
// makes seconds long. Each call must succeed: an SDK that kept expired
// credentials would get ExpiredToken from the emulator.

// boto3Loop makes STS calls through one boto3 session for argv[1] seconds,
// then prints "CALLS KEYS METHOD": how many calls, how many different access
// keys signed them, and where botocore found credentials.
const boto3Loop = `
import sys, time, boto3
s = boto3.Session()
sts = s.client("sts")
keys, calls = set(), 0
end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    arn = sts.get_caller_identity()["Arn"]
    if not arn.startswith("arn:aws:sts::222222222222:assumed-role/admin/"):
        sys.exit("ran as " + arn)
    keys.add(s.get_credentials().get_frozen_credentials().access_key)
    calls += 1
    time.sleep(0.2)
print(calls, len(keys), s.get_credentials().method)
`

// boto3UntilRefreshed makes STS calls through one boto3 session until it
// has signed with a second access key three times (a deadline of 60 seconds
// ends it with a failure), then prints "CALLS KEYS".
const boto3UntilRefreshed = `
import sys, time, boto3
s = boto3.Session()
sts = s.client("sts")
keys, calls, since = [], 0, 0
deadline = time.monotonic() + 60
while len(keys) < 2 or since < 3:
    if time.monotonic() > deadline:
        sys.exit("no refresh within 60s")
    sts.get_caller_identity()
    k = s.get_credentials().get_frozen_credentials().access_key
    if k not in keys:
        keys.append(k)
        since = 0
    since += 1
    calls += 1
    time.sleep(0.2)
print(calls, len(keys))
`

// awsCLILoop runs `aws sts get-caller-identity` until $1 seconds have
// passed; any failure ends it with that failure. It prints the call count.
const awsCLILoop = `
end=$(( $(date +%s) + $1 )); n=0
while [ "$(date +%s)" -lt "$end" ]; do
  arn=$(aws sts get-caller-identity --query Arn --output text) || exit 1
  case "$arn" in arn:aws:sts::222222222222:assumed-role/admin/*) ;; *) echo "ran as $arn" >&2; exit 1;; esac
  n=$((n+1))
  sleep 0.3
done
echo "$n"
`

// primeMFASession gets the jump user's MFA session (12 hours) with one code
// from mfa_process, before the lifetime override makes everything short.
func primeMFASession(t *testing.T, s *kagiSetup) {
	t.Helper()
	s.kagi(t, nil, "exec", "jumpuser", "--", "true")
	if st := s.Emu.Stats(); st["GetSessionToken"] != 1 || s.mfaAsked(t) != 1 {
		t.Fatalf("priming: %v, MFA asked %d times", st, s.mfaAsked(t))
	}
}

func setLifetime(t *testing.T, s *kagiSetup, seconds int) {
	t.Helper()
	if err := s.Emu.SetFaults(awsemu.Faults{CredentialLifetimeSeconds: seconds}); err != nil {
		t.Fatal(err)
	}
}

// TestServerBoto3AcrossLifetimes: one boto3 session, a child of
// `kagi exec --server`, keeps working across several role lifetimes with no
// prompt: kagi refreshes the role from the cached MFA session.
func TestServerBoto3AcrossLifetimes(t *testing.T) {
	t.Parallel()
	python := NeedTool(t, "python3")
	requirePythonModule(t, python, "boto3")
	s := newKagiSetup(t, ansibleConfig)
	primeMFASession(t, s)
	const lifetime, run = 4, 14
	setLifetime(t, s, lifetime)

	began := time.Now()
	out := s.kagi(t, nil, "exec", "--server", "prod-role", "--region", "us-east-1", "--", python, "-c", boto3Loop, strconv.Itoa(run))
	var calls, keys int
	var method string
	if _, err := fmt.Sscan(out, &calls, &keys, &method); err != nil {
		t.Fatalf("child printed %q: %v", out, err)
	}
	checkRefreshes(t, s, calls, lifetime, time.Since(began))
	if method != "container-role" {
		t.Errorf("botocore found credentials through %q, want container-role", method)
	}
	if keys < run/lifetime {
		t.Errorf("boto3 signed with %d different keys in %d lifetimes", keys, run/lifetime)
	}
}

// TestServerAWSCLIAcrossLifetimes: the AWS CLI, run again and again for
// several role lifetimes by a shell that `kagi exec --server` started.
func TestServerAWSCLIAcrossLifetimes(t *testing.T) {
	t.Parallel()
	NeedAWSCLI(t)
	s := newKagiSetup(t, ansibleConfig)
	primeMFASession(t, s)
	const lifetime, run = 4, 14
	setLifetime(t, s, lifetime)

	began := time.Now()
	out := s.kagi(t, nil, "exec", "--server", "prod-role", "--region", "us-east-1", "--", "sh", "-c", awsCLILoop, "sh", strconv.Itoa(run))
	calls, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("child printed %q", out)
	}
	checkRefreshes(t, s, calls, lifetime, time.Since(began))
}

// checkRefreshes: one prompt and one GetSessionToken in all (the priming);
// at least one AssumeRole per lifetime that passed, and at most one per
// refresh window (half a lifetime, less STS's rounding to whole seconds)
// plus the first: a refresh per request would exceed it.
func checkRefreshes(t *testing.T, s *kagiSetup, calls, lifetime int, elapsed time.Duration) {
	t.Helper()
	st := s.Emu.Stats()
	t.Logf("%d calls in %s; emulator: %v", calls, elapsed.Round(time.Millisecond), st)
	if n := s.mfaAsked(t); n != 1 || st["GetSessionToken"] != 1 {
		t.Errorf("MFA asked %d times, %d GetSessionToken; want 1 and 1 (the priming)", n, st["GetSessionToken"])
	}
	if st["GetCallerIdentity"] != calls {
		t.Errorf("emulator saw %d GetCallerIdentity, the child made %d", st["GetCallerIdentity"], calls)
	}
	lifetimes := int(elapsed / (time.Duration(lifetime) * time.Second))
	window := time.Duration(lifetime-1) * time.Second / 2
	most := int(elapsed/window) + 2
	if ar := st["AssumeRole"]; ar < lifetimes || ar > most {
		t.Errorf("%d AssumeRole in %s (%d lifetimes): want between %d and %d, about one per half lifetime", ar, elapsed, lifetimes, lifetimes, most)
	}
}

// TestServerMFASessionExpiryAsksMFAProcess: when the MFA session itself
// runs out while serving, kagi asks mfa_process for one new code, and the
// client's calls keep succeeding meanwhile. Everything lives 10 seconds
// here (the emulator has one lifetime for all), so the first refresh, after
// about 5 seconds, needs a new MFA session; the child stops soon after it,
// seconds before the second. (One refresh only: the emulator hands out two
// unused codes per 30-second TOTP step.)
func TestServerMFASessionExpiryAsksMFAProcess(t *testing.T) {
	t.Parallel()
	python := NeedTool(t, "python3")
	requirePythonModule(t, python, "boto3")
	s := newKagiSetup(t, ansibleConfig)
	setLifetime(t, s, 10)

	out := s.kagi(t, nil, "exec", "--server", "prod-role", "--region", "us-east-1", "--", python, "-c", boto3UntilRefreshed)
	var calls, keys int
	if _, err := fmt.Sscan(out, &calls, &keys); err != nil {
		t.Fatalf("child printed %q: %v", out, err)
	}
	st := s.Emu.Stats()
	t.Logf("%d calls; emulator: %v", calls, st)
	if n := s.mfaAsked(t); n != 2 || st["GetSessionToken"] != 2 || st["AssumeRole"] != 2 {
		t.Errorf("MFA asked %d times, emulator %v; want 2 prompts, 2 GetSessionToken, 2 AssumeRole", n, st)
	}
	if keys != 2 {
		t.Errorf("boto3 signed with %d different keys, want 2", keys)
	}
}

// TestServerConcurrentRequestsOneAssumeRole: `kagi server` in the
// foreground; once its credentials are due for a refresh, 200 requests at
// once make exactly one AssumeRole, and all get the same new credentials.
func TestServerConcurrentRequestsOneAssumeRole(t *testing.T) {
	t.Parallel()
	s := newKagiSetup(t, ansibleConfig)
	primeMFASession(t, s)
	const lifetime = 10
	setLifetime(t, s, lifetime)

	srv := startKagiServer(t, s, "prod-role")
	url, token := srv.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"], srv.vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 200}, Timeout: 30 * time.Second}
	first, status := getECS(t, client, url, token)
	if status != 200 {
		t.Fatalf("first request: %d", status)
	}
	if st := s.Emu.Stats(); st["AssumeRole"] != 1 {
		t.Fatalf("after start: %v, want 1 AssumeRole", st)
	}

	// The server refreshes when less than half of what the credentials had
	// left remains (at most (lifetime)/2 seconds, at least (lifetime-1)/2
	// as STS's Expiration has whole seconds). Their ageing is what is under
	// test, so the wait is for a point in time.
	dueAt := first.Expiration.Add(-(lifetime-1)*time.Second/2 + 500*time.Millisecond)
	time.Sleep(time.Until(dueAt))

	const n = 200
	start := make(chan struct{})
	var wg sync.WaitGroup
	keys := make([]string, n)
	codes := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			c, code := getECS(t, client, url, token)
			keys[i], codes[i] = c.AccessKeyID, code
		}()
	}
	close(start)
	wg.Wait()
	for i := range n {
		if codes[i] != 200 || keys[i] != keys[0] {
			t.Fatalf("request %d: %d %q; want 200 and %q like the first", i, codes[i], keys[i], keys[0])
		}
	}
	if keys[0] == first.AccessKeyID {
		t.Errorf("the burst got the old credentials: no refresh inside the window")
	}
	if st := s.Emu.Stats(); st["AssumeRole"] != 2 || st["GetSessionToken"] != 1 {
		t.Errorf("after %d concurrent requests: %v; want 2 AssumeRole in all (one for the burst), 1 GetSessionToken", n, st)
	}
	srv.stop(t)
	if strings.Contains(srv.stderr.String(), token) {
		t.Error("kagi server's stderr has the token")
	}
}

// TestServerEC2AWSCLI: the AWS CLI reads credentials from `kagi server
// --ec2` as from an instance's metadata service (IMDSv2).
func TestServerEC2AWSCLI(t *testing.T) {
	t.Parallel()
	awsBin := NeedAWSCLI(t)
	s := newKagiSetup(t, ansibleConfig)
	srv := startKagiServer(t, s, "--ec2", "prod-role")
	endpoint := srv.vars["AWS_EC2_METADATA_SERVICE_ENDPOINT"]
	var env []string
	for _, kv := range s.Env {
		if !strings.HasPrefix(kv, "AWS_EC2_METADATA_DISABLED=") {
			env = append(env, kv)
		}
	}
	cmd := exec.Command(awsBin, "sts", "get-caller-identity", "--query", "Arn", "--output", "text", "--region", "us-east-1", "--debug")
	cmd.Env = append(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT="+endpoint)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("aws through IMDS: %v\n%s", err, lastLines(stderr.String(), 30))
	}
	if !strings.HasPrefix(stdout.String(), prodARN) {
		t.Errorf("aws ran as %q", stdout.String())
	}
	if !strings.Contains(stderr.String(), "iam-role") {
		t.Errorf("botocore did not say it used the instance metadata provider (iam-role)")
	}
	srv.stop(t)
}

type kagiServer struct {
	cmd    *exec.Cmd
	vars   map[string]string
	stderr *bytes.Buffer
}

// startKagiServer runs `kagi server ARGS...` and reads the export lines it
// prints, with a deadline.
func startKagiServer(t *testing.T, s *kagiSetup, args ...string) *kagiServer {
	t.Helper()
	cmd := exec.Command(kagiBin, append([]string{"server"}, args...)...)
	cmd.Env = s.Env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	srv := &kagiServer{cmd: cmd, vars: map[string]string{}, stderr: &bytes.Buffer{}}
	cmd.Stderr = &lockedWriter{w: srv.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	deadline := time.After(time.Minute)
	for len(srv.vars) < 2 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("kagi server stopped before printing its variables:\n%s", srv.stderr)
			}
			if v, ok := strings.CutPrefix(l, "export "); ok {
				if name, value, ok := strings.Cut(v, "="); ok && !strings.Contains(value, " ") {
					srv.vars[name] = value
				}
			}
			if strings.HasPrefix(l, "unset ") {
				return srv // the last line of the endpoint's
			}
		case <-deadline:
			t.Fatalf("kagi server printed no variables in a minute:\n%s", srv.stderr)
		}
	}
	return srv
}

// stop interrupts the server as Ctrl-C would and checks it ends cleanly.
func (srv *kagiServer) stop(t *testing.T) {
	t.Helper()
	if err := srv.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("kagi server after SIGINT: %v\n%s", err, srv.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("kagi server still running 30s after SIGINT")
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

type ecsCreds struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string
	Token           string
	Expiration      time.Time
}

func getECS(t *testing.T, client *http.Client, url, token string) (ecsCreds, int) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		t.Error(err)
		return ecsCreds{}, 0
	}
	req.Header.Set("Authorization", token)
	resp, err := client.Do(req)
	if err != nil {
		t.Error(err)
		return ecsCreds{}, 0
	}
	defer resp.Body.Close()
	var c ecsCreds
	if resp.StatusCode == 200 {
		if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
			t.Error(err)
		}
	}
	return c, resp.StatusCode
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

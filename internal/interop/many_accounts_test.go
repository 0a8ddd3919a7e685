package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/awsemu"
	"github.com/kagi-cli/kagi/internal/keyring"
)

// manyAccountsWorld is a jump user with MFA and n admin roles, one per
// account, plus one account whose role does not trust the jump account.
func manyAccountsWorld(n int) (world, config string) {
	var roles, profiles []string
	profiles = append(profiles, "[profile jumpuser]\nmfa_serial = "+jumpSerial+"\nmfa_process = %MFA%\n")
	for i := 1; i <= n; i++ {
		acct := fmt.Sprintf("5%011d", i)
		roles = append(roles, fmt.Sprintf(`{"arn":"arn:aws:iam::%s:role/admin","trust":{"principals":["arn:aws:iam::111111111111:root"],"require_mfa":true}}`, acct))
		profiles = append(profiles, fmt.Sprintf("[profile acct-%02d]\nrole_arn = arn:aws:iam::%s:role/admin\nsource_profile = jumpuser\n", i, acct))
	}
	roles = append(roles, `{"arn":"arn:aws:iam::599999999999:role/admin","trust":{"principals":["arn:aws:iam::999999999999:root"]}}`)
	profiles = append(profiles, "[profile acct-denied]\nrole_arn = arn:aws:iam::599999999999:role/admin\nsource_profile = jumpuser\n")
	world = `{"users":[{"account":"111111111111","name":"jumpuser",
	  "access_keys":[{"id":"` + jumpKeyID + `","secret":"` + jumpSecret + `"}],
	  "mfa":{"serial":"` + jumpSerial + `","totp_secret":"JBSWY3DPEHPK3PXP"}}],
	  "roles":[` + strings.Join(roles, ",") + `]}`
	return world, strings.Join(profiles, "\n")
}

// TestOneCommandInManyAccounts runs one command in 50 accounts with one MFA
// code, against an STS that adds 100 ms to every call and throttles above
// 20 requests a second; a 51st account's trust denies the role and is
// reported without stopping the others.
func TestOneCommandInManyAccounts(t *testing.T) {
	const n = 50
	world, config := manyAccountsWorld(n)
	s := newKagiSetupWorld(t, world, config)
	if err := s.Emu.SetFaults(awsemu.Faults{LatencyMS: 100, ThrottleTPS: 20}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kagiBin, "exec", "--profiles", "acct-*", "--json", "--", "sh", "-c", `echo "as $KAGI_PROFILE"`)
	cmd.Env = s.Env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var ee *exec.ExitError
	if err == nil || !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("kagi exec --profiles: %v (want exit 1 for the denied account)\n%s", err, stderr.String())
	}
	var results []struct {
		Profile  string `json:"profile"`
		ExitCode int    `json:"exit_code"`
		Error    string `json:"error"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &results); err != nil {
		t.Fatalf("summary JSON: %v\n%s", err, stdout.String())
	}
	if len(results) != n+1 {
		t.Fatalf("%d results, want %d", len(results), n+1)
	}
	for _, r := range results {
		switch {
		case r.Profile == "acct-denied":
			if r.ExitCode == 0 || !strings.Contains(r.Error, "AccessDenied") {
				t.Errorf("denied account: %+v, want an AccessDenied error", r)
			}
		case r.ExitCode != 0:
			t.Errorf("%s: exit %d: %s", r.Profile, r.ExitCode, r.Error)
		}
	}
	st := s.Emu.Stats()
	if st["GetSessionToken"] != 1 || s.mfaAsked(t) != 1 {
		t.Errorf("GetSessionToken %d, MFA asked %d times; want 1 and 1", st["GetSessionToken"], s.mfaAsked(t))
	}
	floor := time.Duration(float64(n+1)/20*float64(time.Second)) + 100*time.Millisecond
	t.Logf("%d accounts in %v (throttle floor %v); STS saw %v", n, wall.Round(time.Millisecond), floor.Round(time.Millisecond), st)
}

// BenchmarkManyAccounts is the wall time of one command in 50 accounts
// against an STS with 100 ms latency that throttles above 20 requests a
// second, beside the floor that throttle sets (51 calls / 20 per second).
// Each iteration starts cold: no cached session, one MFA code. Then it
// runs again at once (again-x-floor, not counted in the time), cold again,
// while the first run's calls still fill the throttle's second.
func BenchmarkManyAccounts(b *testing.B) {
	const n, tps = 50, 20
	world, config := manyAccountsWorld(n)
	config = strings.Replace(config, "[profile acct-denied]", "[profile denied]", 1)
	s := newKagiSetupWorld(b, world, config)
	if err := s.Emu.SetFaults(awsemu.Faults{LatencyMS: 100, ThrottleTPS: tps}); err != nil {
		b.Fatal(err)
	}
	cheapKeyringItem(b, s)
	floor := float64(n+1) / tps
	var wall, span, startup, tail, again time.Duration
	throttled := 0
	for b.Loop() {
		b.StopTimer()
		s.kagi(b, nil, "clear")
		seen := len(s.Emu.Requests())
		b.StartTimer()
		start := time.Now()
		s.kagi(b, nil, "exec", "--profiles", "acct-*", "--", "true")
		end := time.Now()
		wall += end.Sub(start)
		// The STS part alone, first call to last, which a loaded machine
		// (kagi's start, the keyring, mfa_process, 50 children) does not
		// stretch as much as the wall time; and the parts before it (kagi
		// starts, reads the config, the keyring, mfa_process) and after it
		// (the last call's answer, the last children, the summary).
		reqs := s.Emu.Requests()[seen:]
		if len(reqs) > 0 {
			first, last := reqs[0].Time, reqs[len(reqs)-1].Time
			span += last.Sub(first)
			startup += first.Sub(start)
			tail += end.Sub(last)
		}
		for _, r := range reqs {
			if r.Code == "Throttling" {
				throttled++
			}
		}
		// The same again at once, while the first run's calls still fill
		// the throttle's second: what a loop in a script meets.
		b.StopTimer()
		s.kagi(b, nil, "clear")
		start = time.Now()
		s.kagi(b, nil, "exec", "--profiles", "acct-*", "--", "true")
		again += time.Since(start)
		b.StartTimer()
	}
	b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s")
	b.ReportMetric(floor, "floor-s")
	b.ReportMetric(span.Seconds()/float64(b.N), "sts-s")
	b.ReportMetric(startup.Seconds()/float64(b.N), "startup-s")
	b.ReportMetric(tail.Seconds()/float64(b.N), "tail-s")
	b.ReportMetric(float64(throttled)/float64(b.N), "throttled/op")
	// The goal (issue 11): within 1.3 times the floor.
	b.ReportMetric(wall.Seconds()/float64(b.N)/floor, "x-floor")
	b.ReportMetric(again.Seconds()/float64(b.N)/floor, "again-x-floor")
}

// cheapKeyringItem stores the jump user's keys again with the file
// keyring's test KDF (the costs are written with each item, and kagi reads
// an item with its own): what the benchmark measures is the fan-out against
// a throttled STS, not argon2id, whose 64 MiB cost about half a second of
// page faults on this kind of VM and would be paid once by any keyring.
func cheapKeyringItem(b testing.TB, s *kagiSetup) {
	b.Helper()
	env := func(name string) (string, bool) {
		v := envValue(s.Env, name)
		return v, v != ""
	}
	kr, err := keyring.Open(b.Context(), keyring.Options{
		Backend: keyring.BackendFile,
		Env:     env,
		FileKDF: keyring.LowSecurityKDFForTests(),
		Passphrase: func(context.Context, keyring.PassphraseRequest) (string, error) {
			return envValue(s.Env, "KAGI_FILE_PASSPHRASE"), nil
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	// Removed first: the file keyring writes a new item with the costs of
	// the items already there (one passphrase, one derivation for all), so
	// over the item `kagi add` wrote, it would keep argon2id's 64 MiB.
	if err := keyring.RemoveKeys(b.Context(), kr, "jumpuser"); err != nil {
		b.Fatal(err)
	}
	if err := keyring.SetKeys(b.Context(), kr, "jumpuser", keyring.AccessKeys{AccessKeyID: jumpKeyID, SecretAccessKey: jumpSecret}); err != nil {
		b.Fatal(err)
	}
}

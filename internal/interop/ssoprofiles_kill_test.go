package interop

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/awsemu"
	"github.com/kagi-cli/kagi/internal/config"
)

// TestSSOProfilesWriteSurvivesKill9 kills `kagi sso profiles --write
// --prune` with SIGKILL at random points of its run, 40 times, signed in
// in turn as alice (80 roles: the run adds the ones missing) and as bob
// (20 of them: the run removes the other generated profiles), and after
// each kill reads the config file: it must be byte for byte one of the
// states whole runs leave (the file before the run or after it), never a
// mix, with the user's 30 sections as they were.
func TestSSOProfilesWriteSurvivesKill9(t *testing.T) {
	var alice, bob []awsemu.SSOAssignment
	for i := range 40 {
		for _, role := range []string{"Admin", "ReadOnly"} {
			a := awsemu.SSOAssignment{Account: fmt.Sprintf("%012d", 200000000000+i), AccountName: fmt.Sprintf("team-%02d", i), Role: role}
			alice = append(alice, a)
			if i%4 == 0 {
				bob = append(bob, a)
			}
		}
	}
	// The setup's world (its jump user, whose keys it stores) and an
	// Identity Center.
	var w map[string]any
	if err := json.Unmarshal([]byte(kagiWorld), &w); err != nil {
		t.Fatal(err)
	}
	w["sso"] = awsemu.SSO{StartURL: "https://example.awsapps.com/start", Region: "eu-west-1",
		Users: []awsemu.SSOUser{{Name: "alice@example.com", Assignments: alice}, {Name: "bob@example.com", Assignments: bob}}}
	world, _ := json.Marshal(w)
	var mine strings.Builder
	mine.WriteString("# kept by hand\n[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = eu-west-1\n\n[profile jumpuser]\nmfa_serial = arn:aws:iam::111111111111:mfa/jumpuser\n")
	for i := range 29 {
		fmt.Fprintf(&mine, "\n[profile own%02d]  ; mine\nregion=eu-west-%d\n  # note\noutput = json\n", i, i%3+1)
	}
	s := newKagiSetupWorld(t, string(world), mine.String())
	// Each portal call takes a few milliseconds, as over a network: the
	// runs last long enough for kills to land everywhere.
	if err := s.Emu.SetFaults(awsemu.Faults{LatencyMS: 3}); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(s.Home, ".aws", "sso", "cache")
	if err := os.MkdirAll(cache, 0o700); err != nil {
		t.Fatal(err)
	}
	tokens := map[string][]byte{}
	for _, u := range []string{"alice@example.com", "bob@example.com"} {
		tok, err := s.Emu.MintSSOToken(u, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		tokens[u], _ = json.Marshal(map[string]string{"accessToken": tok, "expiresAt": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	}
	signIn := func(u string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(cache, (config.SSOSession{Name: "corp"}).CacheKey()+".json"), tokens[u], 0o600); err != nil {
			t.Fatal(err)
		}
	}
	read := func() string {
		t.Helper()
		b, err := os.ReadFile(s.Config)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	args := []string{"sso", "profiles", "--write", "--prune"}
	run := func(u string) time.Duration {
		t.Helper()
		signIn(u)
		start := time.Now()
		s.kagi(t, nil, args...)
		return time.Since(start)
	}

	// The states whole runs go through: alice's adds everything, bob's
	// removes three quarters, alice's adds them back (after bob's).
	orig := read()
	states := map[string]string{orig: "the user's file"}
	full := run("alice@example.com")
	states[read()] = "alice's first"
	full = max(full, run("bob@example.com"))
	states[read()] = "bob's"
	full = max(full, run("alice@example.com"))
	states[read()] = "alice's again"
	if len(states) != 4 {
		t.Fatalf("%d distinct states, want 4", len(states))
	}
	if run("alice@example.com"); states[read()] != "alice's again" {
		t.Fatal("a run with nothing to do changed the file")
	}

	deadline := time.Now().Add(30 * time.Second)
	killed, finished, changed := 0, 0, 0
	users := []string{"bob@example.com", "alice@example.com"}
	for i := 0; i < 40 && time.Now().Before(deadline); i++ {
		before := read()
		signIn(users[i%2])
		cmd := exec.Command(kagiBin, args...)
		cmd.Env = s.Env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(rand.N(full))
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			killed++
		} else if err != nil {
			t.Fatalf("run %d: kagi failed on its own: %v\n%s", i, err, stderr.String())
		} else {
			finished++
		}
		after := read()
		if _, ok := states[after]; !ok {
			t.Fatalf("after run %d (killed: %v) the file is in no state a whole run leaves:\n%s", i, err != nil, after)
		}
		if after != before {
			changed++
		}
		f, _ := config.Parse(s.Config, config.ConfigFile, []byte(after))
		for j := range 29 {
			if v, _ := f.Profile(fmt.Sprintf("own%02d", j)).Get("output"); v != "json" {
				t.Fatalf("after run %d: profile own%02d changed", i, j)
			}
		}
	}
	t.Logf("%d runs killed, %d finished; the file changed in %d (a whole run takes %v)", killed, finished, changed, full.Round(time.Millisecond))
	if killed == 0 {
		t.Error("no run was killed: the test proves nothing")
	}
	if left := tempFiles(t, s.Config); len(left) > 0 {
		// Left by a writer killed between creating and renaming: the
		// next edit removes them under the lock.
		s.kagi(t, nil, args...)
		if left := tempFiles(t, s.Config); len(left) > 0 {
			t.Errorf("temporary files left after a whole run: %v", left)
		}
	}
}

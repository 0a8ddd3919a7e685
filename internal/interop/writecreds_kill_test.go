package interop

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/config"
)

// TestWriteCredentialsSurvivesKill9 kills `kagi write-credentials` with
// SIGKILL at random points of its run, 50 times, and after each kill reads
// the credentials file as the SDKs would: it must parse, keep every one of
// its 40 other sections as it was, and hold each written section whole (old
// keys or new, never a mix). Every run does real work: --refresh-before 2h
// is more than the role's 1h, so each one assumes both roles again (from
// the cached MFA session, no prompt) and writes two sections.
func TestWriteCredentialsSurvivesKill9(t *testing.T) {
	// dev assumes the same role as prod under another session name: a
	// cache entry and an AssumeRole of its own.
	config := terraformConfig + "\n[profile dev]\nrole_arn = arn:aws:iam::222222222222:role/admin\nsource_profile = jumpuser\nrole_session_name = dev\n"
	s := newKagiSetup(t, config)
	credsFile := envValue(s.Env, "AWS_SHARED_CREDENTIALS_FILE")
	var b strings.Builder
	b.WriteString("# hand-kept; 40 sections\n")
	for i := range 40 {
		fmt.Fprintf(&b, "[acct%02d]  ; account %d\naws_access_key_id=AKIAACCT%012d\n  aws_secret_access_key =  secret-%d\n\n", i, i, i, i)
	}
	writeTestFile(t, credsFile, b.String(), 0o600)
	before := parseCredentials(t, credsFile)

	args := []string{"write-credentials", "prod", "dev", "--as", "{profile}-tf", "--refresh-before", "2h"}
	s.kagi(t, nil, args...) // the MFA session
	start := time.Now()
	s.kagi(t, nil, args...) // a warm run's length
	full := time.Since(start)
	check := func(when string) (tfSections int) {
		t.Helper()
		after := parseCredentials(t, credsFile)
		for _, sb := range before.Sections {
			sa := after.Profile(sb.Name)
			if sa == nil || len(sa.Keys) != len(sb.Keys) {
				t.Fatalf("%s: section [%s] lost or changed", when, sb.Name)
			}
			for i, k := range sb.Keys {
				if sa.Keys[i].Name != k.Name || sa.Keys[i].Value != k.Value {
					t.Fatalf("%s: [%s] %s changed", when, sb.Name, k.Name)
				}
			}
		}
		for _, name := range []string{"prod-tf", "dev-tf"} {
			sec := after.Profile(name)
			if sec == nil {
				continue
			}
			tfSections++
			id, _ := sec.Get("aws_access_key_id")
			secret, _ := sec.Get("aws_secret_access_key")
			tok, _ := sec.Get("aws_session_token")
			old, _ := sec.Get("aws_security_token")
			if !strings.HasPrefix(id, "ASIA") || secret == "" || tok == "" || old != tok {
				t.Fatalf("%s: section [%s] is not whole", when, name)
			}
		}
		return tfSections
	}
	if check("after a full run") != 2 {
		t.Fatal("a full run did not write both sections")
	}

	deadline := time.Now().Add(20 * time.Second)
	killed, finished, midWrite := 0, 0, 0
	for i := 0; i < 50 && time.Now().Before(deadline); i++ {
		cmd := exec.Command(kagiBin, args...)
		cmd.Env = s.Env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// A random point of the run: the kill lands before, during or
		// after the writes.
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
		check(fmt.Sprintf("after run %d", i))
		midWrite += len(tempFiles(t, credsFile))
	}
	t.Logf("%d runs killed (%d between writing a temporary file and renaming it), %d finished before the kill (a warm run takes %v)",
		killed, midWrite, finished, full.Round(time.Millisecond))
	// Each finished run assumed both roles again: it did the work.
	if st := s.Emu.Stats(); st["GetSessionToken"] != 1 || st["AssumeRole"] < 2*(finished+2) {
		t.Errorf("emulator saw %v; want one MFA session and at least %d AssumeRole", st, 2*(finished+2))
	}
	if killed == 0 {
		t.Error("no run was killed: the test proves nothing")
	}

	// A run after the kills finishes, and clears the temporary files the
	// killed writers may have left (they hold keys).
	s.kagi(t, nil, args...)
	if check("after the last run") != 2 {
		t.Error("the last run did not write both sections")
	}
	if left := tempFiles(t, credsFile); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
	if fi, err := os.Stat(credsFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode: %v, %v", fi.Mode(), err)
	}
}

func parseCredentials(t *testing.T, path string) *config.File {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := config.Parse(path, config.CredentialsFile, data)
	if err != nil {
		t.Fatalf("the credentials file does not parse: %v", err)
	}
	return f
}

// tempFiles lists the temporary files of kagi's writes beside path.
func tempFiles(t *testing.T, path string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "."+filepath.Base(path)+".kagi-") {
			names = append(names, e.Name())
		}
	}
	return names
}

package interop

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/awsemu"
)

// kagiWorld is the Ansible/Terraform user's world: a jump user with MFA in
// one account, a role that requires MFA in another.
const kagiWorld = `{
  "users":[{"account":"111111111111","name":"jumpuser",
    "access_keys":[{"id":"AKIAJUMPUSEREXAMPLE1","secret":"jump-secret-for-tests-only"}],
    "mfa":{"serial":"arn:aws:iam::111111111111:mfa/jumpuser","totp_secret":"JBSWY3DPEHPK3PXP"}}],
  "roles":[{"arn":"arn:aws:iam::222222222222:role/admin",
    "trust":{"principals":["arn:aws:iam::111111111111:root"],"require_mfa":true},
    "max_session_duration":43200}]}`

const (
	jumpKeyID  = "AKIAJUMPUSEREXAMPLE1"
	jumpSecret = "jump-secret-for-tests-only"
	jumpSerial = "arn:aws:iam::111111111111:mfa/jumpuser"
	prodARN    = "arn:aws:sts::222222222222:assumed-role/admin/"
)

// kagiSetup is a throwaway HOME with a config, the jump user's keys in a
// file keyring, a tmpfs cache, an emulator, and an mfa_process that counts
// how often it is asked.
type kagiSetup struct {
	Home, Config, MFALog string
	URL                  string
	Emu                  *awsemu.Server
	Env                  []string
}

// newKagiSetup writes config (with %KAGI% replaced by the kagi binary and
// %MFA% by the counting mfa_process) and stores the jump user's keys with
// `kagi add jumpuser --env`.
func newKagiSetup(t *testing.T, config string) *kagiSetup {
	t.Helper()
	return newKagiSetupWorld(t, kagiWorld, config)
}

// newKagiSetupWorld is newKagiSetup with a world of the test's own.
func newKagiSetupWorld(t testing.TB, worldJSON, config string) *kagiSetup {
	t.Helper()
	world, err := awsemu.ParseWorld([]byte(worldJSON))
	if err != nil {
		t.Fatal(err)
	}
	srv := awsemu.New(world)
	url, stop, err := srv.Start(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)

	s := &kagiSetup{URL: url, Emu: srv}
	s.Env = CleanEnv(t,
		"AWS_ENDPOINT_URL="+url,
		"KAGI_BACKEND=file",
		"KAGI_FILE_PASSPHRASE=interop-passphrase",
		"KAGI_CACHE_DIR="+tmpfsDir(t),
		"PATH="+filepath.Dir(kagiBin)+":"+os.Getenv("PATH"),
	)
	s.Home = envValue(s.Env, "HOME")
	s.Config = envValue(s.Env, "AWS_CONFIG_FILE")
	s.MFALog = filepath.Join(s.Home, "mfa.log")

	// The MFA "device": logs each time it is asked, then reads a code not
	// used yet from the emulator.
	mfa := filepath.Join(s.Home, "mfa.sh")
	// curl when there is one (CI installs it), by its own path first (a
	// version manager's shim in PATH costs a shell): Python's start and
	// urllib's import take half a second here, which the many-accounts
	// benchmark would count against kagi.
	codeURL := "'" + url + "/_emu/totp?serial=" + jumpSerial + "&fresh=1'"
	script := "#!/bin/sh\necho asked >> '" + s.MFALog + "'\n" +
		"[ -x /usr/bin/curl ] && exec /usr/bin/curl -sf --noproxy '*' " + codeURL + "\n" +
		"command -v curl >/dev/null && exec curl -sf --noproxy '*' " + codeURL + "\n" +
		"exec python3 -c 'import sys,urllib.request;print(urllib.request.urlopen(sys.argv[1]).read().decode().strip())' " + codeURL + "\n"
	writeTestFile(t, mfa, script, 0o700)
	config = strings.NewReplacer("%KAGI%", kagiBin, "%MFA%", mfa).Replace(config)
	writeTestFile(t, s.Config, config, 0o600)

	s.kagi(t, []string{"AWS_ACCESS_KEY_ID=" + jumpKeyID, "AWS_SECRET_ACCESS_KEY=" + jumpSecret}, "add", "jumpuser", "--env")
	return s
}

// kagi runs the kagi binary in the setup's environment and returns stdout.
func (s *kagiSetup) kagi(t testing.TB, extraEnv []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kagiBin, args...)
	cmd.Env = append(append([]string{}, s.Env...), extraEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kagi %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// mfaAsked is how many times the MFA source was asked for a code.
func (s *kagiSetup) mfaAsked(t testing.TB) int {
	t.Helper()
	b, err := os.ReadFile(s.MFALog)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "asked\n")
}

// tmpfsDir is a private directory on tmpfs (/dev/shm), where kagi's cache
// may keep temporary credentials; removed when the test ends.
func tmpfsDir(t testing.TB) string {
	t.Helper()
	if st, err := os.Stat("/dev/shm"); err != nil || !st.IsDir() {
		Missing(t, "no /dev/shm tmpfs for kagi's cache")
	}
	dir, err := os.MkdirTemp("/dev/shm", "kagi-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func writeTestFile(t testing.TB, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

func envValue(env []string, name string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], name+"="); ok {
			return v
		}
	}
	return ""
}

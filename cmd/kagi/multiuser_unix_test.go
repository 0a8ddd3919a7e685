//go:build linux

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestAnotherUserCannotPlantACredentialProcess: another local user who can
// append to a 0666 ~/.aws/config used to make its owner run their
// credential_process the next time kagi read it. Two unprivileged users
// (uids with no account, which the kernel does not need) play victim and
// attacker: kagi refuses the file and runs nothing.
func TestAnotherUserCannotPlantACredentialProcess(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("KAGI_INTEROP_REQUIRED") == "1" {
			t.Fatal("needs root to run processes as two other users (KAGI_INTEROP_REQUIRED is set)")
		}
		t.Skip("needs root to run processes as two other users")
	}
	const victim, attacker = 4243, 4244
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o711); err != nil { // traversable, as /home is
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "kagi"), ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// The victim's HOME as many systems make it: 0755, with a config that
	// a careless umask or editor left writable by everyone.
	home := filepath.Join(dir, "home")
	cfg := filepath.Join(home, ".aws", "config")
	if err := os.MkdirAll(filepath.Dir(cfg), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte("[profile p]\nregion = eu-west-1\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	cache, err := os.MkdirTemp("/dev/shm", "kagi-multiuser-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(cache) })
	for _, p := range []string{home, filepath.Dir(cfg), cfg, cache} {
		if err := os.Chown(p, victim, victim); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(cfg, 0o666); err != nil { // whatever the umask
		t.Fatal(err)
	}
	as := func(uid int, name string, args ...string) *exec.Cmd {
		cmd := exec.Command(name, args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
		cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin", "KAGI_CACHE_DIR=" + cache, "KAGI_BACKEND=file", "KAGI_FILE_PASSPHRASE=p"}
		cmd.Dir = "/"
		return cmd
	}

	pwned := filepath.Join(home, "pwned")
	plant := `credential_process = sh -c 'touch ` + pwned + `; echo "{\"Version\":1,\"AccessKeyId\":\"AKIAPLANTEDEXAMPLE01\",\"SecretAccessKey\":\"planted-secret-for-tests\"}"'` + "\n"
	planter := as(attacker, "sh", "-c", `cat >> "$0"`, cfg)
	planter.Stdin = strings.NewReader(plant)
	if out, err := planter.CombinedOutput(); err != nil {
		t.Fatalf("the attacker could not append (the test's premise): %v\n%s", err, out)
	}

	run := as(victim, filepath.Join(bin, "kagi"), "export", "p", "--format", "json")
	var stdout, stderr bytes.Buffer
	run.Stdout, run.Stderr = &stdout, &stderr
	err = run.Run()
	if _, statErr := os.Stat(pwned); statErr == nil {
		t.Fatalf("the victim ran the attacker's credential_process (stdout %q)", stdout.String())
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("kagi: %v, want exit 1\n%s", err, stderr.String())
	}
	want := "kagi: error: refusing config file " + cfg + ": it is writable by every user\n" +
		`kagi: hint: run: chmod go-w "` + cfg + `", then run kagi again`
	if !strings.HasPrefix(stderr.String(), want) || stdout.Len() != 0 {
		t.Fatalf("stderr:\n%s\nwant it to start:\n%s", stderr.String(), want)
	}
}

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/awsemu"
)

// BenchmarkStartup runs whole processes side by side in one run: each
// iteration starts a Go program that only starts and exits (the baseline),
// then kagi, so machine noise hits both alike. ns/op is kagi's time;
// x-baseline is kagi's total over the baseline's in the same iterations.
// The warm paths have credentials already cached: no STS call, no keyring,
// no prompt. Target: each within 2.5x of the baseline.
func BenchmarkStartup(b *testing.B) {
	dir := b.TempDir()
	baseline := buildBinary(b, dir, "baseline", "./testdata/baseline")
	kagi := buildBinary(b, dir, "kagi", ".")
	env := benchEnv(b, kagi)
	trueBin, err := exec.LookPath("true")
	if err != nil {
		b.Fatal(err)
	}
	benchBesideBaseline(b, baseline, env, []benchCase{
		{"kagi-version", []string{kagi, "version"}},
		{"credential-process-warm", []string{kagi, "credential-process", "prod"}},
		{"exec-true-warm", []string{kagi, "exec", "prod", "--", trueBin}},
	})
}

// benchCase is one process to time: a name and its argv.
type benchCase struct {
	name string
	argv []string
}

// benchBesideBaseline runs each case as a sub-benchmark whose iterations
// start the baseline process (untimed), then the case's process, both with
// env: ns/op is the case's time, x-baseline its total over the baseline's
// in the same iterations, so machine noise hits both alike.
func benchBesideBaseline(b *testing.B, baseline string, env []string, cases []benchCase) {
	run := func(b *testing.B, argv []string) time.Duration {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = env
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %v\n%s", argv, err, out)
		}
		return time.Since(start)
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			var base, target time.Duration
			for b.Loop() {
				b.StopTimer()
				base += run(b, []string{baseline})
				b.StartTimer()
				target += run(b, bc.argv)
			}
			b.ReportMetric(float64(target)/float64(base), "x-baseline")
			b.ReportMetric(float64(base.Nanoseconds())/float64(b.N), "baseline-ns/op")
		})
	}
}

// benchEnv is a throwaway HOME with the demo's kind of config, the jump
// user's keys stored, an emulator, and the prod role's credentials cached
// by one cold run.
func benchEnv(b *testing.B, kagi string) []string {
	b.Helper()
	world, err := awsemu.ParseWorld([]byte(benchWorld))
	if err != nil {
		b.Fatal(err)
	}
	srv := awsemu.New(world)
	url, stop, err := srv.Start(context.Background(), "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(stop)
	home := b.TempDir()
	cacheDir, err := os.MkdirTemp("/dev/shm", "kagi-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(cacheDir) })
	if err := os.WriteFile(filepath.Join(home, "config"), []byte(benchConfig), 0o600); err != nil {
		b.Fatal(err)
	}
	env := []string{
		"HOME=" + home, "PATH=/usr/bin:/bin",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_ENDPOINT_URL=" + url,
		"KAGI_BACKEND=file", "KAGI_FILE_PASSPHRASE=bench", "KAGI_CACHE_DIR=" + cacheDir,
	}
	run := func(extra []string, args ...string) {
		cmd := exec.Command(kagi, args...)
		cmd.Env = append(append([]string{}, env...), extra...)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("kagi %v: %v\n%s", args, err, out)
		}
	}
	run([]string{"AWS_ACCESS_KEY_ID=AKIABENCHJUMPUSER001", "AWS_SECRET_ACCESS_KEY=bench-secret-not-real"}, "add", "jump", "--env")
	code, err := srv.FreshTOTP("arn:aws:iam::111111111111:mfa/jumpuser")
	if err != nil {
		b.Fatal(err)
	}
	run(nil, "export", "prod", "--mfa-token", code)
	return env
}

const benchWorld = `{
  "users":[{"account":"111111111111","name":"jumpuser",
    "access_keys":[{"id":"AKIABENCHJUMPUSER001","secret":"bench-secret-not-real"}],
    "mfa":{"serial":"arn:aws:iam::111111111111:mfa/jumpuser","totp_secret":"JBSWY3DPEHPK3PXP"}}],
  "roles":[{"arn":"arn:aws:iam::333333333333:role/admin",
    "trust":{"principals":["arn:aws:iam::111111111111:root"],"require_mfa":true}}]}`

const benchConfig = `[profile jump]
mfa_serial = arn:aws:iam::111111111111:mfa/jumpuser
[profile switchrole]
source_profile = jump
[profile dev]
role_arn = arn:aws:iam::222222222222:role/admin
include_profile = switchrole
[profile prod]
role_arn = arn:aws:iam::333333333333:role/admin
include_profile = switchrole
region = us-east-1
`

func buildBinary(b *testing.B, dir, name, pkg string) string {
	b.Helper()
	out := filepath.Join(dir, name)
	// Static, as the Makefile builds it: cgo's dynamic loading would be
	// most of what is measured.
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build %s: %v\n%s", pkg, err, msg)
	}
	return out
}

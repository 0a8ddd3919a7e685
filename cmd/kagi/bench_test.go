package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BenchmarkStartup runs whole processes side by side in one run: a Go
// program that only starts and exits, and kagi's cheapest commands. The ratio
// between them is what matters; absolute times depend on the machine.
func BenchmarkStartup(b *testing.B) {
	dir := b.TempDir()
	baseline := buildBinary(b, dir, "baseline", "./testdata/baseline")
	kagi := buildBinary(b, dir, "kagi", ".")
	home := b.TempDir()
	env := []string{"HOME=" + home, "PATH=/usr/bin:/bin", "AWS_CONFIG_FILE=" + filepath.Join(home, "config")}
	if err := os.WriteFile(filepath.Join(home, "config"), []byte(benchConfig), 0o600); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		argv []string
	}{
		{"baseline", []string{baseline}},
		{"kagi-version", []string{kagi, "version"}},
		{"kagi-list", []string{kagi, "list", "--json"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				cmd := exec.Command(bc.argv[0], bc.argv[1:]...)
				cmd.Env = env
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("%v: %v\n%s", bc.argv, err, out)
				}
			}
		})
	}
}

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
`

func buildBinary(b *testing.B, dir, name, pkg string) string {
	b.Helper()
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build %s: %v\n%s", pkg, err, msg)
	}
	return out
}

package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// kagiBin is the kagi binary built once for this package's tests; real
// clients (boto3, the AWS CLI) run it as credential_process or as exec.
var kagiBin string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "kagi-interop-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	kagiBin = filepath.Join(dir, "kagi")
	build := exec.Command("go", "build", "-o", kagiBin, "github.com/kagi-cli/kagi/cmd/kagi")
	build.Env = append(os.Environ(), "CGO_ENABLED=0") // as the Makefile builds it
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "interop: cannot build kagi:", err)
		return 1
	}
	return m.Run()
}

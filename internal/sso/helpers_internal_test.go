package sso

import (
	"os"
	"os/exec"
	"runtime"
	"testing"
)

func lookPathSh() (string, error) {
	if runtime.GOOS == "windows" {
		return "", exec.ErrNotFound
	}
	return exec.LookPath("sh")
}

func writeExec(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o700); err != nil {
		t.Fatal(err)
	}
}

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}

// killPIDFile ends the process whose id the file holds, if any.
func killPIDFile(path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	var pid int
	for _, c := range string(b) {
		if c >= '0' && c <= '9' {
			pid = pid*10 + int(c-'0')
		}
	}
	if p, err := os.FindProcess(pid); err == nil && pid > 0 {
		p.Kill()
	}
}

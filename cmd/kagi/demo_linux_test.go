package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// demoRoot is a copy of what `make demo` runs: scripts/demo.sh, demo/, and
// bin/kagi and bin/awsemu built from this tree.
func demoRoot(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"bash", "curl", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the demo needs %s: %v", tool, err)
		}
	}
	root := t.TempDir()
	for _, dir := range []string{"scripts", "demo", "bin"} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyFile := func(from, to string, mode os.FileMode) {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, data, mode); err != nil {
			t.Fatal(err)
		}
	}
	copyFile("../../scripts/demo.sh", filepath.Join(root, "scripts", "demo.sh"), 0o755)
	entries, err := os.ReadDir("../../demo")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		copyFile(filepath.Join("../../demo", e.Name()), filepath.Join(root, "demo", e.Name()), 0o644)
	}
	for _, cmd := range []string{"kagi", "awsemu"} {
		build := exec.Command("go", "build", "-o", filepath.Join(root, "bin", cmd), "../"+cmd)
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", cmd, err, out)
		}
	}
	return root
}

// TestDemoColourOnlyOnATerminal: `make demo` prints its bold command lines
// to a terminal, and no escape codes into a pipe, a file or a CI log.
func TestDemoColourOnlyOnATerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole demo twice")
	}
	root := demoRoot(t)
	script := filepath.Join(root, "scripts", "demo.sh")
	env := append(os.Environ(), "TERM=xterm")

	var piped bytes.Buffer
	cmd := exec.Command("bash", script)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = &piped, &piped
	if err := cmd.Run(); err != nil {
		t.Fatalf("demo into a pipe: %v\n%s", err, piped.String())
	}
	if !strings.Contains(piped.String(), "\n$ kagi list\n") {
		t.Fatalf("demo into a pipe: no plain step line:\n%s", piped.String())
	}
	if strings.Contains(piped.String(), "\x1b") {
		t.Errorf("demo into a pipe printed escape codes:\n%q", piped.String())
	}

	// On a terminal: bold.
	master, slave := openPTY(t)
	defer master.Close()
	cmd = exec.Command("bash", script)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	var out bytes.Buffer
	read := make(chan struct{})
	go func() {
		defer close(read)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			out.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("demo on a terminal: %v", err)
		}
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatal("demo on a terminal still running after 2 minutes")
	}
	<-read // EIO once the last holder of the terminal is gone
	if !strings.Contains(out.String(), "\x1b[1m$ kagi list\x1b[0m") {
		t.Errorf("demo on a terminal: no bold step line:\n%q", out.String())
	}
}

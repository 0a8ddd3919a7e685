package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary act as kagi itself: testscript installs it as
// `kagi` on the scripts' PATH, so every script runs the real main.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"kagi": func() { os.Exit(run()) },
	})
}

// TestScript runs testdata/script/*.txtar: the real main with an isolated
// HOME and, where a script starts one, its own emulator.
func TestScript(t *testing.T) {
	hermeticUmask()
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup:               setupScript,
		Condition:           scriptCondition,
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"awsemu":    cmdAWSEmu,
			"ssocache":  cmdSSOCache,
			"exits":     cmdExits,
			"fanout":    cmdFanout,
			"jsonlines": cmdJSONLines,
			"iamkeys":   cmdIAMKeys,
		},
	})
}

// scriptCondition adds [root]: the test runs as root (as CI does), so a
// script can make device nodes instead of touching the machine's own.
func scriptCondition(cond string) (bool, error) {
	if cond == "root" {
		return os.Geteuid() == 0, nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}

// setupScript gives each script a HOME of its own with an empty ~/.aws, and a
// slot for the emulator the script may start with `awsemu start`.
// testscript starts from an empty environment, so nothing of this machine's
// AWS setup (keys, profiles, CA bundles) reaches kagi.
func setupScript(env *testscript.Env) error {
	home := filepath.Join(env.WorkDir, "home")
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		return err
	}
	env.Setenv("HOME", home)
	env.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	// The file keyring with a known passphrase, and the cache on tmpfs
	// (kagi keeps temporary credentials only there, or encrypted).
	env.Setenv("KAGI_BACKEND", "file")
	env.Setenv("KAGI_FILE_PASSPHRASE", "testscript-passphrase")
	cacheDir, err := os.MkdirTemp("/dev/shm", "kagi-script-")
	if err != nil {
		return err
	}
	env.Defer(func() { os.RemoveAll(cacheDir) })
	env.Setenv("KAGI_CACHE_DIR", cacheDir)
	env.Values[emuKey{}] = &emuSlot{}
	return nil
}

// cmdExits runs a program and checks its exit code:
//
//	exits 2 kagi list --bogus
//
// Its stdout and stderr can be checked afterwards as with exec.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: %q is not an exit code", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exits: %v", err)
		}
		got = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			got = 128 + int(ws.Signal()) // as a shell reports it
		}
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

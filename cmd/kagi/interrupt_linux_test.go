package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// ptyProc is kagi running with a pseudo-terminal as its controlling
// terminal and its stdin, stdout and stderr, as on a person's terminal.
type ptyProc struct {
	t      *testing.T
	master *os.File
	slave  *os.File // kept open here too, to read the terminal's modes
	cmd    *exec.Cmd
	done   chan struct{}
	err    error // cmd.Wait's, once done is closed

	mu  sync.Mutex
	out bytes.Buffer

	// answered counts, per prompt, the times answer has answered it: a
	// prompt asked again is waited for anew, not found in what the
	// terminal showed before.
	answered map[string]int
}

// openPTY opens a new pseudo-terminal pair: /dev/ptmx, unlocked, and its
// /dev/pts/N.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	var n int
	rc, err := m.SyscallConn()
	if err == nil {
		if cerr := rc.Control(func(fd uintptr) {
			if err = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); err == nil {
				n, err = unix.IoctlGetInt(int(fd), unix.TIOCGPTN)
			}
		}); cerr != nil {
			err = cerr
		}
	}
	if err != nil {
		m.Close()
		t.Fatalf("unlock the pseudo-terminal: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Fatalf("open the pseudo-terminal's other end: %v", err)
	}
	return m, s
}

// startOnPTY starts kagi (this test binary under the name testscript gave
// it) with args and env, in a session of its own whose controlling
// terminal is a new pseudo-terminal.
func startOnPTY(t *testing.T, env []string, args ...string) *ptyProc {
	t.Helper()
	kagi, err := exec.LookPath("kagi")
	if err != nil {
		t.Fatalf("kagi is not on PATH (testscript.Main puts it there): %v", err)
	}
	master, slave := openPTY(t)
	p := &ptyProc{t: t, master: master, slave: slave, done: make(chan struct{})}
	p.cmd = exec.Command(kagi, args...)
	p.cmd.Env = env
	p.cmd.Stdin, p.cmd.Stdout, p.cmd.Stderr = slave, slave, slave
	// Setsid and Setctty make the pty the child's controlling terminal (its
	// /dev/tty) and the child the terminal's foreground process group, so
	// ^C typed on it sends SIGINT to kagi as a shell's terminal would.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
		slave.Close()
		master.Close()
	})
	return p
}

func (p *ptyProc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// waitFor polls until the terminal shows text, or fails after a deadline
// or when kagi ends without showing it.
func (p *ptyProc) waitFor(text string) {
	p.t.Helper()
	p.poll(text, true)
}

// shown polls until the terminal shows text, which kagi may have written
// just before it ended.
func (p *ptyProc) shown(text string) {
	p.t.Helper()
	p.poll(text, false)
}

func (p *ptyProc) poll(text string, running bool) {
	p.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(p.output(), text) {
		select {
		case <-p.done:
			if running {
				p.t.Fatalf("kagi ended (%v) before showing %q; the terminal shows:\n%s", p.err, text, p.output())
			}
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("no %q on the terminal after 20s; it shows:\n%s", text, p.output())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// echo reports whether the terminal echoes input.
func (p *ptyProc) echo() bool {
	p.t.Helper()
	tio, err := unix.IoctlGetTermios(int(p.slave.Fd()), unix.TCGETS)
	if err != nil {
		p.t.Fatal(err)
	}
	return tio.Lflag&unix.ECHO != 0
}

// waitEcho polls until the terminal's echo is on (want) or off.
func (p *ptyProc) waitEcho(want bool) {
	p.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for p.echo() != want {
		if time.Now().After(deadline) {
			p.t.Fatalf("terminal echo is %v, want %v", !want, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *ptyProc) typeText(s string) {
	p.t.Helper()
	if _, err := p.master.Write([]byte(s)); err != nil {
		p.t.Fatal(err)
	}
}

// exitCode waits for kagi to end, at most d, and returns its exit code.
func (p *ptyProc) exitCode(d time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		p.t.Fatalf("kagi still running %v after ^C; the terminal shows:\n%s", d, p.output())
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		p.t.Fatal(p.err)
	}
	return 0
}

// TestCtrlCAtEveryPrompt types ^C at each prompt kagi shows on a terminal:
// kagi must end at once with 130 and leave the terminal echoing, whether
// the prompt hides what is typed (passphrase, secret key) or not (key id,
// confirmation, MFA code).
func TestCtrlCAtEveryPrompt(t *testing.T) {
	home := t.TempDir()
	aws := filepath.Join(home, ".aws")
	if err := os.MkdirAll(aws, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := "[profile jump]\nmfa_serial = arn:aws:iam::111111111111:mfa/jumpuser\n[profile other]\n"
	if err := os.WriteFile(filepath.Join(aws, "config"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cacheDir, err := os.MkdirTemp("/dev/shm", "kagi-pty-")
	if err != nil {
		cacheDir = t.TempDir()
	} else {
		t.Cleanup(func() { os.RemoveAll(cacheDir) })
	}
	base := []string{
		"HOME=" + home, "PATH=" + os.Getenv("PATH"), "TERM=dumb",
		"KAGI_BACKEND=file", "KAGI_CACHE_DIR=" + cacheDir, "AWS_EC2_METADATA_DISABLED=true",
		// Nothing is called: the prompts come first. A port that refuses.
		"AWS_ENDPOINT_URL=http://127.0.0.1:1",
	}
	withPass := append(append([]string(nil), base...), "KAGI_FILE_PASSPHRASE=pty-test-passphrase")
	keys := append(append([]string(nil), withPass...), "AWS_ACCESS_KEY_ID=AKIAJUMPUSEREXAMPLE1", "AWS_SECRET_ACCESS_KEY=jump-secret-for-tests-only")
	// Keys stored once, for the prompts that need them (remove, MFA).
	add := exec.Command("kagi", "add", "jump", "--env")
	add.Env = keys
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("kagi add jump --env: %v\n%s", err, out)
	}

	tests := []struct {
		name   string
		env    []string
		args   []string
		typed  string // typed before the prompt under test
		prompt string
		hidden bool
	}{
		{"file keyring passphrase", base, []string{"export", "jump", "--mfa-token", "123456"}, "", "Passphrase for kagi's file keyring: ", true},
		{"access key id", withPass, []string{"add", "other"}, "", "Access key ID: ", false},
		{"secret access key", withPass, []string{"add", "other"}, "AKIAOTHEREXAMPLE0001\r", "Secret access key: ", true},
		{"confirmation", withPass, []string{"remove", "jump"}, "", "[y/N] ", false},
		{"MFA code", withPass, []string{"export", "jump"}, "", "Enter MFA code for arn:aws:iam::111111111111:mfa/jumpuser: ", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startOnPTY(t, tt.env, tt.args...)
			if tt.typed != "" {
				first := "Access key ID: "
				p.waitFor(first)
				p.typeText(tt.typed)
			}
			p.waitFor(tt.prompt)
			if tt.hidden {
				p.waitEcho(false)
			}
			p.typeText("\x03") // ^C
			if code := p.exitCode(5 * time.Second); code != 130 {
				t.Fatalf("exit code %d after ^C, want 130; the terminal shows:\n%s", code, p.output())
			}
			if !p.echo() {
				t.Fatal("the terminal's echo is still off after kagi ended")
			}
			p.shown("kagi: interrupted")
			if out := p.output(); strings.Contains(out, "error") || strings.Contains(out, "hint") {
				t.Fatalf("want one line saying kagi was interrupted, no error; the terminal shows:\n%s", out)
			}
		})
	}
}

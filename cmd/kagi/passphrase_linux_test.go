package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// passphraseEnv is a HOME with one profile and no KAGI_FILE_PASSPHRASE:
// the file keyring's passphrase is asked for on the terminal.
func passphraseEnv(t *testing.T) (env []string, keyringDir string) {
	t.Helper()
	home := t.TempDir()
	aws := filepath.Join(home, ".aws")
	if err := os.MkdirAll(aws, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(aws, "config"), []byte("[profile jump]\nmfa_serial = arn:aws:iam::111111111111:mfa/jumpuser\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cacheDir, err := os.MkdirTemp("/dev/shm", "kagi-pty-")
	if err != nil {
		cacheDir = t.TempDir()
	} else {
		t.Cleanup(func() { os.RemoveAll(cacheDir) })
	}
	keyringDir = filepath.Join(home, "keyring")
	return []string{
		"HOME=" + home, "PATH=" + os.Getenv("PATH"), "TERM=dumb",
		"KAGI_BACKEND=file", "KAGI_FILE_DIR=" + keyringDir, "KAGI_CACHE_DIR=" + cacheDir,
		"AWS_EC2_METADATA_DISABLED=true", "AWS_ENDPOINT_URL=http://127.0.0.1:1",
	}, keyringDir
}

// answer waits for prompt, checks that what is typed next is hidden when
// hidden is set, and types line.
func (p *ptyProc) answer(prompt string, hidden bool, line string) {
	p.t.Helper()
	if p.answered == nil {
		p.answered = map[string]int{}
	}
	// The n-th time a prompt is answered, it must have been shown n times:
	// a prompt asked again ("try again") is not the one answered before,
	// whose terminal modes may not have been set yet.
	n := p.answered[prompt] + 1
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(p.output(), prompt) < n {
		if time.Now().After(deadline) {
			p.t.Fatalf("no prompt %q (time %d) on the terminal within 20s:\n%s", prompt, n, p.output())
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.answered[prompt] = n
	if hidden {
		p.waitEcho(false)
	}
	p.typeText(line + "\r")
}

// since returns what the terminal shows after the last occurrence of
// mark.
func (p *ptyProc) since(mark string) string {
	out := p.output()
	if i := strings.LastIndex(out, mark); i >= 0 {
		return out[i+len(mark):]
	}
	return ""
}

// TestFileKeyringPassphraseAtTheTerminal: the first use of the file
// keyring says where it will be and asks for the new passphrase twice,
// until the two match; a wrong passphrase is asked for again, three times
// at most; remove confirms before it asks for the passphrase.
func TestFileKeyringPassphraseAtTheTerminal(t *testing.T) {
	env, dir := passphraseEnv(t)

	t.Run("first use", func(t *testing.T) {
		p := startOnPTY(t, env, "add", "jump")
		p.answer("Access key ID: ", false, "AKIAJUMPUSEREXAMPLE1")
		p.answer("Secret access key: ", true, "jump-secret-for-tests-only")
		p.waitFor("kagi: a new file keyring in " + dir + ": choose its passphrase")
		p.answer("New passphrase for kagi's file keyring: ", true, "first-try")
		p.answer("Repeat the passphrase: ", true, "first-typo")
		p.waitFor("kagi: the passphrases do not match, try again")
		p.answer("New passphrase for kagi's file keyring: ", true, "pty-passphrase")
		p.answer("Repeat the passphrase: ", true, "pty-passphrase")
		if code := p.exitCode(20 * time.Second); code != 0 {
			t.Fatalf("exit %d; the terminal shows:\n%s", code, p.output())
		}
		p.shown(`kagi: stored keys AKIAJUMPUSEREXAMPLE1 for profile "jump" in the file keyring`)
		if out := p.output(); strings.Contains(out, "pty-passphrase") || strings.Contains(out, "jump-secret") {
			t.Fatalf("a secret was echoed:\n%s", out)
		}
	})

	t.Run("a keyring with items is not new", func(t *testing.T) {
		p := startOnPTY(t, env, "add", "jump", "--force")
		p.answer("Access key ID: ", false, "AKIAJUMPUSEREXAMPLE1")
		p.answer("Secret access key: ", true, "jump-secret-for-tests-only")
		p.answer("Passphrase for kagi's file keyring: ", true, "pty-passphrase")
		if code := p.exitCode(20 * time.Second); code != 0 {
			t.Fatalf("exit %d; the terminal shows:\n%s", code, p.output())
		}
		if strings.Contains(p.output(), "new file keyring") || strings.Contains(p.output(), "Repeat") {
			t.Fatalf("asked for a new passphrase for a keyring with items:\n%s", p.output())
		}
	})

	t.Run("remove confirms first; no means no passphrase asked", func(t *testing.T) {
		p := startOnPTY(t, env, "remove", "jump")
		p.answer(`Delete the keys of profile "jump" from the file keyring? [y/N] `, false, "n")
		if code := p.exitCode(10 * time.Second); code != 1 {
			t.Fatalf("exit %d, want 1; the terminal shows:\n%s", code, p.output())
		}
		p.shown("kagi: error: nothing deleted")
		if strings.Contains(p.output(), "Passphrase") {
			t.Fatalf("asked for the passphrase before (or without) the confirmation:\n%s", p.output())
		}
	})

	t.Run("three wrong passphrases", func(t *testing.T) {
		p := startOnPTY(t, env, "remove", "jump")
		p.answer("[y/N] ", false, "y")
		p.answer("Passphrase for kagi's file keyring: ", true, "wrong-1")
		p.waitFor("kagi: wrong passphrase, try again (2 of 3)")
		p.answer("Passphrase for kagi's file keyring: ", true, "wrong-2")
		p.waitFor("kagi: wrong passphrase, try again (3 of 3)")
		p.answer("Passphrase for kagi's file keyring: ", true, "wrong-3")
		if code := p.exitCode(20 * time.Second); code != 1 {
			t.Fatalf("exit %d, want 1; the terminal shows:\n%s", code, p.output())
		}
		p.shown(`kagi: error: read the keys of profile "jump": file keyring in "` + dir + `": wrong passphrase`)
		if strings.Count(p.output(), "Passphrase for kagi's file keyring: ") != 3 {
			t.Fatalf("want three asks; the terminal shows:\n%s", p.output())
		}
	})

	t.Run("a typo, then the right one", func(t *testing.T) {
		p := startOnPTY(t, env, "remove", "jump")
		p.answer("[y/N] ", false, "y")
		p.answer("Passphrase for kagi's file keyring: ", true, "typo")
		p.waitFor("kagi: wrong passphrase, try again (2 of 3)")
		p.answer("Passphrase for kagi's file keyring: ", true, "pty-passphrase")
		if code := p.exitCode(20 * time.Second); code != 0 {
			t.Fatalf("exit %d; the terminal shows:\n%s", code, p.output())
		}
		p.shown(`kagi: deleted keys of profile "jump"`)
		if rest := p.since("kagi: deleted"); strings.Contains(rest, "error") {
			t.Fatalf("an error after the deletion:\n%s", p.output())
		}
	})
}

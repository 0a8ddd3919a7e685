//go:build linux

package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kagi-cli/kagi/internal/awsemu"
)

// The two unprivileged users .ci/run creates: one whose cache is attacked,
// one who attacks it.
const (
	victimUser   = "kagi-victim"
	attackerUser = "kagi-attacker"
)

// localUser is a user to run programs as.
type localUser struct {
	name     string
	uid, gid uint32
}

// needUser looks name up, or skips (fails under KAGI_INTEROP_REQUIRED=1).
func needUser(t *testing.T, name string) localUser {
	t.Helper()
	u, err := user.Lookup(name)
	if err != nil {
		Missing(t, fmt.Sprintf("no local user %s (.ci/run creates it: useradd --system --no-create-home --shell /usr/sbin/nologin %s)", name, name))
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return localUser{name: name, uid: uint32(uid), gid: uint32(gid)}
}

// as runs cmd as u, without root's supplementary groups.
func (u localUser) as(cmd *exec.Cmd) *exec.Cmd {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: u.uid, Gid: u.gid, Groups: []uint32{}}}
	return cmd
}

func (u localUser) run(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := u.as(exec.Command(name, args...)).CombinedOutput()
	if err != nil {
		t.Fatalf("%s as %s: %v\n%s", name, u.name, err, out)
	}
}

func memoryFS(path string) bool {
	var st unix.Statfs_t
	return unix.Statfs(path, &st) == nil && (st.Type == unix.TMPFS_MAGIC || st.Type == unix.RAMFS_MAGIC)
}

// multiUserWorld: a user with MFA and two roles that trust the account.
const multiUserWorld = `{
  "users":[{"account":"111111111111","name":"jumpuser",
    "access_keys":[{"id":"AKIAJUMPUSEREXAMPLE1","secret":"jump-secret-for-tests-only"}],
    "mfa":{"serial":"arn:aws:iam::111111111111:mfa/jumpuser","totp_secret":"JBSWY3DPEHPK3PXP"}}],
  "roles":[
    {"arn":"arn:aws:iam::222222222222:role/admin","trust":{"principals":["arn:aws:iam::111111111111:root"],"require_mfa":true}},
    {"arn":"arn:aws:iam::333333333333:role/readonly","trust":{"principals":["arn:aws:iam::111111111111:root"],"require_mfa":true}}]}`

const multiUserConfig = `[profile jumpuser]
region = us-east-1
mfa_serial = arn:aws:iam::111111111111:mfa/jumpuser

[profile prod]
source_profile = jumpuser
role_arn = arn:aws:iam::222222222222:role/admin

[profile audit]
source_profile = jumpuser
role_arn = arn:aws:iam::333333333333:role/readonly
`

// Without XDG_RUNTIME_DIR (SSH logins, containers, bastions) kagi's cache
// is /dev/shm/kagi-UID, a name in a directory every local user can write.
// A second, unprivileged user who takes that name first, as a directory
// open to all or as a symbolic link to a directory of theirs on persistent
// disk, must neither stop the victim's kagi (it used to fail with a hint the
// victim could not follow) nor receive the victim's MFA session and role
// keys (it used to write them in plaintext through the link). The victim's
// kagi goes on from the encrypted keyring, says so in one line, and a second
// run reuses the cached MFA session without asking for a code.
//
// Runs the real binary as kagi-victim and the attack as kagi-attacker, so
// it needs root and both users (CI creates them).
func TestSquattedCacheDirByAnotherUser(t *testing.T) {
	if os.Getuid() != 0 {
		Missing(t, "needs root to run kagi as "+victimUser+" and the attack as "+attackerUser)
	}
	victim := needUser(t, victimUser)
	attacker := needUser(t, attackerUser)
	if !memoryFS("/dev/shm") {
		Missing(t, "/dev/shm is not tmpfs here, so kagi has no /dev/shm fallback to attack")
	}
	// Persistent disk both users can reach; the binary where the victim
	// can run it.
	base, err := os.MkdirTemp("/var/tmp", "kagi-multiuser-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if memoryFS(base) {
		Missing(t, "/var/tmp is on tmpfs here: no persistent disk to point the link at")
	}
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(base, "kagi")
	copyFile(t, kagiBin, bin, 0o755)

	shm := fmt.Sprintf("/dev/shm/kagi-%d", victim.uid)
	// Without HOME, the keyring cache's locks go to the temporary directory,
	// another name every local user can take.
	tmpLocks := filepath.Join(os.TempDir(), fmt.Sprintf("kagi-%d", victim.uid))
	clear := func() {
		for _, p := range []string{shm, tmpLocks} {
			if err := os.RemoveAll(p); err != nil {
				t.Errorf("clean up %s: %v", p, err)
			}
		}
	}
	clear() // a leftover of an earlier run of this test: the user is ours
	t.Cleanup(clear)

	for _, tc := range []struct {
		name  string
		plant func(t *testing.T, disk, mine string) (watch string)
		// noHome: the victim has no HOME, and the attacker takes the lock
		// directory's name too; kagi goes on without locks, a second line.
		noHome bool
	}{
		{"directory-0777", func(t *testing.T, disk, mine string) string {
			attacker.run(t, "mkdir", "-m", "0777", shm)
			return shm
		}, false},
		{"symlink-to-disk", func(t *testing.T, disk, mine string) string {
			attacker.run(t, "ln", "-s", disk, shm)
			return disk
		}, false},
		// A link to a private directory of the victim's own on disk passes
		// every owner and mode check made through the link.
		{"symlink-to-victims-own-dir", func(t *testing.T, disk, mine string) string {
			attacker.run(t, "ln", "-s", mine, shm)
			return mine
		}, false},
		{"no-home-lock-dir-too", func(t *testing.T, disk, mine string) string {
			attacker.run(t, "ln", "-s", disk, shm)
			attacker.run(t, "ln", "-s", disk, tmpLocks)
			return disk
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer clear()
			dir := filepath.Join(base, tc.name)
			home := filepath.Join(dir, "home")
			disk := filepath.Join(dir, "attacker-disk")
			mine := filepath.Join(dir, "victim-disk")
			for _, d := range []string{dir, home, disk, mine} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			chown(t, home, victim, 0o700)
			chown(t, mine, victim, 0o700)
			chown(t, disk, attacker, 0o777)
			cfg := filepath.Join(home, "config")
			if err := os.WriteFile(cfg, []byte(multiUserConfig), 0o600); err != nil {
				t.Fatal(err)
			}
			chown(t, cfg, victim, 0o600)

			watch := tc.plant(t, disk, mine)
			if fi, err := os.Lstat(shm); err != nil || fi.Sys().(*syscall.Stat_t).Uid != attacker.uid {
				t.Fatalf("the attacker's %s is not in place: %v", shm, err)
			}

			world, err := awsemu.ParseWorld([]byte(multiUserWorld))
			if err != nil {
				t.Fatal(err)
			}
			srv := awsemu.New(world)
			url, stop, err := srv.Start(t.Context(), "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(stop)

			// The victim's environment: no XDG_RUNTIME_DIR, no
			// KAGI_CACHE_DIR, so kagi picks /dev/shm/kagi-UID itself.
			env := []string{
				"PATH=/usr/local/bin:/usr/bin:/bin",
				"AWS_CONFIG_FILE=" + cfg,
				"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
				"AWS_ENDPOINT_URL=" + url,
				"AWS_EC2_METADATA_DISABLED=true",
				"NO_PROXY=127.0.0.1,localhost",
				"KAGI_BACKEND=file",
				"KAGI_FILE_PASSPHRASE=multiuser-passphrase",
			}
			wantLines := 1
			if tc.noHome {
				env = append(env, "KAGI_FILE_DIR="+filepath.Join(home, "keyring"))
				// The lock directory is refused too, and with no HOME there
				// is no state directory to remember the stored keys' id in.
				wantLines = 3
			} else {
				env = append(env, "HOME="+home)
			}
			kagi := func(extra []string, args ...string) (stdout string, stderrLines []string) {
				t.Helper()
				ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
				defer cancel()
				cmd := victim.as(exec.CommandContext(ctx, bin, args...))
				cmd.Env = append(append([]string{}, env...), extra...)
				cmd.Dir = home
				var out, errb bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &errb
				if err := cmd.Run(); err != nil {
					t.Fatalf("kagi %s as %s: %v\n%s", strings.Join(args, " "), victim.name, err, errb.String())
				}
				if s := strings.TrimRight(errb.String(), "\n"); s != "" {
					stderrLines = strings.Split(s, "\n")
				}
				return out.String(), stderrLines
			}
			oneWarning := func(run string, lines []string) {
				t.Helper()
				if len(lines) != wantLines || !strings.HasPrefix(lines[0], "kagi: warning: ") ||
					!strings.Contains(lines[0], shm) || !strings.Contains(lines[0], "encrypted keyring") {
					t.Fatalf("%s: stderr %q, want exactly one warning line naming %s and the keyring", run, lines, shm)
				}
				if tc.noHome && (!strings.HasPrefix(lines[1], "kagi: warning: ") || !strings.Contains(lines[1], "lock directory "+strconv.Quote(tmpLocks)) ||
					!strings.Contains(lines[1], "without cross-process locks")) {
					t.Fatalf("%s: stderr %q, want a second line saying %s is not used for locks", run, lines, tmpLocks)
				}
				if tc.noHome && (!strings.HasPrefix(lines[2], "kagi: warning: ") || !strings.Contains(lines[2], "key id") || !strings.Contains(lines[2], "HOME is not set")) {
					t.Fatalf("%s: stderr %q, want a third line saying the key id cannot be remembered without HOME", run, lines)
				}
			}

			kagi([]string{"AWS_ACCESS_KEY_ID=" + jumpKeyID, "AWS_SECRET_ACCESS_KEY=" + jumpSecret}, "add", "jumpuser", "--env")
			code, err := srv.FreshTOTP(jumpSerial)
			if err != nil {
				t.Fatal(err)
			}
			out, lines := kagi([]string{"KAGI_MFA_TOKEN=" + code}, "export", "prod", "--format", "json")
			oneWarning("first export", lines)
			t.Logf("the victim's stderr: %q", lines)
			var got struct{ AccessKeyId, SecretAccessKey, SessionToken string }
			if err := json.Unmarshal([]byte(out), &got); err != nil || got.SecretAccessKey == "" {
				t.Fatalf("first export printed %q: %v", out, err)
			}
			if s := srv.Stats(); s["GetSessionToken"] != 1 || s["AssumeRole"] != 1 {
				t.Fatalf("STS calls after the first export: %v", s)
			}

			// No code this time: the role is cached, and another role is
			// served from the cached MFA session, both from the keyring.
			out2, lines := kagi(nil, "export", "prod", "--format", "json")
			oneWarning("second export", lines)
			if !strings.Contains(out2, got.SecretAccessKey) {
				t.Fatalf("second export did not reuse the cached role credentials: %s", out2)
			}
			_, lines = kagi(nil, "exec", "audit", "--", "true")
			oneWarning("exec of another role", lines)
			if s := srv.Stats(); s["GetSessionToken"] != 1 || s["AssumeRole"] != 2 {
				t.Fatalf("STS calls after reusing the session: %v (want one GetSessionToken, two AssumeRole)", s)
			}

			// Nothing reached what the attacker controls, and nothing
			// anywhere on disk holds a secret in plaintext.
			if des, err := os.ReadDir(watch); err != nil || len(des) != 0 {
				t.Fatalf("the attacker's %s holds %v (%v)", watch, des, err)
			}
			secrets := []string{got.SecretAccessKey, got.SessionToken, jumpSecret}
			for _, root := range []string{home, disk, dir} {
				noPlaintext(t, root, secrets)
			}
		})
	}
}

func chown(t *testing.T, path string, u localUser, mode os.FileMode) {
	t.Helper()
	if err := os.Chown(path, int(u.uid), int(u.gid)); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// noPlaintext fails when a file under root holds one of secrets as is.
func noPlaintext(t *testing.T, root string, secrets []string) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				t.Errorf("%s holds a secret in plaintext", path)
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
}

//go:build unix

package fsguard

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPrivateGroup(t *testing.T) {
	dir := t.TempDir()
	passwd := filepath.Join(dir, "passwd")
	group := filepath.Join(dir, "group")
	os.WriteFile(passwd, []byte("root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:100::/home/bob:/bin/sh\ncarol:x:1002:1002::/home/carol:/bin/sh\ndave:x:1003:1002::/home/dave:/bin/sh\n"), 0o600)
	os.WriteFile(group, []byte("root:x:0:\nalice:x:1000:\nusers:x:100:alice,bob\ncarol:x:1002:\nerin:x:1004:erin,alice\n"), 0o600)
	for _, tc := range []struct {
		name     string
		gid, uid int
		want     bool
	}{
		{"alice's own group", 1000, 1000, true},
		{"a shared group", 100, 1001, false},
		{"another user's group", 1000, 1001, false},
		{"a group that is also another user's primary group", 1002, 1002, false},
		{"a group named for someone else", 1004, 1000, false},
		{"an unknown uid", 1000, 4242, false},
	} {
		if got := privateGroup(passwd, group, tc.gid, tc.uid); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	os.WriteFile(group, []byte("alice:x:1000:mallory\n"), 0o600)
	if privateGroup(passwd, group, 1000, 1000) {
		t.Error("a private group with another member counted as private")
	}
	if privateGroup(filepath.Join(dir, "missing"), group, 1000, 1000) {
		t.Error("an unreadable passwd counted as private")
	}
}

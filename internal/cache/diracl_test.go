package cache

import (
	"errors"
	"strings"
	"testing"
)

// The Windows directory check, fed what GetNamedSecurityInfo reports for
// typical directories. The system calls themselves run only on Windows.
func TestJudgeDirSecurity(t *testing.T) {
	const (
		me    = "S-1-5-21-1004336348-1177238915-682003330-1001"
		other = "S-1-5-21-1004336348-1177238915-682003330-1002"
		users = "S-1-5-32-545" // BUILTIN\Users
		every = "S-1-1-0"      // Everyone
		auth  = "S-1-5-11"     // Authenticated Users
	)
	allow := func(sid string) aclEntry { return aclEntry{Type: 0, SID: sid, Mask: 0x1f01ff} }
	// What kagi creates: this user and SYSTEM.
	mine := []aclEntry{allow(me), allow(sidSystem)}
	// What %LOCALAPPDATA% passes down: this user, SYSTEM, Administrators.
	profile := []aclEntry{allow(sidSystem), allow(sidAdministrators), allow(me)}
	for _, tc := range []struct {
		name   string
		sec    dirSecurity
		reason string // "" when accepted
		fix    bool
	}{
		{"created by kagi", dirSecurity{Owner: me, HasDACL: true, DACL: mine}, "", false},
		{"inherited from the profile", dirSecurity{Owner: me, HasDACL: true, DACL: profile}, "", false},
		{"made by an elevated admin", dirSecurity{Owner: sidAdministrators, HasDACL: true, DACL: profile}, "", false},
		{"creator owner placeholder", dirSecurity{Owner: me, HasDACL: true, DACL: append(mine, allow(sidCreatorOwner))}, "", false},
		{"deny for others is fine", dirSecurity{Owner: me, HasDACL: true, DACL: append(mine, aclEntry{Type: aceAccessDenied, SID: every, Mask: 0x1f01ff})}, "", false},
		{"empty mask grants nothing", dirSecurity{Owner: me, HasDACL: true, DACL: append(mine, aclEntry{SID: users})}, "", false},
		{"owned by another user", dirSecurity{Owner: other, HasDACL: true, DACL: mine}, "owned by " + other, false},
		{"no DACL", dirSecurity{Owner: me}, "no access list", true},
		{"C:\\ style: Users may write", dirSecurity{Owner: me, HasDACL: true, DACL: append(profile, allow(users))}, "lets " + users + " in", true},
		{"Authenticated Users read", dirSecurity{Owner: me, HasDACL: true, DACL: append(mine, aclEntry{SID: auth, Mask: 0x1200a9})}, "lets " + auth + " in", true},
		{"Everyone, inherit only", dirSecurity{Owner: me, HasDACL: true, DACL: append(mine, aclEntry{Type: 0, SID: every, Mask: 0x10000000})}, "lets " + every + " in", true},
		{"an object entry (unknown SID)", dirSecurity{Owner: me, HasDACL: true, DACL: append(mine, aclEntry{Type: 5, SID: "S-1-0-garbled", Mask: 1})}, "lets S-1-0-garbled in", true},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			err := judgeDirSecurity(`C:\Users\me\AppData\Local\kagi\cache`, me, tc.sec)
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ue *UnsafeDirError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("got %v; want an UnsafeDirError saying %q", err, tc.reason)
			}
			if (ue.Fix != "") != tc.fix || strings.Contains(err.Error(), "\n") {
				t.Fatalf("fix %q for %v", ue.Fix, err)
			}
			// The fix is pasted into cmd.exe: the path as it is, not Go-quoted.
			if tc.fix && !strings.Contains(ue.Fix, `rmdir /s "C:\Users\me\AppData\Local\kagi\cache"`) {
				t.Fatalf("fix %q is not a command to paste", ue.Fix)
			}
			if h := ue.Hint(); !strings.Contains(h, "KAGI_CACHE_DIR") {
				t.Fatalf("hint %q does not say what to use instead", h)
			}
		})
	}
}

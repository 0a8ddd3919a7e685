package cache

import "fmt"

// Well-known Windows SIDs trusted with a cache directory: they can read
// any file of this user anyway (an administrator takes ownership; SYSTEM
// is the system), as root can on Unix.
const (
	sidSystem         = "S-1-5-18"
	sidAdministrators = "S-1-5-32-544"
	// sidCreatorOwner in an inheritable entry stands for whoever creates a
	// file in the directory: this user, since no one else may create one.
	sidCreatorOwner = "S-1-3-0"
	// sidOwnerRights stands for the owner, who must be trusted already.
	sidOwnerRights = "S-1-3-4"
)

// Types of access-control entries that deny; every other type found in a
// DACL grants something to its SID.
const (
	aceAccessDenied               = 1
	aceAccessDeniedObject         = 6
	aceAccessDeniedCallback       = 10
	aceAccessDeniedCallbackObject = 12
)

// aclEntry is one access-control entry of a directory's DACL, as Windows
// reports it: its type, the SID it is for (as a string, "S-1-5-..."), and
// the access mask.
type aclEntry struct {
	Type byte
	SID  string
	Mask uint32
}

// dirSecurity is what Windows says about who may use a directory.
type dirSecurity struct {
	Owner   string // SID
	HasDACL bool   // false: no DACL at all, which lets everyone in
	DACL    []aclEntry
}

// judgeDirSecurity refuses a Windows cache directory that another user
// could read, write or replace: one owned by another user, or whose DACL
// grants anything to a SID other than this user's (me), SYSTEM or the
// Administrators. Inherit-only entries count too: they would give the
// files inside to whoever they name. It is the Windows twin of the mode
// and owner checks on Unix, kept apart from the system calls so that it
// is tested everywhere.
func judgeDirSecurity(dir, me string, sec dirSecurity) error {
	// Quoted for cmd.exe, not Go: the hint is meant to be pasted.
	fix := fmt.Sprintf(`remove it (rmdir /s "%s") so that kagi makes it again, private`, dir)
	switch sec.Owner {
	case me, sidSystem, sidAdministrators:
	default:
		return &UnsafeDirError{Dir: dir, Reason: fmt.Sprintf("owned by %s, not by you (%s)", sec.Owner, me)}
	}
	if !sec.HasDACL {
		return &UnsafeDirError{Dir: dir, Reason: "it has no access list, which lets every user in", Fix: fix}
	}
	for _, e := range sec.DACL {
		switch e.Type {
		case aceAccessDenied, aceAccessDeniedObject, aceAccessDeniedCallback, aceAccessDeniedCallbackObject:
			continue
		}
		switch e.SID {
		case me, sidSystem, sidAdministrators, sidCreatorOwner, sidOwnerRights:
			continue
		}
		if e.Mask == 0 {
			continue
		}
		return &UnsafeDirError{Dir: dir, Reason: fmt.Sprintf("its access list lets %s in", e.SID), Fix: fix}
	}
	return nil
}

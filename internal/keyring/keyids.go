package keyring

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kagi-cli/kagi/internal/atomicfile"
	"github.com/kagi-cli/kagi/internal/fsguard"
)

// KeyIDs remembers, beside one keyring, the access key id of the keys
// stored in it for each profile: one small 0600 file per profile in a 0700
// directory of the user's state ($XDG_STATE_HOME/kagi/key-ids, else
// ~/.local/state/kagi/key-ids). The id is public (every signed request and
// CloudTrail show it), so it may lie in plaintext; it lets kagi key cached
// sessions by the identity of the keys on every run without opening the
// keyring (no D-Bus round trip, no passphrase). The files are named by a
// hash of the keyring (backend as chosen, file backend directory) and the
// profile, so that two keyrings never share a memory.
//
// It is a creds.KeyIDs. A file that is missing, unreadable or not what it
// should be reads as "nothing remembered": the caller then reads the keys
// and remembers again. Nothing here is a secret, and a wrong id can only
// make kagi use or miss this user's own cached sessions, so the files are
// not checked for other writers on the warm path.
type KeyIDs struct {
	dir   string // "" when there is no state directory
	scope string // the keyring's identity
	unset string // what to set when dir is ""
}

// maxKeyIDFile bounds what KeyID reads: the file is under 200 bytes.
const maxKeyIDFile = 4 << 10

// NewKeyIDs returns the memory of the keyring that opts selects (Backend
// as chosen, "" for the platform's default, and the file backend's
// directory). It reads only the environment.
func NewKeyIDs(opts Options) *KeyIDs {
	fileDir, _ := FileDir(opts) // part of the identity; "" when unknown
	unset := "HOME"
	if opts.goos() == "windows" {
		unset = "LOCALAPPDATA"
	}
	return &KeyIDs{dir: stateDir(opts), scope: opts.Backend + "\x00" + fileDir, unset: unset}
}

// stateDir is $XDG_STATE_HOME/kagi/key-ids (an absolute XDG_STATE_HOME
// only, as the XDG spec says), else ~/.local/state/kagi/key-ids, or on
// Windows %LOCALAPPDATA%\kagi\key-ids.
func stateDir(opts Options) string {
	if base := opts.env("XDG_STATE_HOME"); filepath.IsAbs(base) {
		return filepath.Join(base, "kagi", "key-ids")
	}
	if opts.goos() == "windows" {
		if base := localAppData(opts); base != "" {
			return filepath.Join(base, "kagi", "key-ids")
		}
		return ""
	}
	home := opts.env("HOME")
	if home == "" {
		return ""
	}
	return filepath.Join(home, ".local", "state", "kagi", "key-ids")
}

// keyIDFile is what one file holds.
type keyIDFile struct {
	Profile     string `json:"profile"`
	AccessKeyID string `json:"access_key_id"`
}

func (k *KeyIDs) path(profile string) string {
	sum := sha256.Sum256([]byte(k.scope + "\x00" + profile))
	return filepath.Join(k.dir, hex.EncodeToString(sum[:16])+".json")
}

// KeyID returns the access key id remembered for profile.
func (k *KeyIDs) KeyID(profile string) (string, bool) {
	if k == nil || k.dir == "" || profile == "" {
		return "", false
	}
	data, err := fsguard.Read(k.path(profile), maxKeyIDFile)
	if err != nil {
		return "", false
	}
	var f keyIDFile
	if json.Unmarshal(data, &f) != nil || f.Profile != profile || !ValidAccessKeyID(f.AccessKeyID) {
		return "", false
	}
	return f.AccessKeyID, true
}

// SetKeyID remembers id for profile, atomically.
func (k *KeyIDs) SetKeyID(profile, id string) error {
	if k == nil || k.dir == "" {
		return fmt.Errorf("no state directory: %s is not set", k.unsetVar())
	}
	if profile == "" || !ValidAccessKeyID(id) {
		return fmt.Errorf("cannot remember %q as the key id of profile %q", id, profile)
	}
	if err := os.MkdirAll(k.dir, 0o700); err != nil {
		return fmt.Errorf("remember the key id of profile %q: %w", profile, err)
	}
	data, err := json.Marshal(keyIDFile{Profile: profile, AccessKeyID: id})
	if err != nil {
		return err
	}
	if err := atomicfile.Write(k.path(profile), append(data, '\n'), 0o600, ".key-id.tmp*"); err != nil {
		return fmt.Errorf("remember the key id of profile %q: %w", profile, err)
	}
	return nil
}

// Forget removes what is remembered for profile; nothing remembered is not
// an error.
func (k *KeyIDs) Forget(profile string) error {
	if k == nil || k.dir == "" || profile == "" {
		return nil
	}
	if err := os.Remove(k.path(profile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("forget the key id of profile %q: %w", profile, err)
	}
	return nil
}

func (k *KeyIDs) unsetVar() string {
	if k == nil || k.unset == "" {
		return "HOME"
	}
	return k.unset
}

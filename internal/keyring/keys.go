package keyring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// keysPrefix starts the item name of a profile's long-term keys.
const keysPrefix = "keys:"

// AccessKeys are an IAM user's long-term keys. Printing them with any fmt
// verb shows the key id and "[redacted]" for the secret.
type AccessKeys struct {
	AccessKeyID     string
	SecretAccessKey string
}

func (k AccessKeys) String() string {
	return fmt.Sprintf("{%s %s}", k.AccessKeyID, redacted(k.SecretAccessKey))
}

func (k AccessKeys) GoString() string {
	return fmt.Sprintf("keyring.AccessKeys{AccessKeyID:%q, SecretAccessKey:%q}", k.AccessKeyID, redacted(k.SecretAccessKey))
}

// Format makes every verb (%v, %+v, %#v, %s, %q, %x...) go through String
// or GoString, so no verb prints the secret.
func (k AccessKeys) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, k.GoString())
		return
	}
	fmt.Fprint(f, k.String())
}

func redacted(secret string) string {
	if secret == "" {
		return ""
	}
	return "[redacted]"
}

// storedKeys is the item's data; the field names are the file format.
type storedKeys struct {
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
}

// KeysItemName is the item under which profile's keys are stored:
// "keys:" and the profile, with '%', '/', spaces and bytes outside printable
// ASCII written as %XX so any profile name fits the Keyring name rules.
func KeysItemName(profile string) (string, error) {
	if profile == "" {
		return "", errors.New("empty profile name")
	}
	var b strings.Builder
	b.WriteString(keysPrefix)
	for i := 0; i < len(profile); i++ {
		c := profile[i]
		if c <= ' ' || c > '~' || c == '/' || c == '%' {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	if b.Len() > MaxNameLen {
		return "", fmt.Errorf("profile name %q is too long to store keys for", profile)
	}
	return b.String(), nil
}

// profileOfItem is the inverse of KeysItemName; ok is false for an item
// that is not a profile's keys.
// ProfileOfKeysItem is the profile whose keys item is name ("keys:" and
// the escaped profile), if name is one.
func ProfileOfKeysItem(name string) (profile string, ok bool) { return profileOfItem(name) }

func profileOfItem(name string) (profile string, ok bool) {
	rest, ok := strings.CutPrefix(name, keysPrefix)
	if !ok || rest == "" {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(rest); i++ {
		if rest[i] != '%' {
			b.WriteByte(rest[i])
			continue
		}
		if i+2 >= len(rest) {
			return "", false
		}
		hi, ok1 := unhex(rest[i+1])
		lo, ok2 := unhex(rest[i+2])
		if !ok1 || !ok2 {
			return "", false
		}
		b.WriteByte(hi<<4 | lo)
		i += 2
	}
	return b.String(), true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// GetKeys returns the keys stored for profile; an error wrapping
// ErrNotFound when there are none.
func GetKeys(ctx context.Context, kr Keyring, profile string) (AccessKeys, error) {
	name, err := KeysItemName(profile)
	if err != nil {
		return AccessKeys{}, err
	}
	data, err := kr.Get(ctx, name)
	if err != nil {
		return AccessKeys{}, fmt.Errorf("read the keys of profile %q: %w", profile, err)
	}
	var s storedKeys
	if err := json.Unmarshal(data, &s); err != nil || s.AccessKeyID == "" || s.SecretAccessKey == "" {
		// The data is not quoted: it holds the secret.
		return AccessKeys{}, fmt.Errorf("keys of profile %q in the %s keyring are not readable (stored by another program?)", profile, kr.Backend())
	}
	return AccessKeys{AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey}, nil
}

// SetKeys stores keys for profile, replacing any stored before.
func SetKeys(ctx context.Context, kr Keyring, profile string, keys AccessKeys) error {
	name, err := KeysItemName(profile)
	if err != nil {
		return err
	}
	if keys.AccessKeyID == "" || keys.SecretAccessKey == "" {
		return fmt.Errorf("keys of profile %q: access key id and secret access key must both be set", profile)
	}
	data, err := json.Marshal(storedKeys(keys))
	if err != nil {
		return err
	}
	if err := kr.Set(ctx, name, data); err != nil {
		return fmt.Errorf("store the keys of profile %q: %w", profile, err)
	}
	return nil
}

// RemoveKeys deletes the keys stored for profile; an error wrapping
// ErrNotFound when there are none.
func RemoveKeys(ctx context.Context, kr Keyring, profile string) error {
	name, err := KeysItemName(profile)
	if err != nil {
		return err
	}
	if err := kr.Remove(ctx, name); err != nil {
		return fmt.Errorf("remove the keys of profile %q: %w", profile, err)
	}
	return nil
}

// ListKeyProfiles returns, sorted, the profiles that have keys stored.
func ListKeyProfiles(ctx context.Context, kr Keyring) ([]string, error) {
	names, err := kr.List(ctx)
	if err != nil {
		return nil, err
	}
	var profiles []string
	for _, n := range names {
		if p, ok := profileOfItem(n); ok {
			profiles = append(profiles, p)
		}
	}
	sort.Strings(profiles)
	return profiles, nil
}

// ValidAccessKeyID reports whether id looks like an access key id as AWS
// issues them: 20 upper-case letters and digits, starting with AKIA (an IAM
// user's long-term key) or ASIA (temporary credentials).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids
func ValidAccessKeyID(id string) bool {
	if len(id) != 20 || (!strings.HasPrefix(id, "AKIA") && !strings.HasPrefix(id, "ASIA")) {
		return false
	}
	for i := 4; i < len(id); i++ {
		if c := id[i]; !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

package rotate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kagi-cli/kagi/internal/keyring"
)

// pendingPrefix starts the name of the keyring item that records a
// rotation under way: "rotating:" and the profile, escaped as for its keys.
// It holds the new secret, so it lives in the keyring beside the keys,
// never in a plain file.
const pendingPrefix = "rotating:"

// pending is the journal of one rotation: written before CreateAccessKey
// (NewKeyID empty: "creating") and again, with the new key, before
// anything depends on the new key ("created"). Its field names are the
// item's format.
type pending struct {
	Profile  string    `json:"profile"`
	User     string    `json:"user"`
	UserARN  string    `json:"user_arn"`
	OldKeyID string    `json:"old_access_key_id"`
	Started  time.Time `json:"started"`
	// The new key, once IAM made it.
	NewKeyID   string    `json:"new_access_key_id,omitempty"`
	NewSecret  string    `json:"new_secret_access_key,omitempty"`
	NewCreated time.Time `json:"new_created,omitzero"`
}

func (p *pending) newKeys() keyring.AccessKeys {
	return keyring.AccessKeys{AccessKeyID: p.NewKeyID, SecretAccessKey: p.NewSecret}
}

// PendingItemName is the keyring item of profile's rotation record.
func PendingItemName(profile string) (string, error) {
	name, err := keyring.KeysItemName(profile)
	if err != nil {
		return "", err
	}
	name = pendingPrefix + strings.TrimPrefix(name, "keys:")
	if !keyring.ValidName(name) {
		return "", fmt.Errorf("profile name %q is too long to rotate its keys", profile)
	}
	return name, nil
}

// PendingProfiles are the profiles with a rotation under way (a rotation
// record in kr), sorted. Names only: the file backend lists them without
// its passphrase.
func PendingProfiles(ctx context.Context, kr keyring.Keyring) ([]string, error) {
	names, err := kr.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		if rest, ok := strings.CutPrefix(n, pendingPrefix); ok {
			if p, ok := keyring.ProfileOfKeysItem("keys:" + rest); ok {
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

func loadPending(ctx context.Context, kr keyring.Keyring, profile string) (*pending, error) {
	name, err := PendingItemName(profile)
	if err != nil {
		return nil, err
	}
	data, err := kr.Get(ctx, name)
	if errors.Is(err, keyring.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the rotation record of profile %q: %w", profile, err)
	}
	var p pending
	if err := json.Unmarshal(data, &p); err != nil || p.Profile != profile || !keyring.ValidAccessKeyID(p.OldKeyID) ||
		(p.NewKeyID != "" && (!keyring.ValidAccessKeyID(p.NewKeyID) || p.NewSecret == "")) {
		// The data is not quoted: it may hold a secret.
		return nil, fmt.Errorf("the rotation record of profile %q in the %s keyring is not readable", profile, kr.Backend())
	}
	return &p, nil
}

func savePending(ctx context.Context, kr keyring.Keyring, p *pending) error {
	name, err := PendingItemName(p.Profile)
	if err != nil {
		return err
	}
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if err := kr.Set(ctx, name, data); err != nil {
		return fmt.Errorf("store the rotation record of profile %q: %w", p.Profile, err)
	}
	return nil
}

func removePending(ctx context.Context, kr keyring.Keyring, profile string) error {
	name, err := PendingItemName(profile)
	if err != nil {
		return err
	}
	if err := kr.Remove(ctx, name); err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("remove the rotation record of profile %q: %w", profile, err)
	}
	return nil
}

// Forget removes profile's rotation record, for `kagi remove`; it returns
// the id of the new key the record held ("" when there was none, or the
// record had no new key yet), which stays in IAM.
func Forget(ctx context.Context, kr keyring.Keyring, profile string) (string, error) {
	p, err := loadPending(ctx, kr, profile)
	if err != nil || p == nil {
		if err != nil {
			// Unreadable: remove it all the same.
			return "", removePending(ctx, kr, profile)
		}
		return "", nil
	}
	return p.NewKeyID, removePending(ctx, kr, profile)
}

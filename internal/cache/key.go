package cache

import (
	"fmt"
	"time"
)

// Keys are lowercase hex digests (a SHA-256 is 64 digits). Checking them
// keeps a key from naming a path outside the cache directory or an item
// the keyring would refuse.
const (
	minKeyLen = 16
	maxKeyLen = 128
)

// ValidKey reports whether key can name an entry: 16 to 128 lowercase hex
// digits.
func ValidKey(key string) bool {
	if len(key) < minKeyLen || len(key) > maxKeyLen {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func checkKey(key string) error {
	if !ValidKey(key) {
		return fmt.Errorf("invalid cache key %q: want 16 to 128 lowercase hex digits", key)
	}
	return nil
}

// complete reports whether e has what every use of an entry needs. An entry
// read back without it is corrupt; Put refuses to store one.
func (e Entry) complete() bool {
	return e.AccessKeyID != "" && e.SecretAccessKey != "" && !e.Expiration.IsZero()
}

func checkEntry(key string, e Entry) error {
	if !e.complete() {
		// Name the missing parts, never the values.
		return fmt.Errorf("cache entry %q is incomplete: it needs an access key id, a secret key and an expiration", key)
	}
	return nil
}

func (e Entry) info(key string) Info {
	return Info{Key: key, Profile: e.Profile, Kind: e.Kind, Detail: e.Detail, Root: e.Root, Expiration: e.Expiration}
}

// expired reports whether e's credentials ended before now.
func (e Entry) expired(now time.Time) bool { return !e.Expiration.After(now) }

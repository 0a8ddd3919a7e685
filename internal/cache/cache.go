// Package cache keeps temporary AWS credentials between kagi processes, and
// the cross-process locks that make concurrent processes wait for the one
// that is refreshing an entry instead of each asking STS (and the user).
package cache

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNotFound is returned by Get for a missing, expired-and-removed or
// corrupt entry (a corrupt entry is deleted, never fatal).
var ErrNotFound = errors.New("no cached credentials")

// Entry is one set of temporary credentials at rest.
type Entry struct {
	AccessKeyID     string    `json:"access_key_id"`
	SecretAccessKey string    `json:"secret_access_key"`
	SessionToken    string    `json:"session_token"`
	Expiration      time.Time `json:"expiration"`
	// Profile and Kind ("session" for an MFA session, "role" for a role hop)
	// describe the entry for `kagi list` and `kagi clear PROFILE`.
	Profile string `json:"profile"`
	Kind    string `json:"kind"`
	// Detail is a public description: the MFA serial or the role ARN.
	Detail string `json:"detail,omitempty"`
	// Root names the source credentials the entry descends from (a hash of
	// their public identity, such as the access key id of stored keys): the
	// MFA session made with them and every role chained from it share it,
	// so that all of them can be dropped at once when those keys are
	// replaced or removed (DeleteRoot). Public, like the other fields above.
	Root string `json:"root,omitempty"`
}

// Info is what List says about an entry, without its secrets.
type Info struct {
	Key        string
	Profile    string
	Kind       string
	Detail     string
	Root       string
	Expiration time.Time
}

// Store holds entries by key (an opaque hash of everything that changes the
// result of the STS call) and hands out per-key locks.
//
// Contract, checked for every implementation by one conformance suite:
//   - Get returns what the last Put stored for key, or wraps ErrNotFound.
//     A corrupt or unreadable entry is deleted and reported as ErrNotFound.
//   - Put replaces the entry atomically: a concurrent Get sees the old or
//     the new entry, never a mix; a crash leaves one of the two.
//   - Delete removes key; deleting a missing key is not an error.
//   - List returns Info for every entry.
//   - Lock blocks until this process holds key's lock across all processes
//     of the same user, or ctx is done. The lock is released by unlock or
//     when the holding process dies (even by SIGKILL). Writers of key hold
//     its lock, so a store may treat what a Put of key left behind as a
//     dead writer's once the lock is taken.
//   - PutFailure keeps f as key's failure record, beside key's lock and
//     visible to every process that shares the lock, replacing any earlier
//     one atomically (0600). GetFailure returns the last one, or wraps
//     ErrNotFound; a corrupt record is removed and reported as ErrNotFound.
//     DeleteFailure removes it; deleting a missing one is not an error.
//     Records are apart from entries: Get, Put, Delete and List ignore them.
//   - Secrets never reach persistent disk unencrypted, nor any file wider
//     than 0600, nor an error message.
type Store interface {
	Get(ctx context.Context, key string) (Entry, error)
	Put(ctx context.Context, key string, e Entry) error
	Delete(ctx context.Context, key string) error
	List(ctx context.Context) ([]Info, error)
	Lock(ctx context.Context, key string) (unlock func(), err error)
	PutFailure(ctx context.Context, key string, f Failure) error
	GetFailure(ctx context.Context, key string) (Failure, error)
	DeleteFailure(ctx context.Context, key string) error
}

// Failure is why a refresh failed, kept beside the entry's lock for the
// processes that were waiting on that lock: they fail with it at once
// instead of each running the whole chain again (50 processes against an
// unreachable STS would otherwise run mfa_process 50 times, one after
// another). It holds an error's text, which is never secret by policy, and
// no credentials.
type Failure struct {
	Message string    `json:"message"`
	Hint    string    `json:"hint,omitempty"`
	When    time.Time `json:"when"`
	// Code is set when the failure is an MFA code STS rejected: it tells
	// that code from others, so that only that code is refused again.
	Code *RejectedCode `json:"code,omitempty"`
}

// RejectedCode marks an MFA code without holding it: Tag is a few bits of
// a keyed hash of the code under Salt, a random key of this record's own
// (creds makes and checks it). Six digits are a million codes, found from
// a full hash of one in a moment, salted or not; a few bits leave hundreds
// to choose from, so a record tells next to nothing of a code (nor of the
// right code a mistyped one is close to).
type RejectedCode struct {
	Salt []byte `json:"salt"`
	Tag  string `json:"tag"`
	// Generated: the code came from a program (mfa_process, ykman) that
	// gives the same code again until the next one is due, not from a
	// person or a flag.
	Generated bool `json:"generated,omitempty"`
}

// DeleteRoot deletes every entry of store whose Root is root and says how
// many it deleted. An empty root matches nothing.
func DeleteRoot(ctx context.Context, store Store, root string) (int, error) {
	if root == "" {
		return 0, nil
	}
	n, err := DeleteWhere(ctx, store, func(in Info) bool { return in.Root == root })
	if err != nil {
		return n, fmt.Errorf("drop the sessions of replaced credentials: %w", err)
	}
	return n, nil
}

// DeleteWhere deletes every entry of store that match accepts and says how
// many it deleted.
func DeleteWhere(ctx context.Context, store Store, match func(Info) bool) (int, error) {
	infos, err := store.List(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, in := range infos {
		if !match(in) {
			continue
		}
		if err := store.Delete(ctx, in.Key); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

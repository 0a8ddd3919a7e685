package creds

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"sort"
	"strconv"
	"time"

	"github.com/kagi-cli/kagi/internal/config"
)

// keyVersion changes when the meaning of the fields below changes, so that
// an older kagi's entries are never read as this one's.
const keyVersion = "kagi-cache-v1"

// hashFields is the hex SHA-256 of fields, each length-prefixed so that no
// two different lists hash the same input ("a","bc" vs "ab","c").
func hashFields(fields ...string) string {
	h := sha256.New()
	var n [8]byte
	for _, f := range fields {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// mfaSessionKey is the cache key of GetSessionToken: who calls it (the
// source's identity, never its secret), with which device, for how long,
// against which endpoint. A session without MFA is a kind of its own: it
// must never stand in for one with MFA (roles that require MFA refuse it).
//
// The region is deliberately not part of it: credentials from any STS
// endpoint work in every region, and --region must not cost a new MFA code.
// A custom endpoint is: an emulator's sessions mean nothing to AWS.
func mfaSessionKey(sourceID string, m *config.MFASession, endpoint string) string {
	kind := "mfa-session"
	if m.Serial == "" {
		kind = "session-without-mfa"
	}
	return hashFields(keyVersion, kind, sourceID, m.Serial, strconv.FormatInt(int64(m.Duration/time.Second), 10), endpoint)
}

// roleKey is the cache key of one role hop: the key of the step before it
// (so two chains that reach the same role differently never share an
// entry) and every parameter of the AssumeRole. A session name of
// ${aws:username} is keyed as such: the name it stands for is decided by the
// previous step, which is in the key already.
func roleKey(prev string, h config.RoleHop, duration time.Duration, webIdentity bool, endpoint string) string {
	kind := "assume-role"
	if webIdentity {
		kind = "assume-role-with-web-identity"
	}
	session := h.SessionName
	if h.SessionNameIsUsername {
		session = config.UsernameSessionName
	}
	tags := make([]string, 0, len(h.Tags))
	for k, v := range h.Tags {
		tags = append(tags, hashFields(k, v))
	}
	sort.Strings(tags)
	transitive := append([]string(nil), h.TransitiveTags...)
	sort.Strings(transitive)
	return hashFields(keyVersion, kind, prev, h.RoleARN, session, h.ExternalID,
		strconv.FormatInt(int64(duration/time.Second), 10), h.MFASerial, h.SourceIdentity,
		hashFields(tags...), hashFields(transitive...), endpoint)
}

package awsemu

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

// totpStep is RFC 6238's X, the time step of a virtual MFA device.
const totpStep = 30 * time.Second

func decodeTOTPSecret(s string) ([]byte, error) {
	s = strings.ToUpper(strings.ReplaceAll(s, " ", ""))
	s = strings.TrimRight(s, "=")
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("totp_secret is not base32")
	}
	return key, nil
}

// TOTPCode returns the RFC 6238 code (SHA-1, six digits, 30-second steps)
// of the base32 secret at the time at, as an authenticator app shows it.
func TOTPCode(secret string, at time.Time) (string, error) {
	key, err := decodeTOTPSecret(secret)
	if err != nil {
		return "", err
	}
	return hotp(key, totpCounter(at)), nil
}

// totpCounter is the RFC 6238 time counter T at t.
func totpCounter(t time.Time) int64 { return t.Unix() / int64(totpStep/time.Second) }

// hotp is RFC 4226's HOTP with SHA-1 and six digits.
func hotp(key []byte, counter int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(counter))
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", bin%1_000_000)
}

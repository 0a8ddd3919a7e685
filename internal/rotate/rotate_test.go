package rotate

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestUserOf(t *testing.T) {
	for _, tc := range []struct {
		arn, user string
		ok        bool
	}{
		{"arn:aws:iam::111111111111:user/alice", "alice", true},
		{"arn:aws:iam::111111111111:user/team/ops/bob", "bob", true},
		{"arn:aws-cn:iam::111111111111:user/chen", "chen", true},
		{"arn:aws:iam::111111111111:root", "", false},
		{"arn:aws:sts::111111111111:assumed-role/admin/s", "", false},
		{"arn:aws:iam::111111111111:user/", "", false},
	} {
		user, ok := userOf(tc.arn)
		if user != tc.user || ok != tc.ok {
			t.Errorf("userOf(%q) = %q, %v; want %q, %v", tc.arn, user, ok, tc.user, tc.ok)
		}
	}
}

func TestPendingItemName(t *testing.T) {
	name, err := PendingItemName("team a/prod")
	if err != nil || name != "rotating:team%20a%2Fprod" {
		t.Errorf("PendingItemName = %q, %v", name, err)
	}
	// keys: fits 200 bytes, rotating: (4 more) does not.
	long := strings.Repeat("p", 195)
	if _, err := PendingItemName(long); err == nil || !strings.Contains(err.Error(), "too long to rotate") {
		t.Errorf("a name too long for the record: %v", err)
	}
}

func TestLimitErrorNamesTheOtherKey(t *testing.T) {
	created := time.Date(2021, 5, 6, 7, 8, 9, 0, time.UTC)
	e := &LimitError{Profile: "p", User: "u", Other: AccessKey{ID: "AKIAOTHER", Status: "Inactive", Created: created}}
	if got := e.Error(); !strings.Contains(got, "the other one is AKIAOTHER (Inactive, created 2021-05-06, never used)") {
		t.Errorf("never used: %s", got)
	}
	e.OtherUsed = LastUsed{At: created.Add(time.Hour), Service: "s3", Region: "eu-west-1"}
	if got := e.Error(); !strings.Contains(got, "last used 2021-05-06 08:08 UTC (s3, eu-west-1)") {
		t.Errorf("used: %s", got)
	}
	e.UsedErr = errors.New("denied")
	if got := e.Error(); !strings.Contains(got, "last use unknown") {
		t.Errorf("unknown: %s", got)
	}
	if h := e.Hint(); !strings.Contains(h, "aws iam delete-access-key --user-name u --access-key-id AKIAOTHER") || !strings.Contains(h, "kagi rotate p") {
		t.Errorf("hint: %s", h)
	}
}

package creds

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
)

func TestThrottlePatientRetries(t *testing.T) {
	r := awsConfig("us-east-1", nil, false).Retryer().(throttlePatient)
	throttled := &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}
	down := errors.New("dial tcp 127.0.0.1:9: connection refused")
	if got := r.MaxAttempts(); got != maxThrottledAttempts {
		t.Fatalf("MaxAttempts = %d, want %d", got, maxThrottledAttempts)
	}
	for _, tc := range []struct {
		attempt int
		err     error
		stop    bool
	}{
		{1, down, false},
		{2, down, false},
		{3, down, true},
		{3, throttled, false},
		{9, throttled, false},
	} {
		_, err := r.RetryDelay(tc.attempt, tc.err)
		var me *retry.MaxAttemptsError
		if stopped := errors.As(err, &me); stopped != tc.stop {
			t.Errorf("RetryDelay(%d, %v) = %v; want stop %v", tc.attempt, tc.err, err, tc.stop)
		}
	}
}

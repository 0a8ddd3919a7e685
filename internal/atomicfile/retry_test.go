package atomicfile

import (
	"errors"
	"testing"
	"time"
)

// The retry around Windows renames, with a fake clock: the logic runs
// everywhere, the sharing violations it is for only on Windows.
func TestRetryTransient(t *testing.T) {
	busy := errors.New("sharing violation")
	other := errors.New("disk full")
	transient := func(err error) bool { return errors.Is(err, busy) }
	for _, tc := range []struct {
		name      string
		errs      []error // what op returns, try by try; then nil
		want      error
		tries     int
		maxPaused time.Duration
	}{
		{"first try", nil, nil, 1, 0},
		{"busy twice", []error{busy, busy}, nil, 3, 3 * time.Millisecond},
		{"another error at once", []error{other, busy}, other, 1, 0},
		{"busy, then another error", []error{busy, other}, other, 2, time.Millisecond},
		{"busy for good", repeat(busy, 1000), busy, 0, 2*time.Second + 64*time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tries := 0
			var paused time.Duration
			op := func() error {
				tries++
				if tries <= len(tc.errs) {
					return tc.errs[tries-1]
				}
				return nil
			}
			err := retryTransient(op, transient, 2*time.Second, func(d time.Duration) { paused += d })
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if tc.tries != 0 && tries != tc.tries {
				t.Errorf("%d tries, want %d", tries, tc.tries)
			}
			if paused > tc.maxPaused {
				t.Errorf("paused %v, want at most %v", paused, tc.maxPaused)
			}
			if tc.want == busy && paused < 2*time.Second {
				t.Errorf("gave up after %v, before the budget", paused)
			}
		})
	}
}

func repeat(err error, n int) []error {
	out := make([]error, n)
	for i := range out {
		out[i] = err
	}
	return out
}

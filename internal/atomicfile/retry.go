package atomicfile

import "time"

// retryTransient runs op until it succeeds, fails with an error transient
// does not accept, or budget has been spent pausing between tries (1 ms,
// doubling to 64 ms). On Windows a rename over a file that another process
// has open without FILE_SHARE_DELETE (a reader of the old entry, a virus
// scanner, the search indexer) fails for as long as it stays open; Go's
// own tools retry such renames for up to 2 s (cmd/go/internal/robustio).
// sleep is time.Sleep, or a fake in tests.
func retryTransient(op func() error, transient func(error) bool, budget time.Duration, sleep func(time.Duration)) error {
	pause := time.Millisecond
	var spent time.Duration
	for {
		err := op()
		if err == nil || !transient(err) || spent >= budget {
			return err
		}
		sleep(pause)
		spent += pause
		pause = min(2*pause, 64*time.Millisecond)
	}
}

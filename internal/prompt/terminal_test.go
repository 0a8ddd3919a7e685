package prompt

import (
	"context"
	"testing"
	"time"
)

func TestInterruptedWithin(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if !interruptedWithin(cancelled, 0) {
		t.Error("a read ended after Ctrl-C is not an interrupt")
	}
	if interruptedWithin(context.Background(), 0) {
		t.Error("an empty read without Ctrl-C (Unix: no grace) is an interrupt")
	}
	start := time.Now()
	if interruptedWithin(context.Background(), time.Millisecond) {
		t.Error("an empty read with no Ctrl-C within the grace is an interrupt")
	}
	// Windows: the read came back before the signal handler cancelled ctx.
	late, cancelLate := context.WithCancel(context.Background())
	go cancelLate()
	if !interruptedWithin(late, time.Minute) {
		t.Error("Ctrl-C that reaches the handler after the read ended is not an interrupt")
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("interruptedWithin waited %s: it must return as soon as ctx is done", d)
	}
}

package cli

import (
	"context"
	"testing"
	"time"
)

func TestHiddenConsoleMode(t *testing.T) {
	const (
		quickEdit    = 0x0040 // ENABLE_QUICK_EDIT_MODE
		extended     = 0x0080 // ENABLE_EXTENDED_FLAGS
		vtInput      = 0x0200 // ENABLE_VIRTUAL_TERMINAL_INPUT
		windowInput  = 0x0008
		defaultInput = consoleProcessedInput | consoleLineInput | consoleEchoInput | quickEdit | extended // a new console's
	)
	for _, tc := range []struct{ in, want uint32 }{
		{defaultInput, consoleProcessedInput | consoleLineInput | quickEdit | extended},
		// A raw console (a program left it so): line input and Ctrl-C as a
		// signal come back, or the read would not end at Enter and Ctrl-C
		// would be a character.
		{0, consoleProcessedInput | consoleLineInput},
		{consoleEchoInput | vtInput | windowInput, consoleProcessedInput | consoleLineInput | vtInput | windowInput},
	} {
		if got := hiddenConsoleMode(tc.in); got != tc.want {
			t.Errorf("hiddenConsoleMode(%#x) = %#x, want %#x", tc.in, got, tc.want)
		}
		if hiddenConsoleMode(tc.in)&consoleEchoInput != 0 {
			t.Errorf("hiddenConsoleMode(%#x) echoes", tc.in)
		}
	}
}

func TestInterruptedRead(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if !interruptedRead(cancelled, 0) {
		t.Error("a read ended after Ctrl-C is not an interrupt")
	}
	if interruptedRead(context.Background(), 0) {
		t.Error("an empty read without Ctrl-C (Unix: no grace) is an interrupt")
	}
	start := time.Now()
	if interruptedRead(context.Background(), time.Millisecond) {
		t.Error("an empty read with no Ctrl-C within the grace is an interrupt")
	}
	// Windows: the read came back before the signal handler cancelled ctx.
	late, cancelLate := context.WithCancel(context.Background())
	go cancelLate()
	if !interruptedRead(late, time.Minute) {
		t.Error("Ctrl-C that reaches the handler after the read ended is not an interrupt")
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("interruptedRead waited %s: it must return as soon as ctx is done", d)
	}
}

package cli

import "testing"

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

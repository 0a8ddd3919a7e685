package picker

import "testing"

func TestRawConsoleModes(t *testing.T) {
	const (
		quickEdit    = 0x0040 // ENABLE_QUICK_EDIT_MODE
		extended     = 0x0080 // ENABLE_EXTENDED_FLAGS
		insert       = 0x0020
		windowInput  = 0x0008
		defaultInput = consoleProcessedInput | consoleLineInput | consoleEchoInput | insert | quickEdit | extended // a new console's
	)
	for _, tc := range []struct{ in, want uint32 }{
		{defaultInput, insert | quickEdit | extended | consoleVirtualTermInput},
		// Already raw with VT input (another program left it so): unchanged.
		{consoleVirtualTermInput | windowInput, consoleVirtualTermInput | windowInput},
		{0, consoleVirtualTermInput},
	} {
		got := rawConsoleInMode(tc.in)
		if got != tc.want {
			t.Errorf("rawConsoleInMode(%#x) = %#x, want %#x", tc.in, got, tc.want)
		}
		if got&(consoleLineInput|consoleEchoInput|consoleProcessedInput) != 0 {
			t.Errorf("rawConsoleInMode(%#x) = %#x keeps line input, echo or Ctrl-C as a signal", tc.in, got)
		}
	}
	const wrapAtEOL, disableNewlineAutoReturn = 0x0002, 0x0008
	for _, tc := range []struct{ in, want uint32 }{
		{consoleProcessedOutput | wrapAtEOL, consoleProcessedOutput | wrapAtEOL | consoleVirtualTermOutput},
		{0, consoleProcessedOutput | consoleVirtualTermOutput},
		{consoleProcessedOutput | consoleVirtualTermOutput | disableNewlineAutoReturn, consoleProcessedOutput | consoleVirtualTermOutput | disableNewlineAutoReturn},
	} {
		if got := vtConsoleOutMode(tc.in); got != tc.want {
			t.Errorf("vtConsoleOutMode(%#x) = %#x, want %#x", tc.in, got, tc.want)
		}
	}
}

package picker

import (
	"testing"
	"unsafe"
)

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

func TestConsoleHasChar(t *testing.T) {
	if s := unsafe.Sizeof(consoleInputRecord{}); s != 20 {
		t.Fatalf("consoleInputRecord is %d bytes, INPUT_RECORD 20", s)
	}
	const focusEvent, mouseEvent, sizeEvent = 0x0010, 0x0002, 0x0004
	press := func(c uint16) consoleInputRecord {
		return consoleInputRecord{EventType: consoleKeyEvent, KeyDown: 1, RepeatCount: 1, UnicodeChar: c}
	}
	release := press('a')
	release.KeyDown = 0
	shift := press(0)
	shift.VirtualKeyCode = 0x10
	for _, tc := range []struct {
		recs []consoleInputRecord
		want bool
	}{
		{nil, false},
		{[]consoleInputRecord{release}, false},
		{[]consoleInputRecord{shift, {EventType: focusEvent}, {EventType: mouseEvent}, {EventType: sizeEvent}}, false},
		{[]consoleInputRecord{press('a')}, true},
		{[]consoleInputRecord{release, shift, press(0x1b)}, true}, // an arrow's ESC, with virtual terminal input
		{[]consoleInputRecord{press(0x03)}, true},                 // Ctrl-C, processed input off
	} {
		if got := consoleHasChar(tc.recs); got != tc.want {
			t.Errorf("consoleHasChar(%+v) = %v, want %v", tc.recs, got, tc.want)
		}
	}
}

package picker

// Console modes (SetConsoleMode,
// https://learn.microsoft.com/en-us/windows/console/setconsolemode), here
// so the choice of modes is tested on every system; raw_windows.go checks
// at compile time that they are golang.org/x/sys/windows's.
const (
	consoleProcessedInput    = 0x0001 // Ctrl-C is a CTRL_C_EVENT, not a character
	consoleLineInput         = 0x0002 // a read returns at Enter, with line editing
	consoleEchoInput         = 0x0004
	consoleVirtualTermInput  = 0x0200 // keys as VT sequences (arrows: ESC [ A)
	consoleProcessedOutput   = 0x0001
	consoleVirtualTermOutput = 0x0004 // ENABLE_VIRTUAL_TERMINAL_PROCESSING: escape sequences drawn
)

// rawConsoleInMode is the console input mode while the picker shows: each
// key as it is typed (no line input), not echoed, Ctrl-C as a character
// (the picker's interrupt, so that the console's mode is put back before
// kagi exits) and arrows as the escape sequences a Unix terminal sends.
// Every other bit (quick edit, insert mode, ...) stays as the user had it.
func rawConsoleInMode(mode uint32) uint32 {
	return mode&^(consoleLineInput|consoleEchoInput|consoleProcessedInput) | consoleVirtualTermInput
}

// vtConsoleOutMode is the console output mode while the picker draws:
// escape sequences (cursor moves, clearing a line) are carried out, not
// printed.
func vtConsoleOutMode(mode uint32) uint32 {
	return mode | consoleProcessedOutput | consoleVirtualTermOutput
}

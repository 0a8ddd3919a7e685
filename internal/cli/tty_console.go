package cli

// Console input modes (SetConsoleMode,
// https://learn.microsoft.com/en-us/windows/console/setconsolemode), here
// so the choice of mode is tested on every system; tty_windows.go checks
// at compile time that they are golang.org/x/sys/windows's.
const (
	consoleProcessedInput = 0x0001 // Ctrl-C is a CTRL_C_EVENT, not a character
	consoleLineInput      = 0x0002 // a read returns at Enter, with line editing
	consoleEchoInput      = 0x0004
)

// hiddenConsoleMode is the console input mode for reading a secret: no
// echo, as term.ReadPassword sets it, with line input and Ctrl-C as a
// signal kept, so the line can be edited and Ctrl-C interrupts kagi (130)
// instead of arriving as a character. Every other bit (quick edit,
// virtual terminal input, ...) is left as the user's console had it.
func hiddenConsoleMode(mode uint32) uint32 {
	return mode&^consoleEchoInput | consoleProcessedInput | consoleLineInput
}

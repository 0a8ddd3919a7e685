package picker

import "unicode/utf8"

type keyKind int

const (
	keyNone keyKind = iota // a key the picker does not use
	keyRune
	keyEnter
	keyEsc
	keyInterrupt
	keyEOF
	keyBackspace
	keyClearLine
	keyDeleteWord
	keyUp
	keyDown
	keyPageUp
	keyPageDown
	keyHome
	keyEnd
)

type key struct {
	kind keyKind
	r    rune // keyRune
}

// decode turns bytes read from a terminal in raw mode (or a Windows console
// with virtual terminal input) into keys. The keys are fzf's: arrows,
// Ctrl-N/Ctrl-J/Tab down, Ctrl-P/Ctrl-K/Shift-Tab up, Enter (CR) chooses,
// Esc and Ctrl-D on an empty query cancel, Ctrl-C interrupts, Backspace,
// Ctrl-U and Ctrl-W edit the query. What is left at the end of b is the
// start of a key still arriving (an escape sequence or a UTF-8 character
// split across reads): decode returns it as rest, unless final, when a lone
// ESC is the Esc key and anything else incomplete is dropped. A terminal
// sends an escape sequence in one write, so a lone ESC at the end of a read
// is almost always Esc itself; the caller waits a moment for more before it
// decodes with final (as vim's ttimeout does).
func decode(b []byte, final bool) (keys []key, rest []byte) {
	for len(b) > 0 {
		c := b[0]
		switch {
		case c == 0x1b:
			k, n := escape(b)
			if n == 0 { // incomplete
				if !final {
					return keys, b
				}
				if len(b) == 1 {
					keys = append(keys, key{kind: keyEsc})
				}
				return keys, nil
			}
			if k.kind != keyNone {
				keys = append(keys, k)
			}
			b = b[n:]
			continue
		case c < 0x20 || c == 0x7f:
			if k := control(c); k != keyNone {
				keys = append(keys, key{kind: k})
			}
			b = b[1:]
			continue
		}
		if !utf8.FullRune(b) {
			if !final {
				return keys, b
			}
			return keys, nil
		}
		r, n := utf8.DecodeRune(b)
		if r != utf8.RuneError || n > 1 {
			keys = append(keys, key{kind: keyRune, r: r})
		}
		b = b[n:]
	}
	return keys, nil
}

func control(c byte) keyKind {
	switch c {
	case '\r':
		return keyEnter
	case 0x03:
		return keyInterrupt
	case 0x04:
		return keyEOF
	case 0x7f, 0x08:
		return keyBackspace
	case 0x15:
		return keyClearLine
	case 0x17:
		return keyDeleteWord
	case '\t', 0x0e, '\n': // Tab, Ctrl-N, Ctrl-J
		return keyDown
	case 0x10, 0x0b: // Ctrl-P, Ctrl-K
		return keyUp
	case 0x01: // Ctrl-A
		return keyHome
	case 0x05: // Ctrl-E
		return keyEnd
	}
	return keyNone
}

// escape decodes the escape sequence at the start of b (b[0] is ESC): the
// key and its length, or n == 0 when b ends before the sequence does.
// ESC ESC is Esc (pressed twice); ESC and another character is Alt and
// that character, which the picker does not use.
func escape(b []byte) (k key, n int) {
	if len(b) < 2 {
		return key{}, 0
	}
	switch b[1] {
	case '[':
		// CSI: parameter and intermediate bytes, then a final byte
		// 0x40-0x7e (ECMA-48 5.4).
		i := 2
		for i < len(b) && b[i] >= 0x20 && b[i] <= 0x3f {
			i++
		}
		if i == len(b) {
			return key{}, 0
		}
		if b[i] < 0x40 || b[i] > 0x7e {
			return key{}, i // malformed: drop what came so far
		}
		return key{kind: csiKey(string(b[2:i]), b[i])}, i + 1
	case 'O':
		// SS3: arrows in application cursor mode, and Home/End.
		if len(b) < 3 {
			return key{}, 0
		}
		return key{kind: csiKey("", b[2])}, 3
	case 0x1b:
		return key{kind: keyEsc}, 1
	}
	_, size := utf8.DecodeRune(b[1:])
	if !utf8.FullRune(b[1:]) {
		return key{}, 0
	}
	return key{}, 1 + size
}

func csiKey(params string, final byte) keyKind {
	switch final {
	case 'A':
		return keyUp
	case 'B':
		return keyDown
	case 'H':
		return keyHome
	case 'F':
		return keyEnd
	case 'Z': // Shift-Tab
		return keyUp
	case '~':
		switch params {
		case "1", "7":
			return keyHome
		case "4", "8":
			return keyEnd
		case "5":
			return keyPageUp
		case "6":
			return keyPageDown
		}
	}
	return keyNone
}

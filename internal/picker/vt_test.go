package picker

import (
	"strconv"
	"strings"
	"sync"
	"testing"
)

// vt is a small terminal for the tests: a screen of runes that applies the
// escape sequences the picker writes (and fails the test on any other), so
// a test reads what a person would see.
type vt struct {
	t        *testing.T
	mu       sync.Mutex
	w, h     int
	cells    [][]rune
	x, y     int
	wrap     bool
	cursorOn bool
	pending  []byte
	scrolled int      // lines scrolled off the top
	history  []string // the scrollback: lines scrolled off, screens cleared
}

func newVT(t *testing.T, w, h int, lines ...string) *vt {
	v := &vt{t: t, w: w, h: h, wrap: true, cursorOn: true}
	v.cells = make([][]rune, h)
	for i := range v.cells {
		v.cells[i] = blank(w)
	}
	for i, l := range lines {
		copy(v.cells[i], []rune(l))
	}
	v.y = len(lines) // the cursor on the line after them, as after a shell's Enter
	return v
}

func blank(w int) []rune { return []rune(strings.Repeat(" ", w)) }

func (v *vt) Write(p []byte) (int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	b := append(v.pending, p...)
	v.pending = nil
	for len(b) > 0 {
		switch c := b[0]; {
		case c == '\r':
			v.x = 0
			b = b[1:]
		case c == '\n':
			v.lineFeed()
			b = b[1:]
		case c == 0x1b:
			n := v.escape(b)
			b = b[n:]
		default:
			s := string(b)
			r := []rune(s)[0]
			n := len(string(r))
			v.put(r)
			b = b[n:]
		}
	}
	return len(p), nil
}

func (v *vt) lineFeed() {
	if v.y == v.h-1 {
		v.history = append(v.history, string(v.cells[0]))
		v.cells = append(v.cells[1:], blank(v.w))
		v.scrolled++
		return
	}
	v.y++
}

func (v *vt) put(r rune) {
	rw := runeWidth(r)
	if v.x+rw > v.w {
		if !v.wrap {
			v.x = v.w - rw
		} else {
			v.x = 0
			v.lineFeed()
		}
	}
	v.cells[v.y][v.x] = r
	for i := 1; i < rw; i++ {
		v.cells[v.y][v.x+i] = 0 // the second column of a wide rune
	}
	v.x += rw
	if v.x >= v.w && !v.wrap {
		v.x = v.w - 1
	}
}

func (v *vt) escape(b []byte) int {
	if len(b) < 2 || b[1] != '[' {
		v.t.Fatalf("unexpected escape %q", b)
	}
	i := 2
	for i < len(b) && (b[i] >= '0' && b[i] <= '9' || b[i] == '?' || b[i] == ';') {
		i++
	}
	if i == len(b) {
		v.t.Fatalf("escape sequence cut: %q", b)
	}
	params, final := string(b[2:i]), b[i]
	n := 1
	if p, err := strconv.Atoi(params); err == nil {
		n = p
	}
	switch {
	case final == 'A':
		v.y = max(0, v.y-n)
	case final == 'C':
		v.x = min(v.w-1, v.x+n)
	case final == 'K' && params == "":
		for x := v.x; x < v.w; x++ {
			v.cells[v.y][x] = ' '
		}
	case final == 'J' && params == "":
		if v.x == 0 && v.y == 0 {
			// Clearing the whole screen: tmux's scroll-on-clear (on by
			// default) first pushes it into the scrollback.
			for _, row := range v.cells {
				v.history = append(v.history, string(row))
			}
		}
		for x := v.x; x < v.w; x++ {
			v.cells[v.y][x] = ' '
		}
		for y := v.y + 1; y < v.h; y++ {
			v.cells[y] = blank(v.w)
		}
	case final == 'm' && (params == "7" || params == ""):
		// reverse video on and off: not kept, the text is what is read
	case params == "?25" && (final == 'l' || final == 'h'):
		v.cursorOn = final == 'h'
	case params == "?7" && (final == 'l' || final == 'h'):
		v.wrap = final == 'h'
	default:
		v.t.Fatalf("unexpected escape sequence %q", b[:i+1])
	}
	return i + 1
}

// resize changes the size as xterm does: rows kept from the top, the
// cursor kept on its line (the screen scrolls up when the cursor would be
// below the new bottom).
func (v *vt) resize(w, h int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for i := range v.cells {
		row := blank(w)
		copy(row, v.cells[i])
		v.cells[i] = row
	}
	for v.y >= h {
		v.history = append(v.history, string(v.cells[0]))
		v.cells = v.cells[1:]
		v.y--
		v.scrolled++
	}
	for len(v.cells) < h {
		v.cells = append(v.cells, blank(w))
	}
	v.cells = v.cells[:h]
	v.w, v.h = w, h
	v.x = min(v.x, w-1)
}

func (v *vt) size() (int, int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.w, v.h
}

// lines is the screen, each line's trailing blanks dropped, trailing empty
// lines dropped.
func (v *vt) lines() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []string
	for _, row := range v.cells {
		var b strings.Builder
		for _, r := range row {
			if r != 0 {
				b.WriteRune(r)
			}
		}
		out = append(out, strings.TrimRight(b.String(), " "))
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

func (v *vt) cursor() (x, y int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.x, v.y
}

// pickerInHistory is a line of the scrollback that the picker drew, or "".
func (v *vt) pickerInHistory() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, l := range v.history {
		if strings.Contains(l, "profile>") || strings.Contains(l, "> ") {
			return l
		}
	}
	return ""
}

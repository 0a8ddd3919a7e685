package picker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// ErrCancelled is the error of a picker left with Esc (or Ctrl-D on an
// empty query).
var ErrCancelled = errors.New("cancelled")

// ErrInterrupted is the error of a picker left with Ctrl-C. The terminal is
// in raw mode while the picker shows, so Ctrl-C is a key, not SIGINT: the
// caller exits as an interrupt would (130).
var ErrInterrupted = errors.New("interrupted")

// escWait is how long a lone ESC at the end of a read waits for the rest
// of an escape sequence before it is the Esc key.
const escWait = 50 * time.Millisecond

// maxRows bounds the list: the picker shows under the prompt, in the
// shell's scrollback, not over the whole screen.
const maxRows = 15

type chunk struct {
	b   []byte
	err error
}

// session is a picker on a terminal: bytes typed arrive on in, size says
// the terminal's width and height, and resized ticks when it may have
// changed. more, when set, asks the reader for its next read: the reader
// reads only when asked, so nothing typed after the key that ends the
// picker is taken from the terminal (it is the shell's, or the command's).
type session struct {
	prompt  string
	in      <-chan chunk
	more    func()
	size    func() (width, height int)
	resized <-chan struct{}
}

// rowsFor is how many matches the list shows for n items on a terminal
// height lines high: the same number all along (so the lines below do not
// come and go as the query changes), and none on a terminal of one line.
func rowsFor(n, height int) int {
	if height < 2 {
		return 0
	}
	return max(1, min(n, height-1, maxRows))
}

// run shows items on scr and returns the index of the one chosen. It
// returns ErrCancelled, ErrInterrupted, ctx's error (SIGTERM) or a read
// error otherwise. It leaves the lines drawn; the caller clears them (on
// every way out, a panic included).
func run(ctx context.Context, s *session, scr *screen, items []Item) (int, error) {
	m := newModel(items)
	var width, rows int
	draw := func() error {
		w, h := s.size()
		width, rows = w, rowsFor(len(items), h)
		lines, cursor := m.view(s.prompt, width, rows)
		return scr.draw(lines, cursor)
	}
	if err := draw(); err != nil {
		return -1, err
	}
	var pending []byte
	var timeout <-chan time.Time
	asked := false
	for {
		if !asked && s.more != nil {
			s.more()
			asked = true
		}
		var keys []key
		select {
		case <-ctx.Done():
			return -1, ctx.Err()
		case <-s.resized:
			if err := draw(); err != nil {
				return -1, err
			}
			continue
		case <-timeout:
			keys, pending = decode(pending, true)
			timeout = nil
		case c := <-s.in:
			asked = false
			if errors.Is(c.err, io.EOF) {
				// The terminal hung up (Unix), or Ctrl-Z at the start of a
				// console read (Go's console reader calls that end of file).
				return -1, ErrCancelled
			}
			if c.err != nil {
				return -1, fmt.Errorf("read from the terminal: %w", c.err)
			}
			keys, pending = decode(append(pending, c.b...), false)
			timeout = nil
			if len(pending) > 0 {
				timeout = time.After(escWait)
			}
		}
		for _, k := range keys {
			switch m.handle(k, rows) {
			case done:
				return m.chosen(), nil
			case cancelled:
				return -1, ErrCancelled
			case interrupted:
				return -1, ErrInterrupted
			}
		}
		if err := draw(); err != nil {
			return -1, err
		}
	}
}

// Escape sequences (ECMA-48, as xterm, tmux and Windows' console with
// virtual terminal processing take them).
const (
	hideCursor   = "\x1b[?25l"
	showCursor   = "\x1b[?25h"
	noAutowrap   = "\x1b[?7l"
	autowrap     = "\x1b[?7h"
	clearLine    = "\x1b[K"
	clearBelow   = "\x1b[J" // from the cursor to the end of the screen
	cursorUpFmt  = "\x1b[%dA"
	cursorFwdFmt = "\x1b[%dC"
)

// screen draws the picker's lines from the line the cursor is on down,
// and leaves the cursor on the first of them (the query line), so that
// each redraw and the final clear start from there whatever the terminal
// did meanwhile (scrolled, resized).
type screen struct {
	w       io.Writer
	started bool
	lines   int // drawn last time
}

func (s *screen) draw(lines []string, cursor int) error {
	var b strings.Builder
	if !s.started {
		b.WriteString(noAutowrap)
		s.started = true
	}
	b.WriteString(hideCursor + "\r")
	s.lines = len(lines)
	below := len(lines) - 1
	if below > 0 {
		// Newlines first: at the bottom of the screen they scroll it up
		// to make room, and the cursor comes back to the (moved) line.
		b.WriteString(strings.Repeat("\n", below))
		fmt.Fprintf(&b, cursorUpFmt, below)
	}
	for i, l := range lines {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("\r" + clearLine + l)
	}
	b.WriteString(clearBelow) // the lines of a taller earlier draw
	if below > 0 {
		fmt.Fprintf(&b, cursorUpFmt, below)
	}
	b.WriteString("\r")
	if cursor > 0 {
		fmt.Fprintf(&b, cursorFwdFmt, cursor)
	}
	b.WriteString(showCursor)
	_, err := io.WriteString(s.w, b.String())
	return err
}

// clear removes every line the picker drew and puts the terminal's
// settings back: the cursor is where it was before the picker. The query
// line is cleared on its own and the rest from the line below it: erasing
// from the top left corner to the end is clearing the whole screen, which
// tmux (scroll-on-clear) and some terminals answer by pushing the screen
// into the scrollback, picker lines and all.
func (s *screen) clear() {
	if !s.started {
		return
	}
	seq := "\r" + clearLine
	if s.lines > 1 {
		seq += "\n" + clearBelow + fmt.Sprintf(cursorUpFmt, 1) + "\r"
	}
	_, _ = io.WriteString(s.w, seq+showCursor+autowrap)
}

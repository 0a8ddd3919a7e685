package fanout

import (
	"io"
	"sync"
)

// Console owns the lines many runs write to stdout and stderr and the
// progress line drawn under them on a terminal. Every line goes through
// it whole, so lines of different runs never interleave mid-line; on a
// terminal the progress line is cleared before each line and drawn again
// after it, so a line never comes out glued to "kagi: 3/6 done"; and a
// prompt (a passphrase, an MFA code) pauses it, so the question and what
// is typed are not mixed into the runs' output (issue 11).
//
// While paused, lines are held in memory, up to maxHeld bytes; past that a
// run's Write waits for the prompt to be answered (its output pipe fills
// and the run waits too), as at a terminal whose output is suspended.
type Console struct {
	mu       sync.Mutex
	resumed  *sync.Cond // signalled when a pause ends
	out, err io.Writer
	outTTY   bool // out is the terminal the progress line is on
	errTTY   bool // err is a terminal: the progress line is drawn
	status   string
	shown    bool // the status is on the screen
	paused   bool
	held     []heldLine
	heldSize int
	prompts  chan struct{} // one prompt at a time
}

type heldLine struct {
	toErr bool
	line  []byte
}

// maxHeld bounds the output held during a prompt.
const maxHeld = 1 << 20

// NewConsole writes the runs' lines to out and err. outTTY and errTTY say
// which of them is a terminal: the progress line is drawn on err only when
// it is one, and cleared before a line on out only when out is one too
// (the same screen); in a pipe nothing but the lines is written.
func NewConsole(out, err io.Writer, outTTY, errTTY bool) *Console {
	c := &Console{out: out, err: err, outTTY: outTTY, errTTY: errTTY, prompts: make(chan struct{}, 1)}
	c.resumed = sync.NewCond(&c.mu)
	return c
}

// WriteLine writes one line (ending in a newline) to stderr when toErr,
// else to stdout.
func (c *Console) WriteLine(toErr bool, line []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.paused && c.heldSize+len(line) > maxHeld && c.heldSize > 0 {
		c.resumed.Wait()
	}
	if c.paused {
		c.held = append(c.held, heldLine{toErr, append([]byte(nil), line...)})
		c.heldSize += len(line)
		return nil
	}
	return c.writeLocked(toErr, line)
}

func (c *Console) writeLocked(toErr bool, line []byte) error {
	w := c.out
	if toErr {
		w = c.err
	}
	sameScreen := toErr || c.outTTY
	if sameScreen {
		c.clearLocked()
	}
	_, err := w.Write(line)
	if sameScreen {
		c.drawLocked()
	}
	return err
}

// Status replaces the progress line; on a terminal it is drawn at once.
func (c *Console) Status(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.status = s
	if c.paused || !c.errTTY {
		return
	}
	c.clearLocked()
	c.drawLocked()
}

// Close clears the progress line for good.
func (c *Console) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.status = ""
	c.clearLocked()
}

// Pause stops the output for a prompt: it waits for any other prompt to
// be answered, clears the progress line and holds the runs' lines until
// resume is called, which writes them and draws the progress line again.
func (c *Console) Pause() (resume func()) {
	c.prompts <- struct{}{}
	c.mu.Lock()
	c.clearLocked()
	c.paused = true
	c.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			c.paused = false
			held := c.held
			c.held, c.heldSize = nil, 0
			for _, h := range held {
				_ = c.writeLocked(h.toErr, h.line)
			}
			c.drawLocked()
			c.resumed.Broadcast()
			c.mu.Unlock()
			<-c.prompts
		})
	}
}

func (c *Console) clearLocked() {
	if c.errTTY && c.shown {
		_, _ = io.WriteString(c.err, "\r\033[K")
		c.shown = false
	}
}

func (c *Console) drawLocked() {
	if c.errTTY && !c.shown && c.status != "" {
		_, _ = io.WriteString(c.err, c.status)
		c.shown = true
	}
}

// lineWriter is one run's stdout or stderr: each complete line goes to the
// console with prefix in front; Close writes a last line that has no
// newline.
type lineWriter struct {
	c      *Console
	toErr  bool
	prefix string
	buf    []byte
}

func (p *lineWriter) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := indexNewline(p.buf)
		if i < 0 {
			break
		}
		line := append([]byte(p.prefix), p.buf[:i+1]...)
		p.buf = p.buf[i+1:]
		if err := p.c.WriteLine(p.toErr, line); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

func (p *lineWriter) Close() error {
	if len(p.buf) == 0 {
		return nil
	}
	line := append(append([]byte(p.prefix), p.buf...), '\n')
	p.buf = nil
	return p.c.WriteLine(p.toErr, line)
}

func indexNewline(b []byte) int {
	for i, c := range b {
		if c == '\n' {
			return i
		}
	}
	return -1
}

// statusText is the progress line as last set (tests).
func (c *Console) statusText() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// Stderr is a writer for kagi's own lines during a fan-out (warnings, the
// --debug log, a helper's error output): each complete line goes to
// stderr through the console, so it too clears the progress line and
// waits while a prompt is asked. Safe for concurrent use; a last line
// without a newline is written by Flush.
func (c *Console) Stderr() *SharedWriter {
	return &SharedWriter{w: lineWriter{c: c, toErr: true}}
}

// SharedWriter is a line writer many goroutines share.
type SharedWriter struct {
	mu sync.Mutex
	w  lineWriter
}

func (s *SharedWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// Flush writes a last line that has no newline.
func (s *SharedWriter) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Close()
}

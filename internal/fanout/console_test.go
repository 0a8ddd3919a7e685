package fanout

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// screen is a fake terminal: stdout and stderr land on one screen, as they
// do at a terminal, and it renders \r and ESC[K the way a terminal does, so
// tests can assert what a person sees.
type screen struct {
	mu  sync.Mutex
	raw bytes.Buffer
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.raw.Write(p)
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.raw.String()
}

// lines renders the screen: finished lines, then the line the cursor is on.
func (s *screen) lines() (done []string, current string) {
	var cur []rune
	col := 0
	raw := s.String()
	for i := 0; i < len(raw); i++ {
		switch {
		case raw[i] == '\r':
			col = 0
		case strings.HasPrefix(raw[i:], "\033[K"):
			cur = cur[:col]
			i += 2
		case raw[i] == '\n':
			done = append(done, string(cur))
			cur, col = nil, 0
		default:
			if col < len(cur) {
				cur[col] = rune(raw[i])
			} else {
				cur = append(cur, rune(raw[i]))
			}
			col++
		}
	}
	return done, string(cur)
}

func TestConsoleClearsProgressBeforeEachLine(t *testing.T) {
	var scr screen
	c := NewConsole(&scr, &scr, true, true)
	c.Status("kagi: 0/2 done, 0 failed")
	c.WriteLine(false, []byte("a | one\n"))
	c.Status("kagi: 1/2 done, 0 failed")
	c.WriteLine(true, []byte("b | two\n"))
	done, cur := scr.lines()
	if want := []string{"a | one", "b | two"}; strings.Join(done, "|") != strings.Join(want, "|") {
		t.Errorf("lines %q, want %q (raw %q)", done, want, scr.String())
	}
	if cur != "kagi: 1/2 done, 0 failed" {
		t.Errorf("progress line %q (raw %q)", cur, scr.String())
	}
	c.Close()
	if _, cur := scr.lines(); cur != "" {
		t.Errorf("after Close the cursor line is %q, want it cleared", cur)
	}
}

func TestConsoleInAPipeWritesLinesOnly(t *testing.T) {
	var out, errw bytes.Buffer
	c := NewConsole(&out, &errw, false, false)
	c.Status("kagi: 0/1 done, 0 failed")
	c.WriteLine(false, []byte("a | one\n"))
	c.WriteLine(true, []byte("a | err\n"))
	c.Close()
	if out.String() != "a | one\n" || errw.String() != "a | err\n" {
		t.Errorf("stdout %q, stderr %q; want the lines alone", out.String(), errw.String())
	}
}

// stdout redirected to a file, stderr at a terminal: the progress line is
// drawn on stderr, and lines to the file are written without clearing it.
func TestConsoleStdoutInAFileKeepsProgress(t *testing.T) {
	var out, errw bytes.Buffer
	c := NewConsole(&out, &errw, false, true)
	c.Status("p")
	c.WriteLine(false, []byte("a | one\n"))
	if out.String() != "a | one\n" || errw.String() != "p" {
		t.Errorf("stdout %q, stderr %q", out.String(), errw.String())
	}
}

func TestConsolePauseHoldsLinesUntilResumed(t *testing.T) {
	var scr screen
	c := NewConsole(&scr, &scr, true, true)
	c.Status("kagi: 0/2 done, 0 failed")
	resume := c.Pause()
	// The prompt's question goes straight to the terminal.
	scr.Write([]byte("Enter MFA code for arn:aws:iam::111111111111:mfa/jump: "))
	wrote := make(chan struct{})
	go func() {
		c.WriteLine(false, []byte("b | output while asked\n"))
		c.Status("kagi: 1/2 done, 0 failed")
		close(wrote)
	}()
	<-wrote
	scr.Write([]byte("123456\n")) // the answer, echoed
	if _, cur := scr.lines(); cur != "" || strings.Contains(scr.String(), "output while asked") {
		t.Fatalf("output during the prompt: %q", scr.String())
	}
	resume()
	resume() // a second call does nothing
	done, cur := scr.lines()
	want := []string{"Enter MFA code for arn:aws:iam::111111111111:mfa/jump: 123456", "b | output while asked"}
	if strings.Join(done, "|") != strings.Join(want, "|") || cur != "kagi: 1/2 done, 0 failed" {
		t.Errorf("screen %q + %q, want %q + the progress line (raw %q)", done, cur, want, scr.String())
	}
}

func TestConsolePromptsTakeTurns(t *testing.T) {
	c := NewConsole(&bytes.Buffer{}, &bytes.Buffer{}, false, false)
	resume := c.Pause()
	second := make(chan struct{})
	go func() {
		r := c.Pause()
		close(second)
		r()
	}()
	select {
	case <-second:
		t.Fatal("a second prompt started while the first was waiting for an answer")
	case <-time.After(50 * time.Millisecond):
		// It did not start within a while; it must start once resumed.
	}
	resume()
	deadline := time.After(10 * time.Second)
	select {
	case <-second:
	case <-deadline:
		t.Fatal("the second prompt never started")
	}
}

func TestConsoleBoundsHeldOutput(t *testing.T) {
	var out bytes.Buffer
	c := NewConsole(&out, &bytes.Buffer{}, false, false)
	resume := c.Pause()
	line := bytes.Repeat([]byte("x"), 1<<16)
	line[len(line)-1] = '\n'
	blocked := make(chan struct{})
	go func() {
		for range 2 * maxHeld / len(line) {
			c.WriteLine(false, line)
		}
		close(blocked)
	}()
	select {
	case <-blocked:
		t.Fatal("2 MiB held during a prompt; want the writer to wait past 1 MiB")
	case <-time.After(100 * time.Millisecond):
	}
	resume()
	select {
	case <-blocked:
	case <-time.After(10 * time.Second):
		t.Fatal("the writer still waits after the prompt")
	}
	if out.Len() != 2*maxHeld {
		t.Errorf("wrote %d bytes, want %d", out.Len(), 2*maxHeld)
	}
}

func TestLineWriterPrefixesWholeLines(t *testing.T) {
	var out bytes.Buffer
	c := NewConsole(&out, &bytes.Buffer{}, false, false)
	w := &lineWriter{c: c, prefix: "prod | "}
	for _, chunk := range []string{"one\ntw", "o\n", "\nthree"} {
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	if got, want := out.String(), "prod | one\nprod | two\nprod | \nprod | three\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestConsoleStderrClearsProgressForKagisOwnLines(t *testing.T) {
	var scr screen
	c := NewConsole(&scr, &scr, true, true)
	c.Status("kagi: 0/2 done, 0 failed")
	w := c.Stderr()
	w.Write([]byte("kagi: warning: the cache "))
	w.Write([]byte("cannot be written\nkagi: war"))
	w.Flush()
	done, cur := scr.lines()
	if want := "kagi: warning: the cache cannot be written|kagi: war"; strings.Join(done, "|") != want || cur != "kagi: 0/2 done, 0 failed" {
		t.Errorf("screen %q + %q, want %q + the progress line", done, cur, want)
	}
}

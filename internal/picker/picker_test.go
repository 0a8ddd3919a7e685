package picker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

func names(items []Item, idx []int) []string {
	var out []string
	for _, i := range idx {
		out = append(out, items[i].Name)
	}
	return out
}

func TestFilterRanks(t *testing.T) {
	items := []Item{
		{Name: "dev"},
		{Name: "prod-eu", Detail: "444444444444:admin  mfa/jumpuser"},
		{Name: "preprod", Detail: "555555555555:deploy"},
		{Name: "prod", Detail: "333333333333:admin  mfa/jumpuser"},
		{Name: "p-r-o-d"},
		{Name: "sandbox", Detail: "sso 222222222222/AdministratorAccess"},
		{Name: "Prod-US"},
		{Name: "本番-鍵", Detail: "666666666666:admin"},
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{"dev", "prod-eu", "preprod", "prod", "p-r-o-d", "sandbox", "Prod-US", "本番-鍵"}},
		// The name itself, then names starting with it (case-insensitive),
		// then names holding it, then its letters in order (tightest first).
		{"prod", []string{"prod", "prod-eu", "Prod-US", "preprod", "p-r-o-d"}},
		{"PROD", []string{"prod", "prod-eu", "Prod-US", "preprod", "p-r-o-d"}},
		{"pd", []string{"prod", "prod-eu", "Prod-US", "preprod", "p-r-o-d"}},
		{"peu", []string{"prod-eu"}},
		// The detail: an account ID, a role, an SSO permission set.
		{"3333", []string{"prod"}},
		{"administratoraccess", []string{"sandbox"}},
		{"deploy", []string{"preprod"}},
		{"鍵", []string{"本番-鍵"}},
		{"本鍵", []string{"本番-鍵"}},
		{"zzz", nil},
	} {
		m := newModel(items)
		for _, r := range tc.query {
			m.handle(key{kind: keyRune, r: r}, 10)
		}
		if got := names(items, m.matches); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("query %q: %q, want %q", tc.query, got, tc.want)
		}
	}
}

func TestDecode(t *testing.T) {
	k := func(kind keyKind) key { return key{kind: kind} }
	r := func(c rune) key { return key{kind: keyRune, r: c} }
	for _, tc := range []struct {
		in    string
		final bool
		want  []key
		rest  string
	}{
		{"ab\r", false, []key{r('a'), r('b'), k(keyEnter)}, ""},
		{"\x1b[A\x1b[B\x1bOA\x1bOB", false, []key{k(keyUp), k(keyDown), k(keyUp), k(keyDown)}, ""},
		{"\x0e\x10\t\x1b[Z\n\x0b", false, []key{k(keyDown), k(keyUp), k(keyDown), k(keyUp), k(keyDown), k(keyUp)}, ""},
		{"\x1b[5~\x1b[6~\x1b[H\x1b[F\x1b[1~\x1b[4~", false, []key{k(keyPageUp), k(keyPageDown), k(keyHome), k(keyEnd), k(keyHome), k(keyEnd)}, ""},
		{"\x7f\x08\x15\x17\x03\x04", false, []key{k(keyBackspace), k(keyBackspace), k(keyClearLine), k(keyDeleteWord), k(keyInterrupt), k(keyEOF)}, ""},
		// Keys the picker does not use are dropped, whole.
		{"\x1b[C\x1b[1;5D\x1b[3~x", false, []key{r('x')}, ""},
		{"\x1bx", false, nil, ""}, // Alt-x
		// A lone ESC: more may come, unless final (then it is Esc).
		{"a\x1b", false, []key{r('a')}, "\x1b"},
		{"\x1b", true, []key{k(keyEsc)}, ""},
		{"\x1b\x1b", false, []key{k(keyEsc)}, "\x1b"},
		{"\x1b[", false, nil, "\x1b["},
		{"\x1b[1;", false, nil, "\x1b[1;"},
		{"\x1b[1;", true, nil, ""},
		// UTF-8, whole or split across reads.
		{"鍵é", false, []key{r('鍵'), r('é')}, ""},
		{"a\xe9\x8d", false, []key{r('a')}, "\xe9\x8d"},
		{"\xff", false, nil, ""},
	} {
		got, rest := decode([]byte(tc.in), tc.final)
		if !reflect.DeepEqual(got, tc.want) || string(rest) != tc.rest {
			t.Errorf("decode(%q, %v) = %v, %q; want %v, %q", tc.in, tc.final, got, rest, tc.want, tc.rest)
		}
	}
}

// fakePicker runs the picker on a vt, fed byte by byte as a terminal
// would.
type fakePicker struct {
	t       *testing.T
	v       *vt
	in      chan chunk
	resized chan struct{}
	scr     *screen
	done    chan struct{}
	idx     int
	err     error
}

func startFake(t *testing.T, ctx context.Context, v *vt, items []Item) *fakePicker {
	f := &fakePicker{t: t, v: v, in: make(chan chunk), resized: make(chan struct{}), scr: &screen{w: v}, done: make(chan struct{})}
	go func() {
		defer close(f.done)
		f.idx, f.err = run(ctx, &session{prompt: "kagi: profile> ", in: f.in, size: v.size, resized: f.resized}, f.scr, items)
	}()
	return f
}

// typeBytes sends s as one read; when it returns, the picker has drawn
// what came before.
func (f *fakePicker) typeBytes(s string) {
	f.t.Helper()
	select {
	case f.in <- chunk{b: []byte(s)}:
	case <-f.done:
		f.t.Fatalf("the picker ended (%d, %v) before %q", f.idx, f.err, s)
	case <-time.After(30 * time.Second):
		f.t.Fatalf("the picker did not read %q", s)
	}
}

// screen is the screen once what was typed is drawn.
func (f *fakePicker) screen() []string {
	f.typeBytes("\x1b[C") // a key the picker does not use: a sync point
	f.typeBytes("\x1b[C")
	return f.v.lines()
}

func (f *fakePicker) result() (int, error) {
	f.t.Helper()
	select {
	case <-f.done:
	case <-time.After(30 * time.Second):
		f.t.Fatal("the picker did not end")
	}
	return f.idx, f.err
}

var shell = []string{"$ echo before", "before", "$ kagi exec -- sh"}

func profiles(n int) []Item {
	var items []Item
	for i := 1; i <= n; i++ {
		items = append(items, Item{Name: fmt.Sprintf("acct-%02d", i), Detail: fmt.Sprintf("1111111111%02d:admin", i)})
	}
	return items
}

func checkClean(t *testing.T, f *fakePicker) {
	t.Helper()
	f.scr.clear()
	if got := f.v.lines(); !reflect.DeepEqual(got, shell) {
		t.Errorf("after the picker the screen is\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(shell, "\n"))
	}
	if x, y := f.v.cursor(); x != 0 || y != len(shell) {
		t.Errorf("after the picker the cursor is at %d,%d, want 0,%d", x, y, len(shell))
	}
	if l := f.v.pickerInHistory(); l != "" {
		t.Errorf("a picker line went into the scrollback: %q", l)
	}
	if !f.v.wrap || !f.v.cursorOn {
		t.Errorf("autowrap %v, cursor shown %v after the picker", f.v.wrap, f.v.cursorOn)
	}
}

func TestPickTypeMoveEnter(t *testing.T) {
	items := []Item{{Name: "dev", Detail: "111111111111:dev"}, {Name: "prod", Detail: "333333333333:admin  mfa/jumpuser"}, {Name: "prod-eu", Detail: "444444444444:admin"}, {Name: "staging"}}
	v := newVT(t, 60, 20, shell...)
	f := startFake(t, context.Background(), v, items)
	want := append(append([]string{}, shell...),
		"kagi: profile>",
		"> dev      111111111111:dev",
		"  prod     333333333333:admin  mfa/jumpuser",
		"  prod-eu  444444444444:admin",
		"  staging")
	if got := f.screen(); !reflect.DeepEqual(got, want) {
		t.Fatalf("the picker shows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if x, y := v.cursor(); x != len("kagi: profile> ") || y != len(shell) {
		t.Errorf("cursor at %d,%d, want after the prompt", x, y)
	}
	f.typeBytes("pr")
	f.typeBytes("x\x7f") // a typo, taken back
	want = append(append([]string{}, shell...),
		"kagi: profile> pr  2/4",
		"> prod     333333333333:admin  mfa/jumpuser",
		"  prod-eu  444444444444:admin")
	if got := f.screen(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after typing: \n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	f.typeBytes("\x1b[B") // down
	f.typeBytes("\r")
	i, err := f.result()
	if err != nil || items[i].Name != "prod-eu" {
		t.Fatalf("chose %d, %v; want prod-eu", i, err)
	}
	checkClean(t, f)
}

func TestPickCancelAndInterrupt(t *testing.T) {
	for _, tc := range []struct {
		keys []string
		want error
	}{
		{[]string{"pro", "\x1b"}, ErrCancelled}, // Esc alone, then nothing
		{[]string{"\x04"}, ErrCancelled},        // Ctrl-D, empty query
		{[]string{"pro\x03"}, ErrInterrupted},
	} {
		v := newVT(t, 60, 20, shell...)
		f := startFake(t, context.Background(), v, profiles(3))
		for _, k := range tc.keys {
			f.typeBytes(k)
		}
		if i, err := f.result(); !errors.Is(err, tc.want) {
			t.Errorf("%q: %d, %v; want %v", tc.keys, i, err, tc.want)
		}
		checkClean(t, f)
	}
	// The terminal hangs up.
	v := newVT(t, 60, 20, shell...)
	f := startFake(t, context.Background(), v, profiles(3))
	f.in <- chunk{err: io.EOF}
	if _, err := f.result(); !errors.Is(err, ErrCancelled) {
		t.Errorf("end of input: %v", err)
	}
	checkClean(t, f)
	// SIGTERM: main's handler cancels the context.
	ctx, cancel := context.WithCancel(context.Background())
	v = newVT(t, 60, 20, shell...)
	f = startFake(t, ctx, v, profiles(3))
	f.typeBytes("ac")
	cancel()
	if _, err := f.result(); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	checkClean(t, f)
}

// An escape sequence split across reads is one key, not Esc and letters.
func TestPickEscapeSequenceSplit(t *testing.T) {
	v := newVT(t, 60, 20, shell...)
	f := startFake(t, context.Background(), v, profiles(3))
	f.typeBytes("\x1b")
	f.typeBytes("[B")
	f.typeBytes("\r")
	if i, err := f.result(); err != nil || i != 1 {
		t.Fatalf("%d, %v; want the second profile", i, err)
	}
	checkClean(t, f)
}

// A list longer than the terminal scrolls with the highlight; the picker
// never draws more lines than the terminal has.
func TestPickScrolls(t *testing.T) {
	items := profiles(40)
	v := newVT(t, 40, 8, shell...)
	f := startFake(t, context.Background(), v, items)
	lines := f.screen()
	if len(lines) != 8 || lines[0] != "kagi: profile>   40/40" || lines[7] != "  acct-07  111111111107:admin" {
		t.Fatalf("on 8 lines:\n%s", strings.Join(lines, "\n"))
	}
	f.typeBytes(strings.Repeat("\x0e", 10)) // Ctrl-N ten times: acct-11
	lines = f.screen()
	if lines[len(lines)-1] != "> acct-11  111111111111:admin" || lines[1] != "  acct-05  111111111105:admin" {
		t.Fatalf("after ten moves down:\n%s", strings.Join(lines, "\n"))
	}
	f.typeBytes("\x1b[6~\x1b[6~\x1b[6~\x1b[6~\x1b[6~\x1b[6~") // page down to the end
	lines = f.screen()
	if lines[len(lines)-1] != "> acct-40  111111111140:admin" {
		t.Fatalf("at the end:\n%s", strings.Join(lines, "\n"))
	}
	f.typeBytes("\x1b[H\x10\r") // Home, up (stays)
	if i, err := f.result(); err != nil || i != 0 {
		t.Fatalf("%d, %v", i, err)
	}
	// The screen scrolled up to make room (the shell's lines went into the
	// scrollback); the lines the picker drew are gone.
	f.scr.clear()
	if lines = v.lines(); len(lines) != 0 || v.scrolled != len(shell) {
		t.Fatalf("after the picker (%d lines scrolled):\n%s", v.scrolled, strings.Join(lines, "\n"))
	}
	if l := v.pickerInHistory(); l != "" {
		t.Errorf("a picker line went into the scrollback: %q", l)
	}
}

// A terminal one line high shows the query and the highlighted profile on
// that line; a narrow one cuts lines, never wraps them; a resize redraws
// in the new size.
func TestPickTinyAndResized(t *testing.T) {
	items := []Item{{Name: "a-very-long-profile-name-鍵-for-production", Detail: "333333333333:OrganizationAccountAccessRole  mfa/jumpuser"}, {Name: "dev"}}
	v := newVT(t, 30, 1)
	f := startFake(t, context.Background(), v, items)
	lines := f.screen()
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "kagi: profile>   [a-very") || stringWidth(lines[0]) > 29 {
		t.Fatalf("one line high:\n%q", lines)
	}
	v.resize(20, 6)
	f.resized <- struct{}{}
	lines = f.screen()
	for _, l := range lines {
		if stringWidth(l) > 19 {
			t.Errorf("line wider than the terminal less one: %q", l)
		}
	}
	if len(lines) != 3 || lines[1] != "> a-very-long-prof…" || lines[2] != "  dev" {
		t.Fatalf("after the resize:\n%s", strings.Join(lines, "\n"))
	}
	f.typeBytes("鍵")
	lines = f.screen()
	if len(lines) != 2 || lines[0] != "kagi: profile> 鍵 …" {
		t.Fatalf("after typing 鍵:\n%q", lines)
	}
	f.typeBytes("\r")
	if i, err := f.result(); err != nil || i != 0 {
		t.Fatalf("%d, %v", i, err)
	}
	f.scr.clear()
	if got := v.lines(); len(got) != 0 {
		t.Fatalf("left on the screen: %q", got)
	}
	if l := v.pickerInHistory(); l != "" {
		t.Errorf("a picker line went into the scrollback: %q", l)
	}
}

// Enter with nothing matching chooses nothing; the query can be fixed.
func TestPickNoMatch(t *testing.T) {
	v := newVT(t, 60, 20, shell...)
	f := startFake(t, context.Background(), v, profiles(2))
	f.typeBytes("zz\r")
	lines := f.screen()
	if lines[len(lines)-1] != "  (no profile matches)" {
		t.Fatalf("no match:\n%s", strings.Join(lines, "\n"))
	}
	f.typeBytes("\x15acct-02\r") // Ctrl-U clears the query
	if i, err := f.result(); err != nil || i != 1 {
		t.Fatalf("%d, %v", i, err)
	}
	checkClean(t, f)
}

// The red team's attack on the picker: a profile name or detail in the
// config (written by hand, by a tool, or from an SSO account name) that
// holds an escape sequence must not be drawn raw: it could retitle the
// window, write the clipboard (OSC 52) or repaint the list so that the
// highlighted line is not the profile Enter picks.
func TestViewDrawsNoControlCharactersOfNames(t *testing.T) {
	items := []Item{
		{Name: "prod\x1b]52;c;cHduZWQ=\x07", Detail: "111:admin\x1b[2J"},
		{Name: "dev\u009b1A\r\x1b[7mprod", Detail: "\u202eevil"},
		{Name: "ok", Detail: "222:x"},
	}
	m := newModel(items)
	for _, rows := range []int{0, 10} {
		m.cur = 0
		lines, _ := m.view("kagi: profile> ", 80, rows)
		for _, l := range lines {
			l = strings.TrimPrefix(l, reverseVideo)
			l = strings.TrimSuffix(l, plainVideo)
			for _, r := range l {
				if r < 0x20 || r >= 0x7f && r <= 0x9f || r >= 0x202a && r <= 0x202e {
					t.Errorf("rows %d: line %q holds %U", rows, l, r)
				}
			}
		}
	}
	// Enter still picks the profile by its real name.
	if got := items[m.chosen()].Name; got != items[0].Name {
		t.Errorf("chosen %q", got)
	}
}

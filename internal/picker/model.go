// Package picker lets a person choose one item from a list on the
// terminal, filtered as they type: kagi's profile picker (`kagi exec` and
// `kagi use` with no profile at a terminal). It draws a few lines under the
// cursor on the terminal (never stdout, so it works inside
// eval "$(kagi use)"), redraws only those lines and clears them when done.
//
// The model (filtering, ranking, keys, what the lines show) is kept apart
// from the terminal (raw mode, size, drawing), so that it is tested as
// byte streams in and lines out.
package picker

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kagi-cli/kagi/internal/termtext"
)

// Item is one thing to choose: its name, which is matched and returned,
// and a short detail shown beside it (for a profile: its role and account,
// sso/..., mfa/...), which a query also matches as a substring.
type Item struct {
	Name   string
	Detail string
}

// model is the picker's state: the query and the ranked matches.
type model struct {
	items   []Item
	names   []string // items' names, lower case
	details []string // items' details, lower case
	query   []rune
	matches []int // indexes into items, best first
	cur     int   // the highlighted match (index into matches)
	top     int   // the first match shown
}

func newModel(items []Item) *model {
	m := &model{items: items, names: make([]string, len(items)), details: make([]string, len(items))}
	for i, it := range items {
		m.names[i] = strings.ToLower(it.Name)
		m.details[i] = strings.ToLower(it.Detail)
	}
	m.filter()
	return m
}

// Ranks of a match, best first. What fzf users expect: every item whose
// name holds the query's letters in order matches, and the closer the
// match is to what was typed, the higher it comes: the name itself, then
// names that start with the query, then names holding it, then names
// holding its letters in order (the tighter, the higher), then items
// whose detail holds it (an account ID, a role name).
const (
	rankExact = iota
	rankPrefix
	rankSubstring
	rankSubsequence
	rankDetail
)

// filter ranks the items against the query, case-insensitively; an empty
// query keeps them all in their order. Ties keep the items' order.
func (m *model) filter() {
	q := strings.ToLower(string(m.query))
	// Within a rank: the earlier (a substring) or the tighter, then earlier
	// (letters in order) match first, then the shorter name, as fzf breaks
	// ties; then the items' own order.
	type scored struct{ i, rank, a, b, length int }
	var s []scored
	for i, name := range m.names {
		n := utf8.RuneCountInString(name)
		switch {
		case q == "":
			s = append(s, scored{i, rankExact, 0, 0, 0})
		case name == q:
			s = append(s, scored{i, rankExact, 0, 0, n})
		case strings.HasPrefix(name, q):
			s = append(s, scored{i, rankPrefix, 0, 0, n})
		case strings.Contains(name, q):
			s = append(s, scored{i, rankSubstring, strings.Index(name, q), 0, n})
		default:
			if span, start, ok := subsequence(name, q); ok {
				s = append(s, scored{i, rankSubsequence, span, start, n})
			} else if strings.Contains(m.details[i], q) {
				s = append(s, scored{i, rankDetail, 0, 0, n})
			}
		}
	}
	sort.SliceStable(s, func(x, y int) bool {
		a, b := s[x], s[y]
		switch {
		case a.rank != b.rank:
			return a.rank < b.rank
		case a.a != b.a:
			return a.a < b.a
		case a.b != b.b:
			return a.b < b.b
		}
		return a.length < b.length
	})
	m.matches = m.matches[:0]
	for _, x := range s {
		m.matches = append(m.matches, x.i)
	}
	m.cur, m.top = 0, 0
}

// subsequence reports whether s holds q's runes in order, and the
// shortest span (in runes) that does and where the first such starts.
func subsequence(s, q string) (span, at int, ok bool) {
	sr, qr := []rune(s), []rune(q)
	best := -1
	for start := range sr {
		if sr[start] != qr[0] {
			continue
		}
		j := 1
		end := start
		for k := start + 1; k < len(sr) && j < len(qr); k++ {
			if sr[k] == qr[j] {
				j++
				end = k
			}
		}
		if j < len(qr) {
			break // no later start can match either
		}
		if n := end - start + 1; best < 0 || n < best {
			best, at = n, start
		}
	}
	return best, at, best >= 0
}

// chosen is the highlighted item's index in items, or -1 when nothing
// matches.
func (m *model) chosen() int {
	if len(m.matches) == 0 {
		return -1
	}
	return m.matches[m.cur]
}

// move moves the highlight by n matches, stopping at either end.
func (m *model) move(n int) {
	if len(m.matches) == 0 {
		return
	}
	m.cur = min(max(m.cur+n, 0), len(m.matches)-1)
}

// scroll keeps the highlighted match among the rows shown.
func (m *model) scroll(rows int) {
	if rows < 1 {
		rows = 1
	}
	if m.cur < m.top {
		m.top = m.cur
	}
	if m.cur >= m.top+rows {
		m.top = m.cur - rows + 1
	}
	m.top = max(0, min(m.top, len(m.matches)-rows))
}

// outcome of a key: go on, chosen, cancelled (Esc), interrupted (Ctrl-C).
type outcome int

const (
	going outcome = iota
	done
	cancelled
	interrupted
)

// handle applies one key; rows is how many matches the screen shows (for
// page up and down).
func (m *model) handle(k key, rows int) outcome {
	switch k.kind {
	case keyRune:
		m.query = append(m.query, k.r)
		m.filter()
	case keyBackspace:
		if len(m.query) > 0 {
			m.query = m.query[:len(m.query)-1]
			m.filter()
		}
	case keyClearLine:
		if len(m.query) > 0 {
			m.query = m.query[:0]
			m.filter()
		}
	case keyDeleteWord:
		q := m.query
		for len(q) > 0 && unicode.IsSpace(q[len(q)-1]) {
			q = q[:len(q)-1]
		}
		for len(q) > 0 && !unicode.IsSpace(q[len(q)-1]) {
			q = q[:len(q)-1]
		}
		if len(q) != len(m.query) {
			m.query = q
			m.filter()
		}
	case keyUp:
		m.move(-1)
	case keyDown:
		m.move(1)
	case keyPageUp:
		m.move(-max(rows, 1))
	case keyPageDown:
		m.move(max(rows, 1))
	case keyHome:
		m.move(-len(m.matches))
	case keyEnd:
		m.move(len(m.matches))
	case keyEnter:
		if len(m.matches) > 0 {
			return done
		}
	case keyEsc:
		return cancelled
	case keyEOF:
		if len(m.query) == 0 {
			return cancelled
		}
	case keyInterrupt:
		return interrupted
	}
	return going
}

// view is what the picker shows in width columns with rows rows for the
// matches: the query line, then one line per match shown (the highlighted
// one marked "> "), and where the cursor goes on the query line. With no
// room for rows (a terminal one line high) the highlighted match follows
// the query on its line.
func (m *model) view(prompt string, width, rows int) (lines []string, cursor int) {
	if width < 1 {
		width = 1
	}
	m.scroll(rows)
	q := prompt + string(m.query)
	cursor = min(stringWidth(q), width-1)
	info := ""
	if len(m.query) > 0 || rows < len(m.items) {
		info = "  " + itoa(len(m.matches)) + "/" + itoa(len(m.items))
	}
	if rows == 0 && len(m.matches) > 0 {
		info = "  [" + visible(m.items[m.matches[m.cur]].Name) + "]" + info
	}
	lines = append(lines, fit(q+info, width-1))
	if rows == 0 {
		return lines, cursor
	}
	nameWidth := 0
	for _, i := range m.matches {
		nameWidth = max(nameWidth, stringWidth(visible(m.items[i].Name)))
	}
	nameWidth = min(nameWidth, 32)
	if len(m.matches) == 0 {
		lines = append(lines, fit("  (no profile matches)", width-1))
	}
	for n := m.top; n < len(m.matches) && n < m.top+rows; n++ {
		it := m.items[m.matches[n]]
		mark := "  "
		if n == m.cur {
			mark = "> "
		}
		text := mark + pad(visible(it.Name), nameWidth)
		if it.Detail != "" {
			text += "  " + visible(it.Detail)
		}
		text = fit(strings.TrimRight(text, " "), width-1)
		if n == m.cur {
			text = reverseVideo + text + plainVideo
		}
		lines = append(lines, text)
	}
	return lines, cursor
}

// The highlighted match is in reverse video (SGR 7), as well as marked.
const (
	reverseVideo = "\x1b[7m"
	plainVideo   = "\x1b[m"
)

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	return string(b[i:])
}

// visible is s as the picker draws it: names and details come from the
// config, which anything may have written, and go straight to the
// terminal. A control character (C0, DEL, C1: the start of an escape
// sequence that could retitle the window, write the clipboard or repaint
// the list), a byte that is not UTF-8 and a character that reorders text
// (bidirectional overrides and isolates) are drawn as "?".
func visible(s string) string { return termtext.Visible(s) }

func pad(s string, width int) string {
	if w := stringWidth(s); w < width {
		return s + strings.Repeat(" ", width-w)
	}
	return s
}

// fit cuts s to at most width columns, ending a cut with "…". Every line
// the picker draws fits in the terminal's width less one, so none wraps
// (autowrap is also off while the picker shows: a line that wrapped would
// push the others down and the redraw would leave leftovers).
func fit(s string, width int) string {
	if width < 1 {
		return ""
	}
	if stringWidth(s) <= width {
		return s
	}
	var b strings.Builder
	w := 0
	for _, r := range s {
		rw := runeWidth(r)
		if w+rw > width-1 {
			break
		}
		b.WriteRune(r)
		w += rw
	}
	b.WriteString("…")
	return b.String()
}

func stringWidth(s string) int {
	w := 0
	for _, r := range s {
		w += runeWidth(r)
	}
	return w
}

// runeWidth is the number of columns a terminal gives r: 0 for combining
// marks and controls, 2 for East Asian wide and fullwidth characters and
// emoji, else 1. (A small table, enough for profile names: kagi takes no
// dependency for it.)
func runeWidth(r rune) int {
	switch {
	case r == utf8.RuneError:
		return 1
	case r < 0x20 || r == 0x7f:
		return 0
	case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || r == 0x200b:
		return 0
	case r >= 0x1100 && r <= 0x115f, r >= 0x2e80 && r <= 0x303e, r >= 0x3041 && r <= 0x33ff,
		r >= 0x3400 && r <= 0x4dbf, r >= 0x4e00 && r <= 0x9fff, r >= 0xa000 && r <= 0xa4cf,
		r >= 0xac00 && r <= 0xd7a3, r >= 0xf900 && r <= 0xfaff, r >= 0xfe30 && r <= 0xfe4f,
		r >= 0xff00 && r <= 0xff60, r >= 0xffe0 && r <= 0xffe6, r >= 0x1f300 && r <= 0x1f64f,
		r >= 0x1f900 && r <= 0x1f9ff, r >= 0x20000 && r <= 0x3fffd:
		return 2
	}
	return 1
}

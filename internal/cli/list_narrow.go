package cli

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kagi-cli/kagi/internal/termtext"
)

// The terminal table of `kagi list`: one row per profile in short forms,
// fitted to the terminal's width. Building a row's cells (listNarrowCells)
// is kept apart from laying them out (layoutTable), so that a new column or
// a new kind of row changes one function.

var listNarrowHeader = []string{"PROFILE", "SOURCE", "MFA", "ROLE", "SESSION"}

// listNarrowCells are e's cells under listNarrowHeader, or, for a profile
// that cannot be used, its name and the reason.
func listNarrowCells(e listEntry) (cells []string, reason string) {
	if e.Error != "" {
		return []string{e.Name}, "cannot be used: " + e.Error
	}
	cells = []string{e.Name, "-", "-", "-", "-"}
	if e.SettingsOnly {
		// Nothing to run commands with: its region and output are for
		// the tools, and the chain it would have with keys is moot.
		cells[1] = "settings"
		return cells, ""
	}
	if e.Source != nil {
		cells[1] = e.Source.Kind
		switch {
		case e.Source.Kind == "keyring":
			// aws-vault's CREDENTIALS column: whose keys start the chain.
			cells[1] = e.Source.Profile
			if e.sourceKeys != nil && !*e.sourceKeys {
				cells[1] += " (no keys)"
			}
		case e.Source.Kind == "file":
			cells[1] = e.Source.Profile + " (file)"
		case e.Source.Profile != "" && e.Source.Profile != e.Name:
			cells[1] += " (" + e.Source.Profile + ")"
		}
	}
	switch {
	case e.MFA != nil:
		cells[2] = shortMFA(e.MFA.Serial)
	case e.Session != nil:
		cells[2] = "no MFA" // a session from long-term keys without a code
	}
	if n := len(e.Roles); n > 0 {
		// The final role; "+N " when N roles are assumed before it (in
		// front, so that truncation keeps it).
		cells[3] = shortRole(e.Roles[n-1].RoleARN)
		if n > 1 {
			cells[3] = fmt.Sprintf("+%d %s", n-1, cells[3])
		}
	} else if e.Source != nil && e.Source.SSO != nil {
		// What an IAM Identity Center profile gets: the permission set in
		// the account.
		cells[3] = shortSSO(e.Source.SSO.AccountID, e.Source.SSO.RoleName)
	}
	if len(e.Sessions) > 0 {
		// The time before exec needs a new code: the longest-lived cached
		// step (a role is assumed again from a live MFA session silently).
		var left int64
		for _, s := range e.Sessions {
			left = max(left, s.SecondsLeft)
		}
		cells[4] = "expired"
		if left > 0 {
			cells[4] = shortDuration(time.Duration(left) * time.Second)
		}
	}
	return cells, ""
}

func writeListNarrow(w io.Writer, entries []listEntry, width int) error {
	rows := make([][]string, len(entries))
	reasons := make([]string, len(entries))
	for i, e := range entries {
		rows[i], reasons[i] = listNarrowCells(e)
		// From files anyone may have written, to a terminal.
		for j := range rows[i] {
			rows[i][j] = termtext.Visible(rows[i][j])
		}
		reasons[i] = termtext.Visible(reasons[i])
	}
	// When the table is too wide, columns lose their widest cells' tails,
	// first down to what still reads well (a role keeps its account and
	// the start of its name: 12 digits, ":", 11 more), then further.
	var b strings.Builder
	for _, line := range layoutTable(listNarrowHeader, rows, reasons, width, []int{16, 16, 12, 24, 0}) {
		b.WriteString(line)
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

const (
	columnGap = 2
	minColumn = 8 // a column is not shrunk below this (or its header)
)

// layoutTable lays out header and rows in columns separated by two spaces,
// no line wider than width runes where that can be done: the widest
// column loses its cells' tails to "…" until the table fits, first only
// columns wider than their comfortable width (0: never shrunk), then any
// down to minColumn. A row with a reason has only its first cell;
// the reason takes the rest of the line, wrapped at width under the second
// column.
func layoutTable(header []string, rows [][]string, reasons []string, width int, comfortable []int) []string {
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = runes(h)
	}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], runes(c))
		}
	}
	total := func() int {
		t := columnGap * (len(widths) - 1)
		for _, w := range widths {
			t += w
		}
		return t
	}
	for _, floor := range []func(i int) int{
		func(i int) int { return comfortable[i] },
		func(int) int { return minColumn },
	} {
		for total() > width {
			// One rune from the widest column above its floor.
			best := -1
			for i := range widths {
				if comfortable[i] > 0 && widths[i] > max(floor(i), runes(header[i])) && (best < 0 || widths[i] > widths[best]) {
					best = i
				}
			}
			if best < 0 {
				break // as narrow as this pass goes
			}
			widths[best]--
		}
	}
	var lines []string
	line := func(cells []string) string {
		var b strings.Builder
		for i, c := range cells {
			c = truncate(c, widths[i])
			b.WriteString(c)
			if i < len(cells)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-runes(c)+columnGap))
			}
		}
		return b.String()
	}
	lines = append(lines, line(header))
	indent := widths[0] + columnGap
	for i, r := range rows {
		if reasons[i] == "" {
			lines = append(lines, line(r))
			continue
		}
		first := truncate(r[0], widths[0])
		first += strings.Repeat(" ", indent-runes(first))
		for j, part := range wrap(reasons[i], max(width-indent, 20)) {
			if j > 0 {
				first = strings.Repeat(" ", indent)
			}
			lines = append(lines, first+part)
		}
	}
	return lines
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// truncate cuts s to n runes, the last one "…" when anything was cut.
func truncate(s string, n int) string {
	if runes(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// wrap breaks s into lines of at most n runes, at spaces where it can and
// inside a word (a path) longer than a line where it cannot.
func wrap(s string, n int) []string {
	var lines []string
	cur := ""
	for _, word := range strings.Fields(s) {
		for runes(word) > n {
			if cur != "" {
				lines, cur = append(lines, cur), ""
			}
			r := []rune(word)
			lines, word = append(lines, string(r[:n])), string(r[n:])
		}
		switch {
		case cur == "":
			cur = word
		case runes(cur)+1+runes(word) <= n:
			cur += " " + word
		default:
			lines, cur = append(lines, cur), word
		}
	}
	if cur != "" || len(lines) == 0 {
		lines = append(lines, cur)
	}
	return lines
}

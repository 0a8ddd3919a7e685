// Package termtext makes text from outside kagi (config files, directory
// names, environment variables, the Identity Center portal) safe to print
// to a terminal. It imports nothing but unicode/utf8: `kagi prompt` runs
// it at start-up, where every import costs.
package termtext

import "unicode/utf8"

// Drawable reports whether r may reach a terminal as it is: not a control
// character (C0, DEL, C1: the start of an escape sequence that retitles
// the window, moves the cursor, writes the clipboard or makes a link), not
// the replacement for a byte that is not UTF-8, and not a character that
// reorders text (bidirectional overrides, isolates and marks), which can
// make a line read as something it is not.
func Drawable(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f, r == utf8.RuneError:
		return false
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return false
	}
	return true
}

// Visible is s with every rune that is not Drawable (and every byte that
// is not UTF-8) shown as "?". s itself is returned when it is clean.
func Visible(s string) string { return replace(s, false) }

// Lines is Visible for text of several lines: each newline and tab is
// kept (cobra's "Did you mean this?" indents with one), and every other
// rune that is not Drawable is shown as "?". For messages that quote what
// kagi did not write (an error naming a config value, a path, a service's
// answer) on their way to a terminal.
func Lines(s string) string { return replace(s, true) }

func replace(s string, keepLayout bool) string {
	shown := func(r rune) bool { return Drawable(r) || keepLayout && (r == '\n' || r == '\t') }
	clean := true
	for _, r := range s {
		if !shown(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	b := make([]rune, 0, len(s))
	for _, r := range s {
		if !shown(r) {
			r = '?'
		}
		b = append(b, r)
	}
	return string(b)
}

package ssoprofiles

import (
	"fmt"
	"strings"
)

// Diff is a unified diff (three lines of context) from before to after,
// both labelled name; "" when they are equal. Line endings are not shown
// (a CRLF file's lines read as any other's). The edits Apply makes are
// whole sections removed and text appended, so after the common prefix
// and suffix are set aside what is left is small, and a plain
// longest-common-subsequence table over it is enough.
func Diff(name string, before, after []byte) string {
	if string(before) == string(after) {
		return ""
	}
	a, b := splitLines(before), splitLines(after)
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	ops := lcsOps(a[pre:len(a)-suf], b[pre:len(b)-suf])
	// The whole file as operations: ' ', '-', '+'.
	type op struct {
		kind byte
		text string
	}
	var all []op
	for _, l := range a[:pre] {
		all = append(all, op{' ', l})
	}
	for _, o := range ops {
		all = append(all, op{o.kind, o.text})
	}
	for _, l := range a[len(a)-suf:] {
		all = append(all, op{' ', l})
	}
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", name, name)
	const ctx = 3
	for i := 0; i < len(all); {
		if all[i].kind == ' ' {
			i++
			continue
		}
		// A hunk: from ctx lines before this change to ctx lines after
		// the last change closer than 2*ctx to the one before it.
		start := max(0, i-ctx)
		end := i
		for j := i; j < len(all); j++ {
			if all[j].kind != ' ' {
				end = j
			} else if j-end > 2*ctx {
				break
			}
		}
		end = min(len(all), end+ctx+1)
		aStart, bStart := 1, 1
		for _, o := range all[:start] {
			if o.kind != '+' {
				aStart++
			}
			if o.kind != '-' {
				bStart++
			}
		}
		aLen, bLen := 0, 0
		for _, o := range all[start:end] {
			if o.kind != '+' {
				aLen++
			}
			if o.kind != '-' {
				bLen++
			}
		}
		if aLen == 0 {
			aStart--
		}
		if bLen == 0 {
			bStart--
		}
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@\n", aStart, aLen, bStart, bLen)
		for _, o := range all[start:end] {
			out.WriteByte(o.kind)
			out.WriteString(o.text)
			out.WriteByte('\n')
		}
		i = end
	}
	return out.String()
}

func splitLines(data []byte) []string {
	s := strings.TrimPrefix(string(data), "\ufeff")
	if s == "" {
		return nil
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

type lineOp struct {
	kind byte
	text string
}

// lcsOps turns a into b with the fewest removals and additions.
func lcsOps(a, b []string) []lineOp {
	n, m := len(a), len(b)
	l := make([][]int32, n+1)
	for i := range l {
		l[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				l[i][j] = l[i+1][j+1] + 1
			} else {
				l[i][j] = max(l[i+1][j], l[i][j+1])
			}
		}
	}
	var ops []lineOp
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, lineOp{' ', a[i]})
			i++
			j++
		case j < m && (i == n || l[i][j+1] >= l[i+1][j]):
			ops = append(ops, lineOp{'+', b[j]})
			j++
		default:
			ops = append(ops, lineOp{'-', a[i]})
			i++
		}
	}
	return ops
}

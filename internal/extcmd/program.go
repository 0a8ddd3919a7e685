package extcmd

import (
	"os"
	"path/filepath"
	"strings"
)

// isShellWord reports whether word is one of sh's keywords or the
// builtins a helper's command line commonly starts with: the shell runs
// them itself, so there is no file to check (a PATH entry of the same name
// is not what runs).
func isShellWord(word string) bool {
	switch word {
	case "!", "{", "(", "if", "for", "while", "until", "case",
		".", ":", "[", "cd", "command", "echo", "eval", "exec", "exit", "export",
		"false", "printf", "read", "set", "test", "true", "type", "umask", "unset":
		return true
	}
	return false
}

// Program returns the file that the shell command line runs first, found
// as sh would find it: its first word (after NAME=value assignments), with
// a leading ~/ expanded from HOME; a word with a slash is taken as it is,
// else it is looked up in PATH of environ. It returns "" when it cannot
// tell: a shell keyword or builtin, a word with expansions ($, `, globs), a
// program it does not find (the shell then reports it). It is a check on
// the common case, `oathtool --totp ...` or `~/bin/helper`, not a shell.
func Program(commandLine string, environ []string) string {
	rest := commandLine
	var word string
	for {
		var ok bool
		word, rest, ok = firstWord(rest)
		if !ok || word == "" {
			return ""
		}
		if !isAssignment(word) {
			break
		}
	}
	if isShellWord(word) || strings.ContainsAny(word, "$`*?[") {
		return ""
	}
	if word == "~" || strings.HasPrefix(word, "~/") {
		home, _ := lookup(environ, "HOME")
		if home == "" {
			return ""
		}
		word = home + word[1:]
	} else if strings.HasPrefix(word, "~") {
		return "" // ~user: left to the shell
	}
	if strings.Contains(word, "/") {
		// Relative to the directory the shell starts in, which is kagi's.
		if abs, err := filepath.Abs(word); err == nil {
			return abs
		}
		return word
	}
	path, _ := lookup(environ, "PATH")
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, word)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// firstWord splits the first shell word off s, removing quotes and
// backslashes as sh does. ok is false for what it does not parse (an
// unterminated quote).
func firstWord(s string) (word, rest string, ok bool) {
	s = strings.TrimLeft(s, " \t\n")
	var b strings.Builder
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || strings.IndexByte(";&|<>()", c) >= 0:
			return b.String(), s[i:], true
		case c == '\\':
			if i+1 < len(s) {
				b.WriteByte(s[i+1])
			}
			i += 2
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return "", "", false
			}
			b.WriteString(s[i+1 : i+1+j])
			i += j + 2
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
				j++
			}
			if j >= len(s) {
				return "", "", false
			}
			i = j + 1
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), "", true
}

// isAssignment reports whether word is NAME=value.
func isAssignment(word string) bool {
	name, _, ok := strings.Cut(word, "=")
	if !ok || name == "" {
		return false
	}
	for i, c := range name {
		if c != '_' && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// FirstWord splits the first shell word off commandLine as Program reads
// it (quotes and backslashes removed); ok is false for an unterminated
// quote. For checks that look at a helper's program and arguments (kagi
// doctor), not for running anything.
func FirstWord(commandLine string) (word, rest string, ok bool) { return firstWord(commandLine) }

// IsAssignment reports whether word is NAME=value, which a shell command
// line may put before its program.
func IsAssignment(word string) bool { return isAssignment(word) }

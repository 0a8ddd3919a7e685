// Package shellenv writes the shell code that changes the environment of
// the shell a person is typing in: `kagi use` prints it on a pipe and the
// function `kagi shell-init` defines evaluates it. The credentials travel
// through that pipe, never through a program's argv or the shell's
// history, so every value is quoted here for the shell that reads it.
package shellenv

import (
	"fmt"
	"strings"
)

// Shell is a shell kagi writes code for.
type Shell string

const (
	Bash       Shell = "bash"
	Zsh        Shell = "zsh"
	Fish       Shell = "fish"
	PowerShell Shell = "powershell"
)

// Shells are the shells Parse accepts, in the order help lists them.
func Shells() []string { return []string{"bash", "zsh", "fish", "powershell"} }

// Parse returns the shell name names ("pwsh" is PowerShell).
func Parse(name string) (Shell, error) {
	switch name {
	case "bash", "zsh", "fish", "powershell":
		return Shell(name), nil
	case "pwsh":
		return PowerShell, nil
	}
	return "", fmt.Errorf("no shell integration for %q: choose bash, zsh, fish or powershell", name)
}

// Var is one variable to set.
type Var struct{ Name, Value string }

// Change is what to do to a shell's environment: remove Unset, then set
// Set, in order.
type Change struct {
	Unset []string
	Set   []Var
}

// Script is the code that makes c in sh. It panics on a name that is not
// an environment variable name ([A-Za-z_][A-Za-z0-9_]*): names come from
// kagi's own constants, never from input.
func (sh Shell) Script(c Change) string {
	var b strings.Builder
	for _, n := range c.Unset {
		mustName(n)
		switch sh {
		case Fish:
			fmt.Fprintf(&b, "set -e %s;\n", n)
		case PowerShell:
			fmt.Fprintf(&b, "Remove-Item -ErrorAction SilentlyContinue Env:%s;\n", n)
		default:
			fmt.Fprintf(&b, "unset %s;\n", n)
		}
	}
	for _, v := range c.Set {
		mustName(v.Name)
		switch sh {
		case Fish:
			fmt.Fprintf(&b, "set -gx %s %s;\n", v.Name, sh.Quote(v.Value))
		case PowerShell:
			fmt.Fprintf(&b, "$env:%s = %s;\n", v.Name, sh.Quote(v.Value))
		default:
			fmt.Fprintf(&b, "export %s=%s;\n", v.Name, sh.Quote(v.Value))
		}
	}
	return b.String()
}

func mustName(n string) {
	ok := n != ""
	for i, r := range n {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			ok = false
		}
	}
	if !ok {
		panic(fmt.Sprintf("shellenv: %q is not a variable name", n))
	}
}

// Quote quotes s as one word that sh reads back as s exactly, expanding
// nothing in it:
//   - bash, zsh: single quotes; a quote inside closes them, is escaped
//     and reopens them ('\”), the one thing single quotes cannot hold.
//   - fish: single quotes, where \\ and \' are the only escapes.
//   - PowerShell: single quotes, where a quote is doubled; PowerShell
//     also takes the typographic single quotes (U+2018 to U+201B) as
//     quotes, so those are doubled too.
func (sh Shell) Quote(s string) string {
	switch sh {
	case Fish:
		return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
	case PowerShell:
		var b strings.Builder
		b.WriteByte('\'')
		for _, r := range s {
			switch r {
			case '\'', '\u2018', '\u2019', '\u201a', '\u201b':
				b.WriteRune(r)
			}
			b.WriteRune(r)
		}
		b.WriteByte('\'')
		return b.String()
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

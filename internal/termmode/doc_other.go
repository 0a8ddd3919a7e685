//go:build !(aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || zos || windows)

// Package termmode changes a terminal's mode; on this system it has none
// to change.
package termmode

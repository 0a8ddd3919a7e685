//go:build unix

package main

import "syscall"

// hermeticUmask makes the files and directories scripts create 0644 and
// 0755 whatever the umask of the machine running the tests: kagi refuses a
// config file other users can write, and a umask of 002 (the default for
// users with a group of their own on Debian and Ubuntu) would make every
// script's ~/.aws/config group-writable.
func hermeticUmask() { syscall.Umask(0o022) }

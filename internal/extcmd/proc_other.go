//go:build !unix

package extcmd

import "os/exec"

// startGroup leaves the child as it is: without Unix process groups, a
// timeout kills the child itself (exec.CommandContext), and the bounded
// wait for its output keeps anything it started from holding kagi.
func startGroup(*exec.Cmd, bool) {}

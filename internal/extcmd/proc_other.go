//go:build !unix && !windows

package extcmd

import "os/exec"

// startGroup: no process groups or jobs here.
func startGroup(*exec.Cmd, bool) group { return noGroup{} }

//go:build unix

package cli

import "os"

// bindChild: nothing to do. Where kagi execs the command, the command is
// kagi; beside a credential server (exec --server) the command outlives a
// killed kagi, as any child does on Unix.
func bindChild(*os.Process) (release func()) { return func() {} }

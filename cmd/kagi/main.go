// Command kagi gets AWS temporary credentials through assume-role with MFA
// and hands them to any tool. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	_ "github.com/kagi-cli/kagi/cmd/kagi/internal/earlyprompt" // kagi prompt, before the rest is initialized
	"github.com/kagi-cli/kagi/internal/cli"
)

func main() { os.Exit(run()) }

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cli.Main(ctx, os.Args[1:], cli.SystemIO())
}

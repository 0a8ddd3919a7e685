// Command awsemu runs the local AWS emulator (internal/awsemu: STS, IAM and
// IAM Identity Center) for the demo and for tests that need it as a separate
// process.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

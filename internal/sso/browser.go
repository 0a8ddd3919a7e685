package sso

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/kagi-cli/kagi/internal/extcmd"
)

// Browser opens URLs the way xdg-open and the AWS CLI (Python's
// webbrowser) do: $BROWSER when set, a list separated by ':' tried in
// order, each entry a command line whose %s is replaced by the URL (or,
// without %s, given the URL as its last argument); else the system's
// opener: xdg-open, open on macOS, url.dll's FileProtocolHandler on
// Windows.
//
// The browser is started and left running: it is the person's, it
// outlives kagi, and its exit says nothing about the sign-in (the
// loopback redirect does). So it is not run through extcmd.Runner, which
// waits for a helper, bounds its time and kills it at the end; it does
// get the runner's clean environment (extcmd.CleanEnv: none of kagi's
// secrets), no stdin or stdout, and a session of its own on Unix so that
// ^C at kagi's terminal does not close it.
type Browser struct {
	// Env reads BROWSER.
	Env func(string) (string, bool)
	// Environ is the environment the browser starts from (NAME=value).
	Environ func() []string
	// GOOS chooses the system opener (runtime.GOOS when "").
	GOOS string
}

// opener is one way to open the URL: a command line, and for one that
// reads the URL from stdin rather than argv (osascript), its input. Such
// an opener hands the URL on and exits: it is waited for (up to
// openerWait), and one that fails gives way to the next.
type opener struct {
	argv  []string
	stdin string
}

// openerWait bounds the wait for an opener that reads stdin.
const openerWait = 10 * time.Second

// Open starts a browser on url. The error says that none could be
// started; a browser that started and then failed is not seen.
func (b Browser) Open(ctx context.Context, url string) error {
	ops, err := b.openers(url)
	if err != nil {
		return err
	}
	var environ []string
	if b.Environ != nil {
		environ = extcmd.CleanEnv(b.Environ())
	}
	var errs []error
	for _, op := range ops {
		argv := op.argv
		path, err := exec.LookPath(argv[0])
		if err != nil {
			errs = append(errs, fmt.Errorf("%q: not found", argv[0]))
			continue
		}
		cmd := exec.Command(path, argv[1:]...)
		cmd.Env = environ
		detach(cmd)
		if op.stdin != "" {
			if err := runOpener(ctx, cmd, op.stdin); err != nil {
				errs = append(errs, fmt.Errorf("%q: %v", argv[0], err))
				continue
			}
			return nil
		}
		if err := cmd.Start(); err != nil {
			errs = append(errs, fmt.Errorf("%q: %v", argv[0], err))
			continue
		}
		go cmd.Wait() // reap it whenever it ends
		return nil
	}
	return errors.Join(errs...)
}

// runOpener runs an opener that reads the URL from stdin and waits for it
// to hand the URL on (at most openerWait). Its output is not shown: it
// could echo the URL.
func runOpener(ctx context.Context, cmd *exec.Cmd, stdin string) error {
	cmd.Stdin = strings.NewReader(stdin)
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t := time.NewTimer(openerWait)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
	case <-ctx.Done():
	}
	_ = cmd.Process.Kill()
	<-done
	return fmt.Errorf("did not finish within %s", openerWait)
}

// appleScriptString quotes s as an AppleScript string literal.
func appleScriptString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// commands are the command lines to try for url, in order (the tests'
// view of openers).
func (b Browser) commands(url string) ([][]string, error) {
	ops, err := b.openers(url)
	if err != nil {
		return nil, err
	}
	cmds := make([][]string, len(ops))
	for i, op := range ops {
		cmds[i] = op.argv
	}
	return cmds, nil
}

// openers are the ways to try for url, in order.
func (b Browser) openers(url string) ([]opener, error) {
	if b.Env != nil {
		if v, ok := b.Env("BROWSER"); ok && strings.TrimSpace(v) != "" {
			var cmds []opener
			for _, entry := range strings.Split(v, ":") {
				words := strings.Fields(entry)
				if len(words) == 0 {
					continue
				}
				subst := false
				for i, w := range words {
					if strings.Contains(w, "%s") {
						words[i] = strings.ReplaceAll(w, "%s", url)
						subst = true
					}
				}
				if !subst {
					words = append(words, url)
				}
				cmds = append(cmds, opener{argv: words})
			}
			if len(cmds) > 0 {
				return cmds, nil
			}
		}
	}
	goos := b.GOOS
	if goos == "" {
		goos = runtime.GOOS
	}
	switch goos {
	case "darwin":
		// osascript reads the script from stdin, and `open location`
		// hands the URL to the default browser by Apple Event: the URL is
		// in no process's argv, where other local users could read it
		// (macOS has no socket table kagi could check who connects to
		// the loopback link with). `open URL` only if osascript fails.
		return []opener{
			{argv: []string{"osascript", "-"}, stdin: "open location " + appleScriptString(url) + "\n"},
			{argv: []string{"open", url}},
		}, nil
	case "windows":
		// The URL as one argument, never through cmd /c start, whose
		// parser treats & in a query string as a command separator.
		return []opener{{argv: []string{"rundll32", "url.dll,FileProtocolHandler", url}}}, nil
	default:
		return []opener{{argv: []string{"xdg-open", url}}}, nil
	}
}

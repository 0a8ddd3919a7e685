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
// outlives kagi, and its exit 0 says nothing about the sign-in (the
// loopback redirect does). A failure does: xdg-open with no method to
// open a URL (a headless or SSH machine) exits 3 at once, and a browser
// that cannot reach a display exits non-zero; Open reports that on the
// channel it returns, so that a caller still waiting for the link stops
// waiting. It is not run through extcmd.Runner, which
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
// started. failed receives an *OpenerError when the opener that started
// ends in failure (a non-zero exit status, a signal), at any time; nothing
// when it exits 0 or runs on. Whether that matters is the caller's call:
// one whose link the browser fetched already ignores it. An opener that
// is waited for (osascript) has failed or not by the time Open returns
// (failed is nil then).
func (b Browser) Open(ctx context.Context, url string) (failed <-chan error, err error) {
	ops, err := b.openers(url)
	if err != nil {
		return nil, err
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
			return nil, nil
		}
		if err := cmd.Start(); err != nil {
			errs = append(errs, fmt.Errorf("%q: %v", argv[0], err))
			continue
		}
		ch := make(chan error, 1)
		// Reap it whenever it ends. Its output went nowhere (it could
		// echo the URL): the error says only how it ended.
		go func() {
			if err := cmd.Wait(); err != nil {
				ch <- &OpenerError{Opener: argv[0], Status: exitStatus(cmd, err)}
			}
		}()
		return ch, nil
	}
	return nil, errors.Join(errs...)
}

// OpenerError: the browser opener started and then failed. It carries
// the opener's name and how it ended, never its output.
type OpenerError struct {
	Opener string // the command as configured ("xdg-open", $BROWSER's word)
	Status string // "exit status 3", "signal: killed"
}

func (e *OpenerError) Error() string {
	return fmt.Sprintf("the browser opener %q failed (%s)", e.Opener, e.Status)
}

// exitStatus is how cmd ended, from Wait's error err.
func exitStatus(cmd *exec.Cmd, err error) string {
	if cmd.ProcessState != nil {
		return cmd.ProcessState.String()
	}
	return err.Error()
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

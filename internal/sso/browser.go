package sso

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strings"

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

// Open starts a browser on url. The error says that none could be
// started; a browser that started and then failed is not seen.
func (b Browser) Open(ctx context.Context, url string) error {
	cmds, err := b.commands(url)
	if err != nil {
		return err
	}
	var environ []string
	if b.Environ != nil {
		environ = extcmd.CleanEnv(b.Environ())
	}
	var errs []error
	for _, argv := range cmds {
		path, err := exec.LookPath(argv[0])
		if err != nil {
			errs = append(errs, fmt.Errorf("%q: not found", argv[0]))
			continue
		}
		cmd := exec.Command(path, argv[1:]...)
		cmd.Env = environ
		detach(cmd)
		if err := cmd.Start(); err != nil {
			errs = append(errs, fmt.Errorf("%q: %v", argv[0], err))
			continue
		}
		go cmd.Wait() // reap it whenever it ends
		return nil
	}
	return errors.Join(errs...)
}

// commands are the command lines to try for url, in order.
func (b Browser) commands(url string) ([][]string, error) {
	if b.Env != nil {
		if v, ok := b.Env("BROWSER"); ok && strings.TrimSpace(v) != "" {
			var cmds [][]string
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
				cmds = append(cmds, words)
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
		return [][]string{{"open", url}}, nil
	case "windows":
		// The URL as one argument, never through cmd /c start, whose
		// parser treats & in a query string as a command separator.
		return [][]string{{"rundll32", "url.dll,FileProtocolHandler", url}}, nil
	default:
		return [][]string{{"xdg-open", url}}, nil
	}
}

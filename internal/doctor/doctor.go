// Package doctor holds the checks of `kagi doctor`: what goes wrong in real
// setups (keyring, cache, profiles, helpers, MFA, permissions, and with
// --online key age and the clock), each found problem as one Finding with
// its fix. It knows nothing of cobra: internal/cli gathers what only it can
// open (the keyring, the cache as kagi itself chooses it) and hands it in.
package doctor

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/kagi-cli/kagi/internal/termtext"
)

// Status is how a check came out.
type Status string

const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Check names, as `--json` prints them: a contract with scripts.
const (
	CheckKeyring           = "keyring"
	CheckCache             = "cache"
	CheckConfig            = "config"
	CheckProfile           = "profile"
	CheckCredentialProcess = "credential_process"
	CheckMFA               = "mfa"
	CheckPermissions       = "permissions"
	CheckKeyAge            = "key_age"
	CheckClock             = "clock"
	CheckSSO               = "sso"
	CheckRotation          = "rotation"
)

// Finding is one line of the report. The JSON field names are a contract
// with scripts: add fields, never rename them.
type Finding struct {
	Check   string `json:"check"`
	Status  Status `json:"status"`
	Subject string `json:"subject"` // a profile, a path, a backend; "" for the check as a whole
	Message string `json:"message"`
	Fix     string `json:"fix"` // "" when there is nothing to do
}

// Healthy reports whether no finding is a warning or a failure: `kagi
// doctor` exits 0 only then.
func Healthy(fs []Finding) bool {
	for _, f := range fs {
		if f.Status != OK {
			return false
		}
	}
	return true
}

// WriteJSON prints the findings as a JSON array (never null).
func WriteJSON(w io.Writer, fs []Finding) error {
	if fs == nil {
		fs = []Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(fs)
}

// WriteText prints one line per finding. On a terminal: aligned columns
// (status, check, what and the fix) and a closing count; in a pipe: five
// tab-separated fields (status, check, subject, message, fix), no header,
// for grep and cut.
func WriteText(w io.Writer, fs []Finding, tty bool) error {
	if !tty {
		for _, f := range fs {
			if _, err := fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", f.Status, f.Check, oneLine(f.Subject), oneLine(f.Message), oneLine(f.Fix)); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	problems := 0
	for _, f := range fs {
		text := oneLine(f.Message)
		if f.Subject != "" {
			text = oneLine(f.Subject) + ": " + text
		}
		if f.Fix != "" {
			text += "; fix: " + oneLine(f.Fix)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Status, f.Check, text)
		if f.Status != OK {
			problems++
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var err error
	switch problems {
	case 0:
		_, err = fmt.Fprintln(w, "no problems found")
	case 1:
		_, err = fmt.Fprintln(w, "1 problem found")
	default:
		_, err = fmt.Fprintf(w, "%d problems found\n", problems)
	}
	return err
}

// oneLine keeps a field on its line: a tab or newline in a message (a
// multi-line setting) would break the columns scripts cut. What is left
// is shown as termtext shows it: a message quotes files anyone may have
// written, and it goes to a terminal.
func oneLine(s string) string {
	return termtext.Visible(strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s))
}

// hinter is an error that knows the next step.
type hinter interface{ Hint() string }

// fixOf is err's hint, or "".
func fixOf(err error) string {
	var h hinter
	if errors.As(err, &h) {
		return h.Hint()
	}
	return ""
}

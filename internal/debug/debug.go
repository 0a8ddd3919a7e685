// Package debug is kagi's --debug log: lines on stderr that say why each step
// was chosen and what was called, with every secret redacted.
//
// A nil *Log is valid and discards everything, so code logs unconditionally
// and pays nothing when --debug is off.
package debug

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Redacted replaces a secret wherever it would have appeared.
const Redacted = "[redacted]"

// Log writes "kagi: debug: ..." lines. Values registered with Secret are
// replaced by [redacted] in every line written after registration.
type Log struct {
	mu      sync.Mutex
	w       io.Writer
	secrets []string
}

// New returns a Log writing to w.
func New(w io.Writer) *Log { return &Log{w: w} }

// Enabled reports whether lines are written.
func (l *Log) Enabled() bool { return l != nil }

// Secret registers values that must never be printed (secret keys, session
// tokens, MFA codes, passphrases). Short values are ignored: redacting every
// "1" in the log would hide more than it protects, and real secrets are long.
func (l *Log) Secret(values ...string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, v := range values {
		if len(v) >= 6 {
			l.secrets = append(l.secrets, v)
		}
	}
}

// Printf writes one line.
func (l *Log) Printf(format string, args ...any) {
	if l == nil {
		return
	}
	line := fmt.Sprintf(format, args...)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.secrets {
		line = strings.ReplaceAll(line, s, Redacted)
	}
	line = strings.TrimRight(line, "\n")
	fmt.Fprintf(l.w, "kagi: debug: %s\n", strings.ReplaceAll(line, "\n", "\n             "))
}

// sensitiveHeaders carry credentials: the signature names the access key and
// X-Amz-Security-Token is a bearer secret.
var sensitiveHeaders = [...]string{"Authorization", "X-Amz-Security-Token", "X-Aws-Ec2-Metadata-Token"}

// Header returns a copy of h that is safe to log.
func Header(h http.Header) http.Header {
	out := h.Clone()
	for _, name := range sensitiveHeaders {
		if out.Get(name) != "" {
			out.Set(name, Redacted)
		}
	}
	return out
}

package doctor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/extcmd"
	"github.com/kagi-cli/kagi/internal/fsguard"
	"github.com/kagi-cli/kagi/internal/keyring"
)

// versionTimeout bounds `kagi version` of a kagi named by credential_process:
// it prints one line without touching anything, so a few seconds is plenty.
const versionTimeout = 5 * time.Second

// helperKeys are the settings whose value is a command line kagi (or the
// AWS tools) runs.
var helperKeys = []string{"credential_process", "mfa_process", "web_identity_token_process"}

// helperLine is one helper setting in a shared file.
type helperLine struct {
	file, profile, key, line string
	at                       int
}

// helperLines lists every helper setting of every profile, in file order.
func helperLines(files *config.Files) []helperLine {
	var out []helperLine
	for _, f := range []*config.File{files.Config, files.Credentials} {
		if f == nil {
			continue
		}
		for _, s := range f.Sections {
			if s.Kind != config.ProfileSection {
				continue
			}
			for _, k := range s.Keys {
				for _, hk := range helperKeys {
					if k.Name == hk && strings.TrimSpace(k.Value) != "" {
						out = append(out, helperLine{file: f.Path, profile: s.Name, key: k.Name, line: k.Value, at: k.Line})
					}
				}
			}
		}
	}
	return out
}

// words splits a helper's command line as the program that runs it would
// (sh on Unix; the C runtime's rules on Windows, as extcmd does) well
// enough to see its program and arguments: assignments before the program
// are skipped. ok is false for what it cannot split.
func words(line string) ([]string, bool) {
	if runtime.GOOS == "windows" {
		w, err := extcmd.SplitWindowsCommandLine(line)
		return w, err == nil && len(w) > 0
	}
	var out []string
	rest := line
	for {
		w, r, ok := extcmd.FirstWord(rest)
		if !ok {
			return nil, false
		}
		if w == "" {
			return out, len(out) > 0
		}
		if len(out) > 0 || !extcmd.IsAssignment(w) {
			out = append(out, w)
		}
		rest = r
	}
}

// isKagi reports whether program (as written) names kagi.
func isKagi(program string) bool {
	base := filepath.Base(filepath.ToSlash(program))
	base = strings.TrimSuffix(strings.ToLower(base), ".exe")
	return base == "kagi"
}

// checkCredentialProcess finds credential_process lines that run kagi and
// checks that the kagi they run exists, is this version, and does not call
// back into the profile that names it.
func checkCredentialProcess(ctx context.Context, files *config.Files, in Inputs) []Finding {
	var out []Finding
	checked := 0
	for _, h := range helperLines(files) {
		if h.key != "credential_process" {
			continue
		}
		argv, ok := words(h.line)
		if !ok || !isKagi(argv[0]) {
			continue
		}
		checked++
		subject := fmt.Sprintf("%s:%d", h.file, h.at)
		if len(argv) >= 3 && argv[1] == "credential-process" && argv[2] == h.profile {
			out = append(out, Finding{Check: CheckCredentialProcess, Status: Fail, Subject: subject,
				Message: fmt.Sprintf("profile %q runs `kagi credential-process %s`, which would run itself again", h.profile, h.profile),
				Fix:     fmt.Sprintf("give kagi its own profile (say %q with the role) and name that one: credential_process = kagi credential-process %s-kagi", h.profile+"-kagi", h.profile)})
			continue
		}
		prog := findProgram(h.line, argv[0], in.Environ)
		if prog == "" || !isFile(prog) {
			out = append(out, Finding{Check: CheckCredentialProcess, Status: Fail, Subject: subject,
				Message: fmt.Sprintf("credential_process of profile %q runs %q, which is not found (PATH %q)", h.profile, argv[0], lookupEnv(in.Environ, "PATH")),
				Fix:     fmt.Sprintf("install kagi on PATH, or name it by its full path: credential_process = %s", strings.Join(append([]string{orDefault(in.Self, "/path/to/kagi")}, argv[1:]...), " "))})
			continue
		}
		if in.Self != "" && sameFile(prog, in.Self) {
			continue // this very kagi
		}
		run := in.HelperVersion
		if run == nil {
			run = func(ctx context.Context, path string) (string, error) { return RunVersion(ctx, path, in.Environ) }
		}
		got, err := run(ctx, prog)
		if err != nil {
			out = append(out, Finding{Check: CheckCredentialProcess, Status: Fail, Subject: subject,
				Message: fmt.Sprintf("credential_process of profile %q runs %s, and `%s version` failed: %v", h.profile, prog, prog, err),
				Fix:     fmt.Sprintf("reinstall kagi at %s, or name the kagi you use by its full path", prog)})
			continue
		}
		if !sameVersion(got, in.Version) {
			out = append(out, Finding{Check: CheckCredentialProcess, Status: Warn, Subject: subject,
				Message: fmt.Sprintf("credential_process of profile %q runs %s, which is %q; this is %q", h.profile, prog, got, in.Version),
				Fix:     fmt.Sprintf("update or remove the kagi at %s, or name this one by its full path (%s)", prog, orDefault(in.Self, "its path"))})
		}
	}
	if len(out) == 0 && checked > 0 {
		out = append(out, Finding{Check: CheckCredentialProcess, Status: OK,
			Message: fmt.Sprintf("every credential_process that runs kagi (%s) runs this one", plural(checked, "line"))})
	}
	return out
}

// findProgram is the file a helper's command line runs: as sh finds it
// (extcmd.Program) on Unix; on Windows, where the line is run without a
// shell, its first word as a path or found in PATH, with or without .exe.
func findProgram(line, program string, environ []string) string {
	if runtime.GOOS != "windows" {
		return extcmd.Program(line, environ)
	}
	if strings.ContainsAny(program, `\/:`) {
		return program
	}
	for _, dir := range filepath.SplitList(lookupEnv(environ, "PATH")) {
		for _, name := range []string{program, program + ".exe"} {
			if p := filepath.Join(dir, name); isFile(p) {
				return p
			}
		}
	}
	return ""
}

// RunVersion runs `path version` through extcmd (time-bounded, capped
// output, no kagi secrets in its environment) and returns its first line.
func RunVersion(ctx context.Context, path string, environ []string) (string, error) {
	r := &extcmd.Runner{Environ: func() []string { return environ }, Timeout: versionTimeout, Stderr: discard{}}
	out, err := r.Output(ctx, extcmd.Command{What: path + " version", Path: path, Args: []string{"version"}, MaxOutput: 4096})
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(line), nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// sameVersion compares two `kagi version` lines by version and commit,
// "kagi VERSION (commit C": the build date and Go version follow from them.
func sameVersion(a, b string) bool {
	cut := func(s string) string {
		s, _, _ = strings.Cut(s, ", built")
		return s
	}
	return cut(a) == cut(b)
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir()
}

func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

func lookupEnv(environ []string, name string) string {
	v := ""
	for _, kv := range environ {
		if n, val, ok := strings.Cut(kv, "="); ok && extcmd.SameEnvName(n, name) {
			v = val
		}
	}
	return v
}

// checkPermissions finds programs and files another user can change: the
// programs helpers run (they run as this user) and the file keyring's
// directory (items planted there are read as this user's). The shared
// files themselves are refused when loaded (checkLoad).
func checkPermissions(files *config.Files, in Inputs, loaded bool) []Finding {
	if runtime.GOOS == "windows" {
		// ACLs, not mode bits, say who may write there (fsguard_windows.go).
		return nil
	}
	var out []Finding
	checked := map[string]bool{}
	for _, h := range helperLines(files) {
		prog := extcmd.Program(h.line, in.Environ)
		if prog == "" || checked[prog] {
			continue
		}
		checked[prog] = true
		what := fmt.Sprintf("%s program of profile %q", h.key, h.profile)
		if err := fsguard.CheckNotWritable(prog, what); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			out = append(out, permFinding(prog, err))
		}
	}
	if in.Keyring.Backend == keyring.BackendFile {
		if dir, err := keyring.FileDir(in.Keyring.Options); err == nil {
			if err := fsguard.CheckNotWritable(dir, "file keyring directory"); err != nil && !errors.Is(err, fs.ErrNotExist) {
				out = append(out, permFinding(dir, err))
			}
		}
	}
	if len(out) == 0 && loaded {
		out = append(out, Finding{Check: CheckPermissions, Status: OK,
			Message: "no other user can change the shared files, the helpers they run or the keyring's files"})
	}
	return out
}

func permFinding(path string, err error) Finding {
	var we *fsguard.WritableError
	if errors.As(err, &we) {
		return Finding{Check: CheckPermissions, Status: Fail, Subject: path, Message: err.Error(), Fix: we.Fix}
	}
	return Finding{Check: CheckPermissions, Status: Warn, Subject: path, Message: err.Error(), Fix: "check that the file exists and you can read it"}
}

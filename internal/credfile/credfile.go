// Package credfile edits the AWS shared credentials file in place, keeping
// every byte outside the edited keys as it was: comments, order, spacing,
// CRLF line endings and the other sections. Every edit is a locked
// read-modify-write that replaces the file atomically.
//
// The line rules are internal/config's (the AWS CLI's): "[name]" headers,
// "name = value" keys, '#'/';' comments, lines indented deeper than a key
// continuing it. Each edit is checked by parsing the result with
// config.Parse before it is written, so what kagi writes is what the SDKs
// will read.
package credfile

import (
	"errors"
	"fmt"
	"github.com/kagi-cli/kagi/internal/atomicfile"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/fsguard"
)

// Removed holds the values RemoveKeys deleted. Printing it with any fmt
// verb shows the key id only.
type Removed struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string // aws_session_token, or the legacy aws_security_token
}

func (r Removed) String() string { return fmt.Sprintf("{%s [redacted]}", r.AccessKeyID) }
func (r Removed) GoString() string {
	return fmt.Sprintf("credfile.Removed{AccessKeyID:%q, [redacted]}", r.AccessKeyID)
}
func (r Removed) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, r.GoString())
		return
	}
	fmt.Fprint(f, r.String())
}

// KV is one key to set.
type KV struct {
	Key, Value string
}

// FileNotFoundError is a credentials file that does not exist.
type FileNotFoundError struct{ Path string }

func (e *FileNotFoundError) Error() string { return fmt.Sprintf("%s does not exist", e.Path) }
func (e *FileNotFoundError) Unwrap() error { return fs.ErrNotExist }

// NoSectionError is a profile with no [section] in the file.
type NoSectionError struct{ Path, Profile string }

func (e *NoSectionError) Error() string {
	return fmt.Sprintf("%s has no section [%s]", e.Path, e.Profile)
}

// NoKeysError is a profile whose section holds no credential keys.
type NoKeysError struct{ Path, Profile string }

func (e *NoKeysError) Error() string {
	return fmt.Sprintf("section [%s] of %s holds no access keys", e.Profile, e.Path)
}

// RemoveKeys deletes the aws_access_key_id, aws_secret_access_key,
// aws_session_token and aws_security_token lines (and any lines
// continuing them) from every [profile] section of the credentials file at
// path, and returns the values deleted (the last of duplicates, as the
// SDKs read them). Every other byte stays as it was. The section header
// stays even when no key is left under it: it may carry the user's
// comments, and an empty section means nothing to the SDKs.
func RemoveKeys(path, profile string) (Removed, error) {
	var removed Removed
	err := edit(path, false, func(lines []line, _ string) ([]line, error) {
		if !hasSection(lines, profile) {
			return nil, &NoSectionError{path, profile}
		}
		var out []line
		found := false
		drop := false
		for _, l := range lines {
			switch l.kind {
			case headerLine:
				drop = false
			case keyLine:
				drop = l.section == profile && isCredKey(l.key)
				if drop {
					found = true
					switch l.key {
					case "aws_access_key_id":
						removed.AccessKeyID = l.value()
					case "aws_secret_access_key":
						removed.SecretAccessKey = l.value()
					default:
						removed.SessionToken = l.value()
					}
				}
			}
			// Comments and blank lines stay; continuation lines go with
			// their key.
			if !drop || l.kind == otherLine {
				out = append(out, l)
			}
		}
		if !found {
			return nil, &NoKeysError{path, profile}
		}
		return out, nil
	}, func(before, after *config.File) error {
		s := after.Profile(profile)
		for _, k := range []string{"aws_access_key_id", "aws_secret_access_key", "aws_session_token", "aws_security_token"} {
			if s.Key(k) != nil {
				return fmt.Errorf("%s would still hold %s in [%s] after the edit", path, k, profile)
			}
		}
		return sameExcept(before, after, profile)
	})
	if err != nil {
		return Removed{}, err
	}
	return removed, nil
}

// SetSection sets the given keys in section [profile] of the credentials
// file at path, creating the file (0600, directory 0700) or the section
// (at the end, with comment on the lines above its header) when missing.
// A key already in the section keeps its line and its place; only the text
// after "=" changes. Keys not named in kv and every other byte of the file
// stay as they were. An existing section's comments are left alone.
func SetSection(path, profile string, kv []KV, comment string) error {
	return setSection(path, profile, kv, comment, nil, nil)
}

// NotePrefix starts the comment line SetTemporary keeps in a section:
// "# kagi: " and the note.
const NotePrefix = "# kagi: "

// LongTermKeysError is a section that holds an aws_access_key_id with no
// session token: a person's long-term keys, which SetTemporary never
// overwrites.
type LongTermKeysError struct{ Path, Profile string }

func (e *LongTermKeysError) Error() string {
	return fmt.Sprintf("section [%s] of %s holds long-term keys (aws_access_key_id without aws_session_token)", e.Profile, e.Path)
}

// SetTemporary writes temporary credentials (kv, which must set
// aws_session_token) into section [profile] as SetSection does, and keeps
// note as one comment line, NotePrefix+note, right under the section's
// header (the last one, when the name is declared twice), in place of the
// notes earlier writes left anywhere in the section. Comment lines that
// start with NotePrefix in that section are kagi's: they are replaced.
//
// It refuses with *LongTermKeysError, writing nothing, when the section
// holds long-term keys. The check runs under the file's lock, on the bytes
// it replaces, so keys added by anyone after the caller looked are safe too.
func SetTemporary(path, profile string, kv []KV, note string) error {
	temporary := false
	for _, p := range kv {
		if strings.EqualFold(p.Key, "aws_session_token") && p.Value != "" {
			temporary = true
		}
	}
	if !temporary {
		return errors.New("temporary credentials need aws_session_token")
	}
	if strings.ContainsAny(note, "\r\n") {
		return errors.New("a note must be one line")
	}
	noteLine := strings.TrimRight(NotePrefix+note, " ")
	withNote := func(lines []line, eol string) []line {
		out := make([]line, 0, len(lines)+1)
		at := -1 // index in out of the last [profile] header
		for _, l := range lines {
			if l.kind == otherLine && l.section == profile && isNote(l.text) {
				continue
			}
			out = append(out, l)
			if l.kind == headerLine && l.section == profile {
				at = len(out) - 1
			}
		}
		if at < 0 {
			return out // cannot happen: the edit made the section
		}
		if out[at].eol == "" {
			out[at].eol = eol
		}
		n := line{text: noteLine, eol: eol, kind: otherLine, section: profile}
		return append(out[:at+1], append([]line{n}, out[at+1:]...)...)
	}
	refuseLongTerm := func(before *config.File) error {
		s := before.Profile(profile)
		if id, _ := s.Get("aws_access_key_id"); id == "" {
			return nil
		}
		for _, k := range []string{"aws_session_token", "aws_security_token"} {
			if v, _ := s.Get(k); v != "" {
				return nil
			}
		}
		return &LongTermKeysError{path, profile}
	}
	return setSection(path, profile, kv, "", withNote, refuseLongTerm)
}

// Note returns the text after NotePrefix of the last kagi note in section
// [profile] of the file at path; "" when there is none or no such file.
func Note(path, profile string) (string, error) {
	target, err := resolve(path)
	if err != nil {
		return "", err
	}
	data, err := fsguard.Read(target, fsguard.MaxConfig)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	note := ""
	for _, l := range scan(data) {
		if l.kind == otherLine && l.section == profile && isNote(l.text) {
			note = strings.TrimPrefix(config.TrimSpace(l.text), NotePrefix)
		}
	}
	return note, nil
}

func isNote(text string) bool {
	return strings.HasPrefix(config.TrimSpace(text), NotePrefix)
}

// setSection is SetSection with two hooks: after, which may change the
// lines once the keys are set, and refuse, which sees the file as it was
// (under the lock) and may refuse the edit.
func setSection(path, profile string, kv []KV, comment string, after func([]line, string) []line, refuse func(before *config.File) error) error {
	if err := checkSection(profile); err != nil {
		return err
	}
	want := map[string]string{}
	for _, p := range kv {
		if err := checkKV(p); err != nil {
			return err
		}
		want[strings.ToLower(p.Key)] = p.Value
	}
	if strings.ContainsAny(comment, "\r") {
		return errors.New("comment must not contain a carriage return")
	}
	return edit(path, true, func(lines []line, eol string) ([]line, error) {
		out := setKeys(lines, eol, profile, kv, want, comment)
		if after != nil {
			out = after(out, eol)
		}
		return out, nil
	}, func(before, after *config.File) error {
		if refuse != nil {
			if err := refuse(before); err != nil {
				return err
			}
		}
		s := after.Profile(profile)
		for k, v := range want {
			if got, ok := s.Get(k); !ok || got != v {
				return fmt.Errorf("%s would not read %s back as written in [%s]", path, k, profile)
			}
		}
		if old := before.Profile(profile); old != nil {
			for _, k := range old.Keys {
				if _, set := want[k.Name]; !set && !sameKey(k, s.Key(k.Name)) {
					return fmt.Errorf("%s: the edit would change %s in [%s]", path, k.Name, profile)
				}
			}
		}
		return sameExcept(before, after, profile)
	})
}

// setKeys sets kv in section [profile] of lines: in place where a key is
// already there, else after the section's last key, else in a new section
// at the end with comment above its header.
func setKeys(lines []line, eol, profile string, kv []KV, want map[string]string, comment string) []line {
	done := map[string]bool{}
	var out []line
	last := -1    // index in out after which new keys go
	skip := false // dropping the continuation lines of a replaced key
	for _, l := range lines {
		switch l.kind {
		case headerLine:
			skip = false
		case keyLine:
			skip = false
			if v, ok := want[l.key]; ok && l.section == profile {
				skip = true
				if done[l.key] {
					continue // a duplicate: the value is set once, on the first line
				}
				l = l.withValue(v)
				done[l.key] = true
			}
		case contLine:
			if skip {
				continue
			}
		}
		out = append(out, l)
		if l.section == profile && l.kind != otherLine {
			last = len(out) - 1
		}
	}
	var add []line
	for _, p := range kv {
		k := strings.ToLower(p.Key)
		if !done[k] {
			add = append(add, newKeyLine(profile, p.Key, p.Value, eol))
			done[k] = true
		}
	}
	if last < 0 {
		// A new section at the end, after a blank line.
		if n := len(out); n > 0 && out[n-1].eol == "" {
			out[n-1].eol = eol
		}
		if len(out) > 0 && strings.TrimSpace(out[len(out)-1].text) != "" {
			out = append(out, line{kind: otherLine, eol: eol})
		}
		if comment != "" {
			for _, c := range strings.Split(comment, "\n") {
				out = append(out, line{text: strings.TrimRight("# "+c, " "), kind: otherLine, eol: eol})
			}
		}
		out = append(out, line{text: "[" + profile + "]", kind: headerLine, section: profile, eol: eol})
		return append(out, add...)
	}
	if out[last].eol == "" {
		out[last].eol = eol
	}
	return append(out[:last+1], append(add, out[last+1:]...)...)
}

func isCredKey(k string) bool {
	switch k {
	case "aws_access_key_id", "aws_secret_access_key", "aws_session_token", "aws_security_token":
		return true
	}
	return false
}

func hasSection(lines []line, profile string) bool {
	for _, l := range lines {
		if l.kind == headerLine && l.section == profile {
			return true
		}
	}
	return false
}

func checkSection(profile string) error {
	if profile == "" || strings.TrimSpace(profile) != profile || strings.ContainsAny(profile, "[]\r\n#;") {
		return fmt.Errorf("%q cannot be a section name in the credentials file", profile)
	}
	return nil
}

// checkKV refuses what would not read back as written: an empty or odd
// name, a value with line breaks, surrounding spaces, or " #"/" ;" (the
// start of an inline comment).
func checkKV(p KV) error {
	if p.Key == "" || strings.TrimSpace(p.Key) != p.Key || strings.ContainsAny(p.Key, "=[]#;\r\n \t") {
		return fmt.Errorf("%q cannot be a key name in the credentials file", p.Key)
	}
	v := p.Value
	if strings.ContainsAny(v, "\r\n") || strings.TrimSpace(v) != v {
		// The value may be a secret: name the key only.
		return fmt.Errorf("the value of %s has line breaks or surrounding spaces", p.Key)
	}
	for i := 1; i < len(v); i++ {
		if (v[i] == '#' || v[i] == ';') && (v[i-1] == ' ' || v[i-1] == '\t') {
			return fmt.Errorf("the value of %s holds %q, which would start a comment", p.Key, v[i-1:i+1])
		}
	}
	return nil
}

// sameExcept checks that every section but profile reads the same in
// after as in before.
func sameExcept(before, after *config.File, profile string) error {
	if len(before.Sections) > len(after.Sections) {
		return fmt.Errorf("%s: the edit would lose a section", before.Path)
	}
	for _, b := range before.Sections {
		if b.Name == profile {
			continue
		}
		a := after.Section(b.Kind, b.Name)
		if a == nil || len(a.Keys) != len(b.Keys) {
			return fmt.Errorf("%s: the edit would change section [%s]", before.Path, b.Name)
		}
		for i := range b.Keys {
			if !sameKey(b.Keys[i], a.Keys[i]) {
				return fmt.Errorf("%s: the edit would change section [%s]", before.Path, b.Name)
			}
		}
	}
	return nil
}

func sameKey(a, b *config.Key) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Name != b.Name || a.Value != b.Value || len(a.Sub) != len(b.Sub) {
		return false
	}
	for i := range a.Sub {
		if !sameKey(a.Sub[i], b.Sub[i]) {
			return false
		}
	}
	return true
}

// edit runs one locked read-modify-write of the file path points to.
// change gets the file's lines and its line ending; check gets the file
// as config.Parse reads it before and after, and may refuse the edit.
func edit(path string, create bool, change func([]line, string) ([]line, error), check func(before, after *config.File) error) error {
	_, _, err := editFile(path, editOptions{create: create, kind: config.CredentialsFile}, change, check)
	return err
}

// editOptions say which shared file an edit is of and how it is written.
type editOptions struct {
	create bool            // a missing file is created (0600, directory 0700)
	kind   config.FileKind // how the file is parsed
	// keepMode keeps the file's permissions as they are (the config file,
	// often 0644, holds no secret); otherwise they are capped at 0600.
	keepMode bool
	dryRun   bool // compute and check the edit, write nothing
}

// editFile is edit for either shared file; it returns the file's bytes
// before and after the edit (after == before when nothing changes, and
// then nothing is written).
func editFile(path string, o editOptions, change func([]line, string) ([]line, error), check func(before, after *config.File) error) (oldData, newData []byte, err error) {
	create := o.create
	target, err := resolve(path)
	if err != nil {
		return nil, nil, err
	}
	// Before anything is created beside it (directory, lock file): the
	// rename would replace a device such as /dev/null itself.
	if err := checkTarget(path, target); err != nil {
		return nil, nil, err
	}
	if create {
		if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
			return nil, nil, err
		}
	}
	unlock, err := lock(target + ".kagi.lock")
	if err != nil {
		return nil, nil, err
	}
	defer unlock()
	removeStaleTemps(target)

	mode := os.FileMode(0o600)
	data, fi, err := fsguard.ReadInfo(target, fsguard.MaxConfig)
	existed := err == nil
	var nr *fsguard.NotRegularError
	switch {
	case errors.Is(err, fs.ErrNotExist) && create:
		// A new file, mode 0600.
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil, &FileNotFoundError{path}
	case errors.As(err, &nr):
		// Put there since checkTarget looked.
		return nil, nil, &NotRegularError{Path: path, Target: target, Kind: nr.Kind}
	case err != nil:
		return nil, nil, err
	case o.keepMode:
		mode = fi.Mode().Perm()
	default:
		// Never wider than 0600; a stricter mode (0400) stays.
		mode = fi.Mode().Perm() & 0o600
	}
	before, err := config.Parse(path, o.kind, data)
	if err == nil {
		err = before.Err()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("not editing a file the AWS SDKs cannot read: %w", err)
	}
	lines := scan(data)
	out, err := change(lines, lineEnding(lines))
	if err != nil {
		return nil, nil, err
	}
	newData = join(out)
	after, err := config.Parse(path, o.kind, newData)
	if err == nil {
		err = after.Err()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: the edit would make the file unreadable (%v); nothing was written", path, err)
	}
	if err := check(before, after); err != nil {
		return nil, nil, fmt.Errorf("%w; nothing was written", err)
	}
	if o.dryRun || (string(newData) == string(data) && (existed || len(newData) == 0)) {
		// An edit that changes nothing leaves the file alone.
		return data, newData, nil
	}
	return data, newData, writeAtomic(target, newData, mode)
}

// NotRegularError is a credentials file that kagi does not replace
// because it is, or links to, something other than a regular file: a
// device (a link to /dev/null is a common way to switch the file off), a
// FIFO, a socket or a directory.
type NotRegularError struct {
	Path   string // the credentials file as named
	Target string // what it links to; Path when it is no link
	Kind   string // "a character device", "a FIFO", ...
}

func (e *NotRegularError) Error() string {
	if e.Target != e.Path {
		return fmt.Sprintf("not writing %s: it links to %s, which is %s, not a regular file", e.Path, e.Target, e.Kind)
	}
	return fmt.Sprintf("not writing %s: it is %s, not a regular file", e.Path, e.Kind)
}

// Hint is the next step for the user.
func (e *NotRegularError) Hint() string {
	return "kagi writes only a regular file (a link to /dev/null keeps the file switched off); set AWS_SHARED_CREDENTIALS_FILE to another file to write there"
}

// CheckTarget returns a *NotRegularError when an edit of the credentials
// file at path would refuse it: path, or what its links lead to, exists
// and is not a regular file. A missing file is fine (SetSection creates
// it). Callers check before they do work whose result would go there.
func CheckTarget(path string) error {
	target, err := resolve(path)
	if err != nil {
		return err
	}
	return checkTarget(path, target)
}

func checkTarget(path, target string) error {
	fi, err := os.Lstat(target)
	if err != nil {
		return nil // missing: created by the edit; other errors come from it
	}
	var nr *fsguard.NotRegularError
	if errors.As(fsguard.CheckRegular(target, fi), &nr) {
		return &NotRegularError{Path: path, Target: target, Kind: nr.Kind}
	}
	return nil
}

// resolve follows symlinks, so the edit replaces the file a link points
// to rather than the link. A dangling link resolves to its target, which
// SetSection then creates.
func resolve(path string) (string, error) {
	target, err := filepath.EvalSymlinks(path)
	if err == nil {
		return target, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	for range 40 {
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		dest, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(path), dest)
		}
		path = dest
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", path)
}

// removeStaleTemps deletes the temporary files writeAtomic leaves beside
// path when a writer dies between creating one and renaming it (kill -9,
// power loss). Writers create them only while holding the lock, so any
// seen by the lock's holder is stale. They may hold secrets: removing them
// is hygiene, not just tidiness. Errors are ignored: a leftover file does
// not harm the edit.
func removeStaleTemps(path string) {
	dir, prefix := filepath.Dir(path), tempPrefix(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) && e.Type().IsRegular() {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

func tempPrefix(path string) string { return "." + filepath.Base(path) + ".kagi-" }

// writeAtomic replaces path with data (see atomicfile.Write); the
// temporary file is hidden beside it.
func writeAtomic(path string, data []byte, mode os.FileMode) error {
	return atomicfile.Write(path, data, mode, tempPrefix(path)+"*")
}

package credfile

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/fsguard"
)

// The shared config file (~/.aws/config) is edited here too, by whole
// sections: kagi sso profiles adds [profile NAME] sections at the end and
// removes the ones it added. The same line rules, lock, checks and atomic
// replacement as for the credentials file apply; only the section headers
// read differently ([profile NAME], [sso-session NAME]) and the file keeps
// its mode (it holds no secret, and is often 0644).

// ConfigBlock is one profile section of the config file as an edit's plan
// sees it.
type ConfigBlock struct {
	Profile string
	Section *config.Section // as config.Parse reads it (its Err set when it is unusable)
	// Above is the comment line right above the header, trimmed ("" when
	// that line is blank or a key, or there is none): a note that belongs
	// to the section and goes with it when it is removed.
	Above string
	// Extra reports text in the section besides its header and key lines:
	// comment lines among its keys, or a comment after the header.
	// Removing such a section would lose what the user wrote there.
	Extra bool
	// Headers counts the headers that declare the profile (more than one:
	// the section is unusable, and never removed).
	Headers int
}

// NewSection is a profile section to add.
type NewSection struct {
	Profile string
	Keys    []KV
	// Comment, when set, is written as "# Comment" on the line above the
	// header.
	Comment string
}

// ConfigEdit is the change a plan asks for: profiles to remove (each
// with its Above line), then sections to add at the end of the file.
type ConfigEdit struct {
	Remove []string
	Add    []NewSection
}

// ProfileExistsError is a section EditConfig was asked to add for a
// profile the file already has.
type ProfileExistsError struct{ Path, Profile string }

func (e *ProfileExistsError) Error() string {
	return fmt.Sprintf("%s already has profile %q", e.Path, e.Profile)
}

// EditConfig runs one locked read-modify-write of the config file at path
// (created, 0600, when missing and the edit adds to it). plan gets the
// file as it is under the lock, parsed and as blocks by profile name, and
// returns the edit; planning under the lock is what makes two concurrent
// edits see each other's sections. Every byte outside the removed lines
// and the appended text stays as it was (comments, order, CRLF line
// endings, a BOM); a last line without a line ending gets one before a
// new section. The result is parsed before it is written: every other
// section must read as before, added sections as given, removed ones not
// at all. The file is replaced atomically and keeps its mode.
//
// With dryRun nothing is written. before and after are the file's bytes;
// an edit that changes nothing writes nothing.
func EditConfig(path string, dryRun bool, plan func(f *config.File, blocks map[string]*ConfigBlock) (ConfigEdit, error)) (before, after []byte, err error) {
	var ed ConfigEdit
	return editFile(path, editOptions{create: true, kind: config.ConfigFile, keepMode: true, dryRun: dryRun},
		func(lines []line, eol string) ([]line, error) {
			// The file as editFile read it, parsed once more for the plan:
			// the plan must see what the lines say.
			f, err := config.Parse(path, config.ConfigFile, join(lines))
			if err != nil {
				return nil, err
			}
			blocks := configBlocks(f, lines)
			if ed, err = plan(f, blocks); err != nil {
				return nil, err
			}
			return applyConfigEdit(path, lines, eol, blocks, ed)
		},
		func(before, after *config.File) error {
			return checkConfigEdit(before, after, ed)
		})
}

// profileOfHeader is the profile a config file header names, as
// config.Parse reads it: "default", or the rest of "profile NAME"; ""
// for any other section.
func profileOfHeader(header string) string {
	if header == "default" {
		return "default"
	}
	rest, ok := strings.CutPrefix(header, "profile")
	if !ok || rest == "" || config.Indent(rest) == 0 {
		return ""
	}
	return config.TrimSpace(rest)
}

// configBlocks describes each profile section of lines.
func configBlocks(f *config.File, lines []line) map[string]*ConfigBlock {
	blocks := map[string]*ConfigBlock{}
	for i, l := range lines {
		if l.kind != headerLine {
			continue
		}
		name := profileOfHeader(l.section)
		if name == "" {
			continue
		}
		b := blocks[name]
		if b == nil {
			b = &ConfigBlock{Profile: name, Section: f.Profile(name)}
			blocks[name] = b
		}
		b.Headers++
		if i > 0 && lines[i-1].kind == otherLine {
			if t := config.TrimSpace(lines[i-1].text); t != "" {
				b.Above = t
			}
		}
		if config.TrimSpace(l.text) != "["+l.section+"]" {
			b.Extra = true
		}
		start, end := i+1, sectionEnd(lines, i)
		for _, m := range lines[start : end+1] {
			if m.kind == otherLine && config.TrimSpace(m.text) != "" {
				b.Extra = true
			}
		}
	}
	return blocks
}

// sectionEnd is the index of the last key (or continuation) line of the
// section whose header is lines[h]; h when it has none. Lines after it
// (blank, comments) are not the section's: a comment there is the next
// section's note or the user's.
func sectionEnd(lines []line, h int) int {
	end := h
	for j := h + 1; j < len(lines) && lines[j].kind != headerLine; j++ {
		if lines[j].kind == keyLine || lines[j].kind == contLine {
			end = j
		}
	}
	return end
}

func applyConfigEdit(path string, lines []line, eol string, blocks map[string]*ConfigBlock, ed ConfigEdit) ([]line, error) {
	drop := make([]bool, len(lines))
	for _, name := range ed.Remove {
		b := blocks[name]
		if b == nil || b.Headers != 1 {
			return nil, fmt.Errorf("%s: cannot remove profile %q: it is not one section of the file", path, name)
		}
		for i, l := range lines {
			if l.kind != headerLine || profileOfHeader(l.section) != name {
				continue
			}
			start, end := i, sectionEnd(lines, i)
			if b.Above != "" {
				start--
			}
			for j := start; j <= end; j++ {
				drop[j] = true
			}
			// The blank line an append puts between the text above and
			// the section goes too (one blank line after text, and a
			// blank line or the end of the file after the section), so
			// that removing what an append added gives the file back.
			if k := start - 1; k >= 1 && isBlank(lines[k]) && !isBlank(lines[k-1]) && (end+1 == len(lines) || isBlank(lines[end+1])) {
				drop[k] = true
			}
		}
	}
	var out []line
	for i, l := range lines {
		if !drop[i] {
			out = append(out, l)
		}
	}
	for _, s := range ed.Add {
		if err := checkNewSection(s); err != nil {
			return nil, err
		}
		if b := blocks[s.Profile]; b != nil {
			return nil, &ProfileExistsError{path, s.Profile}
		}
		blocks[s.Profile] = &ConfigBlock{Profile: s.Profile, Headers: 1}
		if n := len(out); n > 0 && out[n-1].eol == "" {
			out[n-1].eol = eol
		}
		if n := len(out); n > 0 && !isBlank(out[n-1]) {
			out = append(out, line{kind: otherLine, eol: eol})
		}
		if s.Comment != "" {
			out = append(out, line{text: "# " + s.Comment, kind: otherLine, eol: eol})
		}
		header := "profile " + s.Profile
		out = append(out, line{text: "[" + header + "]", kind: headerLine, section: header, eol: eol})
		for _, kv := range s.Keys {
			out = append(out, newKeyLine(header, kv.Key, kv.Value, eol))
		}
	}
	return out, nil
}

func isBlank(l line) bool { return l.kind == otherLine && config.TrimSpace(l.text) == "" }

// checkNewSection refuses a section that would not read back as given by
// every tool: a name botocore splits or the Go SDK cuts (white space,
// quotes, brackets, comment characters), [profile default] (the default
// profile, which botocore reads from [default] only), bad keys or values.
func checkNewSection(s NewSection) error {
	if s.Profile == "" || s.Profile == "default" || strings.ContainsAny(s.Profile, "[]#;\"'\\ \t\r\n\f\v") {
		return fmt.Errorf("%q cannot be a profile name written to the config file", s.Profile)
	}
	if strings.ContainsAny(s.Comment, "\r\n") {
		return errors.New("a section's comment must be one line")
	}
	for _, kv := range s.Keys {
		if err := checkKV(kv); err != nil {
			return err
		}
	}
	return nil
}

// checkConfigEdit checks the parsed result: removed profiles are gone,
// added ones read as given, every other section reads as before.
func checkConfigEdit(before, after *config.File, ed ConfigEdit) error {
	changed := map[string]bool{}
	for _, name := range ed.Remove {
		changed[name] = true
		if after.Profile(name) != nil {
			return fmt.Errorf("%s: profile %q would still be there after the edit", before.Path, name)
		}
	}
	for _, s := range ed.Add {
		changed[s.Profile] = true
		a := after.Profile(s.Profile)
		if a == nil || a.Err != nil || len(a.Keys) != len(s.Keys) {
			return fmt.Errorf("%s: profile %q would not read back as written", before.Path, s.Profile)
		}
		for i, kv := range s.Keys {
			if k := a.Keys[i]; k.Name != strings.ToLower(kv.Key) || k.Value != kv.Value {
				return fmt.Errorf("%s: %s of profile %q would not read back as written", before.Path, kv.Key, s.Profile)
			}
		}
	}
	if len(after.Sections) != len(before.Sections)-len(ed.Remove)+len(ed.Add) {
		return fmt.Errorf("%s: the edit would add or lose a section it was not asked to", before.Path)
	}
	for _, b := range before.Sections {
		if b.Kind == config.ProfileSection && changed[b.Name] {
			continue
		}
		a := after.Section(b.Kind, b.Name)
		if a == nil || len(a.Keys) != len(b.Keys) || (a.Err == nil) != (b.Err == nil) {
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

// ReadConfig reads the config file at path as EditConfig's plan would see
// it, without a lock and without writing anything: for a plan that is
// only shown. A missing file is an empty one.
func ReadConfig(path string) (*config.File, map[string]*ConfigBlock, error) {
	target, err := resolve(path)
	if err != nil {
		return nil, nil, err
	}
	data, err := fsguard.Read(target, fsguard.MaxConfig)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, err
	}
	f, err := config.Parse(path, config.ConfigFile, data)
	if err != nil {
		return nil, nil, err
	}
	return f, configBlocks(f, scan(data)), nil
}

// Package dirprofile finds the profile a directory tree names for `kagi
// use` with no profile: a file named .aws-profile holding one profile name,
// in the working directory or the nearest directory above it.
//
// No file name for this is common to the AWS tools: the AWS CLI declined one
// (aws/aws-cli#2084 proposed .awsprofile), granted and aws-vault have none,
// and what people do is direnv's .envrc exporting AWS_PROFILE, which kagi
// honours as it is (AWS_PROFILE comes first). .aws-profile reads like the
// one-line version files other tools walk up to (.nvmrc, .python-version).
package dirprofile

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/kagi-cli/kagi/internal/fsguard"
)

// FileName is the file Find looks for.
const FileName = ".aws-profile"

// maxSize bounds the file: a profile name and a comment or two.
const maxSize = 4 << 10

// Found is the file that names a profile.
type Found struct {
	Path    string
	Profile string
}

// FileError is a .aws-profile that cannot be used: what it holds is not one
// profile name. A file other users can write is an *fsguard.WritableError
// instead, and one that is not a regular file an *fsguard.NotRegularError.
type FileError struct {
	Path    string
	Problem string
}

func (e *FileError) Error() string { return fmt.Sprintf("%s: %s", e.Path, e.Problem) }

// Hint says what the file must hold.
func (e *FileError) Hint() string {
	return "write one profile name on the first line, e.g. 'echo prod > " + e.Path + "', or remove the file"
}

// Find looks for FileName in dir and each directory above it, up to home
// when dir is inside home (a file above a home directory is some other
// user's or the system's choice), else up to the root of the file system.
// It returns nil and no error when there is none. The first file found
// decides: when it cannot be used (unreadable, writable by other users,
// not one profile name) Find returns why, rather than looking further up,
// so that a broken file is never silently passed over for another.
func Find(dir, home string) (*Found, error) {
	dir = filepath.Clean(dir)
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("looking for %s: %q is not an absolute directory", FileName, dir)
	}
	stop := ""
	if home != "" {
		home = filepath.Clean(home)
		if rel, err := filepath.Rel(home, dir); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			stop = home
		}
	}
	for {
		p := filepath.Join(dir, FileName)
		f, err := read(p)
		if err == nil || !errors.Is(err, fs.ErrNotExist) {
			return f, err
		}
		parent := filepath.Dir(dir)
		if dir == stop || parent == dir {
			return nil, nil
		}
		dir = parent
	}
}

func read(path string) (*Found, error) {
	data, fi, err := fsguard.ReadInfo(path, maxSize)
	if err != nil {
		var tl *fsguard.TooLargeError
		if errors.As(err, &tl) {
			return nil, &FileError{Path: path, Problem: "too large to hold one profile name"}
		}
		return nil, err
	}
	if err := fsguard.CheckNotWritableInfo(path, fi, "profile file"); err != nil {
		return nil, err
	}
	name, err := parse(string(data))
	if err != nil {
		return nil, &FileError{Path: path, Problem: err.Error()}
	}
	return &Found{Path: path, Profile: name}, nil
}

// parse reads the profile name: the first line that is not blank or a
// comment (#), trimmed, without an inline comment (a '#' after white
// space, as in the AWS config: "dev  # the dev account"); it must be one
// word of printable characters.
func parse(s string) (string, error) {
	s = strings.TrimPrefix(s, "\ufeff")
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for i := 1; i < len(line); i++ {
			if line[i] == '#' && (line[i-1] == ' ' || line[i-1] == '\t') {
				line = strings.TrimSpace(line[:i])
				break
			}
		}
		for _, r := range line {
			if r <= ' ' || r == 0x7f || r == '[' || r == ']' {
				return "", fmt.Errorf("%q is not a profile name", line)
			}
		}
		return line, nil
	}
	return "", errors.New("names no profile")
}

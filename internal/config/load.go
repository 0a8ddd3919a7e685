package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/kagi-cli/kagi/internal/fsguard"
)

// Env is how loading and resolution see the environment: a lookup, so tests
// pass a map (see MapEnv) and the CLI passes os.LookupEnv.
type Env func(key string) (string, bool)

// MapEnv is an Env backed by a map.
func MapEnv(m map[string]string) Env {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// get returns a non-empty variable: an empty AWS_PROFILE means unset to
// every SDK, and so it does here.
func (e Env) get(key string) string {
	if e == nil {
		return ""
	}
	v, _ := e(key)
	return v
}

// Files are the two shared files, both parsed. Either may be empty.
type Files struct{ Config, Credentials *File }

const (
	defaultConfigPath      = "~/.aws/config"
	defaultCredentialsPath = "~/.aws/credentials"
)

// Paths returns the config and credentials file paths as the user would
// write them: AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE, else
// ~/.aws/config and ~/.aws/credentials.
func Paths(env Env) (configPath, credentialsPath string) {
	configPath, credentialsPath = env.get("AWS_CONFIG_FILE"), env.get("AWS_SHARED_CREDENTIALS_FILE")
	if configPath == "" {
		configPath = defaultConfigPath
	}
	if credentialsPath == "" {
		credentialsPath = defaultCredentialsPath
	}
	return configPath, credentialsPath
}

// ExpandPath replaces a leading "~" with the user's home directory, as
// the AWS CLI and SDKs find it: HOME on Unix; on Windows USERPROFILE, else
// HOMEDRIVE and HOMEPATH (Python's expanduser, which botocore uses; HOME is
// not read there), where "~\" works as well as "~/". It fails when the
// path needs a home directory and none is set.
func ExpandPath(env Env, path string) (string, error) {
	return expandPath(runtime.GOOS, env, path)
}

// expandPath is ExpandPath on the system goos.
func expandPath(goos string, env Env, path string) (string, error) {
	rest, ok := strings.CutPrefix(path, "~")
	if !ok || rest != "" && rest[0] != '/' && !(goos == "windows" && rest[0] == '\\') {
		return path, nil // not ~, ~/ or ~\ (~user is left as it is)
	}
	home, from := homeDir(goos, env)
	if home == "" {
		return "", fmt.Errorf("cannot expand %q: %s is not set", path, from)
	}
	if goos == "windows" {
		// filepath.Join would use this system's separator; the path is
		// for Windows.
		if rest == "" {
			return home, nil
		}
		return strings.TrimRight(home, `\/`) + strings.ReplaceAll(rest, "/", `\`), nil
	}
	return filepath.Join(home, rest), nil
}

// homeDir is the user's home directory on the system goos, and the
// variable that names it (for the error when it is not set).
func homeDir(goos string, env Env) (home, from string) {
	if goos != "windows" {
		return env.get("HOME"), "HOME"
	}
	if home := env.get("USERPROFILE"); home != "" {
		return home, "USERPROFILE"
	}
	if drive, p := env.get("HOMEDRIVE"), env.get("HOMEPATH"); drive != "" && p != "" {
		return drive + p, "USERPROFILE"
	}
	return "", "USERPROFILE"
}

// Load reads and parses the config and credentials files named by env. A
// file that does not exist is empty, as it is to the AWS CLI (CI runners
// often have neither); one that cannot be read, or is a directory, is an
// error naming it. With no home directory (HOME, or USERPROFILE on
// Windows), the default paths are treated as missing so that environment-only use works in bare containers.
func Load(env Env) (*Files, error) {
	cp, crp := Paths(env)
	cfg, err := loadFile(env, cp, ConfigFile)
	if err != nil {
		return nil, err
	}
	creds, err := loadFile(env, crp, CredentialsFile)
	if err != nil {
		return nil, err
	}
	return &Files{Config: cfg, Credentials: creds}, nil
}

func loadFile(env Env, path string, kind FileKind) (*File, error) {
	empty := &File{Path: path, Kind: kind, index: map[sectionID]*Section{}}
	real, err := ExpandPath(env, path)
	if err != nil {
		if path == defaultConfigPath || path == defaultCredentialsPath {
			return empty, nil
		}
		return nil, err
	}
	// What named the file, for errors: the variable, else the file's role.
	namedBy, envVar := "config file", "AWS_CONFIG_FILE"
	if kind == CredentialsFile {
		namedBy, envVar = "credentials file", "AWS_SHARED_CREDENTIALS_FILE"
	}
	if env.get(envVar) != "" {
		namedBy = envVar
	}
	// Bounded, and only a regular file: AWS_CONFIG_FILE=/dev/zero or a
	// FIFO must not fill memory or hang every command.
	data, fi, err := fsguard.ReadInfo(real, fsguard.MaxConfig)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return empty, nil
	case err != nil && isDevNull(real, err):
		// A link to /dev/null (or AWS_CONFIG_FILE=/dev/null) is the usual
		// way to switch a file off; the AWS CLI reads it as empty.
		return empty, nil
	case fsguard.IsRefusal(err):
		return nil, fmt.Errorf("%s: %w", namedBy, err)
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	// A file another user can change names programs this user runs
	// (credential_process, mfa_process): refused, as ssh refuses such
	// files. fi is the file actually read, so it cannot be swapped between
	// the check and the read.
	if err := fsguard.CheckNotWritableInfo(real, fi, namedBy); err != nil {
		return nil, err
	}
	return Parse(path, kind, data)
}

// isDevNull reports whether err refused path because it is (a link to) the
// null device.
func isDevNull(path string, err error) bool {
	var nr *fsguard.NotRegularError
	if !errors.As(err, &nr) {
		return false
	}
	fi, err := os.Stat(path)
	return err == nil && fsguard.IsNullDevice(fi)
}

// ProfileNames returns every profile in either file, sorted: the union, so
// a profile that only has keys in the credentials file is listed too.
func (fs *Files) ProfileNames() []string {
	seen := map[string]bool{}
	var names []string
	for _, f := range []*File{fs.Config, fs.Credentials} {
		if f == nil {
			continue
		}
		for _, s := range f.Sections {
			if s.Kind == ProfileSection && !seen[s.Name] {
				seen[s.Name] = true
				names = append(names, s.Name)
			}
		}
	}
	sort.Strings(names)
	return names
}

// HasProfile reports whether name is a profile in either file.
func (fs *Files) HasProfile(name string) bool {
	return fs.Config.Profile(name) != nil || fs.Credentials.Profile(name) != nil
}

// Command release builds kagi's release artifacts from a clean git checkout:
// per target an archive (tar.gz for Unix, zip for Windows) and a CycloneDX
// SBOM, SHA256SUMS over both, and the Homebrew formula and Scoop manifest
// people install from, generated from those checksums.
//
// Everything is a function of the commit and the Go toolchain: binaries are
// built with -trimpath, -buildvcs=true and CGO_ENABLED=0 in an environment
// reset to fixed values; the version, commit and date come from the build
// info Go stamps from git (the commit's date, never the clock); archives have
// fixed modes, owners, order and timestamps. Two runs on the same commit, in
// different directories and at different times, give byte-identical files
// (scripts/repro-check.sh checks it). It reads no network beyond what the go
// command fetches from the module proxy.
//
// Run it through scripts/release.sh (make release), which clones HEAD first.
package main

import (
	"crypto/sha256"
	"debug/buildinfo"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"time"
)

const (
	modulePath  = "github.com/kagi-cli/kagi"
	homepage    = "https://github.com/kagi-cli/kagi"
	description = "AWS temporary credentials through assume-role with MFA, for any tool"
)

// defaultTargets matches CROSS_TARGETS in the Makefile.
const defaultTargets = "linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64"

func main() {
	out := flag.String("out", "", "directory for the artifacts (must not exist or be empty)")
	targets := flag.String("targets", defaultTargets, "GOOS/GOARCH pairs, space-separated")
	urlBase := flag.String("url-base", homepage+"/releases/download/v{version}",
		"where the archives will be downloaded from; {version} is replaced")
	goCmd := flag.String("go", "go", "the go command")
	flag.Parse()
	if *out == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: go run ./scripts/release -out DIR [-targets 'linux/amd64 ...'] [-url-base URL]")
		os.Exit(2)
	}
	r := releaser{out: *out, goCmd: *goCmd, urlBase: *urlBase, stderr: os.Stderr}
	if err := r.run(strings.Fields(*targets)); err != nil {
		fmt.Fprintf(os.Stderr, "release: error: %v\n", err)
		os.Exit(1)
	}
}

type target struct{ goos, goarch string }

func (t target) String() string { return t.goos + "/" + t.goarch }

func (t target) exe() string {
	if t.goos == "windows" {
		return "kagi.exe"
	}
	return "kagi"
}

func parseTarget(s string) (target, error) {
	goos, goarch, ok := strings.Cut(s, "/")
	if !ok || goos == "" || goarch == "" || strings.Contains(goarch, "/") {
		return target{}, fmt.Errorf("target %q is not GOOS/GOARCH", s)
	}
	return target{goos, goarch}, nil
}

type releaser struct {
	out, goCmd, urlBase string
	stderr              io.Writer
}

// artifact is one target's archive and what the manifests need to know of it.
type artifact struct {
	target  target
	archive string // file name in out
	sha256  string // of the archive, hex
}

// release is the data every generated file is made from.
type release struct {
	version   string // without the leading "v": 1.2.3 or 0.0.0-20261129210227-449c601f581c
	commit    string
	goVersion string    // the toolchain: a rebuild needs the same one
	date      time.Time // the commit's date
	urlBase   string    // with {version} replaced
	arts      []artifact
}

func (r releaser) run(targetList []string) error {
	if len(targetList) == 0 {
		return errors.New("no targets")
	}
	if err := os.MkdirAll(r.out, 0o755); err != nil {
		return err
	}
	if ents, err := os.ReadDir(r.out); err != nil {
		return err
	} else if len(ents) > 0 {
		return fmt.Errorf("output directory %q is not empty; remove it first", r.out)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		return fmt.Errorf("run from the root of a kagi checkout: %w", err)
	}
	build, err := os.MkdirTemp("", "kagi-release-build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(build)

	var rel *release
	sums := map[string]string{} // file name → hex SHA-256
	for _, s := range targetList {
		t, err := parseTarget(s)
		if err != nil {
			return err
		}
		bin := filepath.Join(build, t.goos+"_"+t.goarch, t.exe())
		if err := r.build(t, bin); err != nil {
			return err
		}
		binBytes, err := os.ReadFile(bin)
		if err != nil {
			return err
		}
		bi, err := buildinfo.ReadFile(bin)
		if err != nil {
			return fmt.Errorf("%s: reading build info: %w", t, err)
		}
		version, commit, goVersion, date, err := stamp(bi)
		if err != nil {
			return fmt.Errorf("%s: %w", t, err)
		}
		if rel == nil {
			rel = &release{version: version, commit: commit, goVersion: goVersion, date: date,
				urlBase: strings.ReplaceAll(r.urlBase, "{version}", version)}
		} else if rel.version != version || rel.commit != commit || rel.goVersion != goVersion {
			return fmt.Errorf("%s: built as %s at %s, other targets as %s at %s", t, version, commit, rel.version, rel.commit)
		}

		files := []archiveFile{
			{name: t.exe(), mode: 0o755, data: binBytes},
			{name: "README.md", mode: 0o644, data: readme},
		}
		base := fmt.Sprintf("kagi_%s_%s_%s", version, t.goos, t.goarch)
		var name string
		var data []byte
		if t.goos == "windows" {
			name = base + ".zip"
			data, err = zipArchive(files, date)
		} else {
			name = base + ".tar.gz"
			data, err = tarGzArchive(files, date)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", t, err)
		}
		if err := r.write(name, data); err != nil {
			return err
		}
		sums[name] = hexSHA256(data)
		rel.arts = append(rel.arts, artifact{target: t, archive: name, sha256: sums[name]})

		sbom, err := cycloneDX(bi, t, hexSHA256(binBytes), date)
		if err != nil {
			return fmt.Errorf("%s: sbom: %w", t, err)
		}
		if err := r.write(base+".cdx.json", sbom); err != nil {
			return err
		}
		sums[base+".cdx.json"] = hexSHA256(sbom)
		fmt.Fprintf(r.stderr, "release: %s: %s (%d bytes)\n", t, name, len(data))
	}

	if err := r.write("SHA256SUMS", sha256Sums(sums)); err != nil {
		return err
	}
	formula, err := homebrewFormula(*rel)
	if err != nil {
		return err
	}
	if formula != nil {
		if err := r.write("kagi.rb", formula); err != nil {
			return err
		}
	}
	scoop, err := scoopManifest(*rel)
	if err != nil {
		return err
	}
	if scoop != nil {
		if err := r.write("kagi.json", scoop); err != nil {
			return err
		}
	}
	fmt.Fprintf(r.stderr, "release: kagi %s (commit %s, %s, %s) in %s\n",
		rel.version, rel.commit[:12], rel.date.Format(time.RFC3339), rel.goVersion, r.out)
	return nil
}

// build runs go build for t in an environment where nothing but the target
// can change the output: GOFLAGS, GOAMD64, GOEXPERIMENT and the like from the
// caller's shell are replaced by fixed values. GOTOOLCHAIN passes through, so
// that GOTOOLCHAIN=go1.26.8 rebuilds a release with the Go it was built with.
func (r releaser) build(t target, out string) error {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GOOS", "GOARCH", "CGO_ENABLED", "GOFLAGS", "GOEXPERIMENT", "GODEBUG",
			"GOAMD64", "GOARM", "GOARM64", "GO386", "GOMIPS", "GOMIPS64", "GOPPC64", "GORISCV64", "GOWASM",
			"CGO_CFLAGS", "CGO_LDFLAGS", "GOROOT_FINAL":
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "GOOS="+t.goos, "GOARCH="+t.goarch, "CGO_ENABLED=0",
		"GOFLAGS=-mod=readonly", "GOAMD64=v1", "GOARM64=v8.0")
	cmd := exec.Command(r.goCmd, "build", "-trimpath", "-buildvcs=true", "-o", out, "./cmd/kagi")
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = r.stderr, r.stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: go build: %w", t, err)
	}
	return nil
}

// stamp reads what git told the go command: the version (a tag at the commit
// or Go's pseudo-version), the commit and its date. A release must come from
// a committed tree: without vcs information, or with uncommitted changes, the
// binary could not be rebuilt by anyone else.
func stamp(bi *debug.BuildInfo) (version, commit, goVersion string, date time.Time, err error) {
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	commit = settings["vcs.revision"]
	if commit == "" {
		return "", "", "", time.Time{}, errors.New("the binary has no vcs information: build from a git clone (a worktree is not enough for the go command), with -buildvcs=true")
	}
	if settings["vcs.modified"] == "true" {
		return "", "", "", time.Time{}, errors.New("the tree has uncommitted changes: a release is built from a commit")
	}
	date, err = time.Parse(time.RFC3339, settings["vcs.time"])
	if err != nil {
		return "", "", "", time.Time{}, fmt.Errorf("commit date %q: %w", settings["vcs.time"], err)
	}
	goVersion = bi.GoVersion
	version = bi.Main.Version
	if !strings.HasPrefix(version, "v") || strings.Contains(version, "+") {
		return "", "", "", time.Time{}, fmt.Errorf("module version %q is not a release version", version)
	}
	return strings.TrimPrefix(version, "v"), commit, goVersion, date.UTC(), nil
}

func (r releaser) write(name string, data []byte) error {
	return os.WriteFile(filepath.Join(r.out, name), data, 0o644)
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return fmt.Sprintf("%x", sum)
}

// sha256Sums is the file sha256sum -c reads: "HASH  NAME" per line, by name.
func sha256Sums(sums map[string]string) []byte {
	names := make([]string, 0, len(sums))
	for n := range sums {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s  %s\n", sums[n], n)
	}
	return []byte(b.String())
}

package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

var commitDate = time.Date(2026, 11, 29, 21, 2, 27, 0, time.UTC)

func testFiles(exe string) []archiveFile {
	return []archiveFile{
		{name: exe, mode: 0o755, data: []byte("\x7fELF binary bytes")},
		{name: "README.md", mode: 0o644, data: []byte("# kagi\n")},
	}
}

// withLocalZone runs f with time.Local set to zone, as on a builder in that
// zone.
func withLocalZone(t *testing.T, zone string, f func()) {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Skipf("no zone data for %s: %v", zone, err)
	}
	old := time.Local
	time.Local = loc
	defer func() { time.Local = old }()
	f()
}

func TestTarGzIsAFunctionOfContentsAndCommitDate(t *testing.T) {
	var outs [][]byte
	for _, zone := range []string{"UTC", "Pacific/Chatham", "America/St_Johns"} {
		withLocalZone(t, zone, func() {
			// The date as a builder's clock would show it, in its zone.
			b, err := tarGzArchive(testFiles("kagi"), commitDate.In(time.Local))
			if err != nil {
				t.Fatal(err)
			}
			outs = append(outs, b)
		})
	}
	for i := 1; i < len(outs); i++ {
		if !bytes.Equal(outs[0], outs[i]) {
			t.Fatalf("tar.gz differs between builders in different zones")
		}
	}

	gz, err := gzip.NewReader(bytes.NewReader(outs[0]))
	if err != nil {
		t.Fatal(err)
	}
	if !gz.ModTime.IsZero() || gz.Name != "" {
		t.Errorf("gzip header carries ModTime %v, Name %q; want neither", gz.ModTime, gz.Name)
	}
	tr := tar.NewReader(gz)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: owner %d:%d %q:%q; want 0:0 and no names", h.Name, h.Uid, h.Gid, h.Uname, h.Gname)
		}
		if !h.ModTime.Equal(commitDate) {
			t.Errorf("%s: mtime %v; want the commit date %v", h.Name, h.ModTime, commitDate)
		}
		want := int64(0o644)
		if h.Name == "kagi" {
			want = 0o755
		}
		if h.Mode != want {
			t.Errorf("%s: mode %o; want %o", h.Name, h.Mode, want)
		}
	}
	if strings.Join(names, " ") != "kagi README.md" {
		t.Errorf("entries %q; want kagi README.md in that order", names)
	}
}

func TestZipTimesAreTheCommitDateInEveryZone(t *testing.T) {
	var outs [][]byte
	for _, zone := range []string{"UTC", "Pacific/Chatham", "America/Los_Angeles"} {
		withLocalZone(t, zone, func() {
			b, err := zipArchive(testFiles("kagi.exe"), commitDate.In(time.Local))
			if err != nil {
				t.Fatal(err)
			}
			outs = append(outs, b)
		})
	}
	for i := 1; i < len(outs); i++ {
		if !bytes.Equal(outs[0], outs[i]) {
			t.Fatalf("zip differs between builders in different zones")
		}
	}
	zr, err := zip.NewReader(bytes.NewReader(outs[0]), int64(len(outs[0])))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 2 || zr.File[0].Name != "kagi.exe" || zr.File[1].Name != "README.md" {
		t.Fatalf("entries %v; want kagi.exe, README.md", zr.File)
	}
	for _, f := range zr.File {
		if !f.Modified.Equal(commitDate) {
			t.Errorf("%s: modified %v; want the commit date %v", f.Name, f.Modified, commitDate)
		}
	}
	if m := zr.File[0].Mode().Perm(); m != 0o755 {
		t.Errorf("kagi.exe mode %o; want 755", m)
	}
}

func buildInfo(version string, settings ...string) *debug.BuildInfo {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Path:      modulePath + "/cmd/kagi",
		Main:      debug.Module{Path: modulePath, Version: version},
		Deps: []*debug.Module{
			{Path: "golang.org/x/sys", Version: "v0.49.0", Sum: "h1:XbzkgYJHdqh/8m2Uu0W/dQv8nktxx4BFHp1M0gROTXA="},
			{Path: "github.com/spf13/cobra", Version: "v1.10.2", Sum: "h1:DMTTonx5m65Ic0GOoRY2c16WCbHxOOw6xxezuLaBpcU="},
			{Path: "example.com/old", Version: "v1.0.0",
				Replace: &debug.Module{Path: "example.com/fork", Version: "v1.0.1", Sum: "h1:fork="}},
		},
	}
	for i := 0; i+1 < len(settings); i += 2 {
		bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
	}
	return bi
}

func TestStampTakesVersionCommitAndDateFromGit(t *testing.T) {
	const rev = "449c601f581cb29768f558253c1bc3c714e478ad"
	v, c, g, d, err := stamp(buildInfo("v0.0.0-20261129210227-449c601f581c",
		"vcs.revision", rev, "vcs.time", "2026-11-29T21:02:27Z", "vcs.modified", "false"))
	if err != nil || v != "0.0.0-20261129210227-449c601f581c" || c != rev || g != "go1.26.8" || !d.Equal(commitDate) {
		t.Fatalf("stamp = %q %q %q %v %v", v, c, g, d, err)
	}
	for name, bi := range map[string]*debug.BuildInfo{
		"no vcs (a worktree, or -buildvcs=false)": buildInfo("(devel)"),
		"uncommitted changes": buildInfo("v0.0.0-20261129210227-449c601f581c+dirty",
			"vcs.revision", rev, "vcs.time", "2026-11-29T21:02:27Z", "vcs.modified", "true"),
		"devel version": buildInfo("(devel)",
			"vcs.revision", rev, "vcs.time", "2026-11-29T21:02:27Z", "vcs.modified", "false"),
	} {
		if _, _, _, _, err := stamp(bi); err == nil {
			t.Errorf("%s: stamp accepted it; a release must come from a clean commit", name)
		}
	}
}

func TestSBOMListsTheLinkedModulesAndTheToolchain(t *testing.T) {
	bi := buildInfo("v1.2.3", "-trimpath", "true", "CGO_ENABLED", "0", "GOOS", "linux", "GOARCH", "arm64",
		"vcs.revision", "449c601f581cb29768f558253c1bc3c714e478ad")
	const binSum = "9baedef19224d3fcb8db53c829894e7c435029f20a7250193e948a5beded4021"
	out, err := cycloneDX(bi, target{"linux", "arm64"}, binSum, commitDate)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := cycloneDX(bi, target{"linux", "arm64"}, binSum, commitDate)
	if !bytes.Equal(out, again) {
		t.Fatal("two SBOMs of the same binary differ")
	}
	var bom struct {
		BOMFormat, SpecVersion, SerialNumber string
		Metadata                             struct {
			Timestamp string
			Component struct {
				Name, Version, PURL string
				Hashes              []struct{ Alg, Content string }
			}
		}
		Components []struct {
			BOMRef     string `json:"bom-ref"`
			Name       string
			Version    string
			PURL       string
			Properties []struct{ Name, Value string }
		}
		Dependencies []struct {
			Ref       string
			DependsOn []string
		}
	}
	if err := json.Unmarshal(out, &bom); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if bom.BOMFormat != "CycloneDX" || bom.SpecVersion != "1.5" {
		t.Errorf("format %q %q", bom.BOMFormat, bom.SpecVersion)
	}
	if !regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(bom.SerialNumber) {
		t.Errorf("serial number %q is not a UUID URN", bom.SerialNumber)
	}
	if bom.Metadata.Timestamp != "2026-11-29T21:02:27Z" {
		t.Errorf("timestamp %q; want the commit date", bom.Metadata.Timestamp)
	}
	mc := bom.Metadata.Component
	if mc.PURL != "pkg:golang/github.com/kagi-cli/kagi@v1.2.3?goarch=arm64&goos=linux" ||
		len(mc.Hashes) != 1 || mc.Hashes[0].Alg != "SHA-256" || mc.Hashes[0].Content != binSum {
		t.Errorf("main component %+v", mc)
	}
	var purls []string
	for _, c := range bom.Components {
		purls = append(purls, c.PURL)
	}
	want := []string{
		"pkg:golang/example.com/fork@v1.0.1",
		"pkg:golang/github.com/spf13/cobra@v1.10.2",
		"pkg:golang/golang.org/x/sys@v0.49.0",
		"pkg:golang/stdlib@v1.26.8",
	}
	if strings.Join(purls, "\n") != strings.Join(want, "\n") {
		t.Errorf("components\n%s\nwant (the replacement, not the replaced module; sorted)\n%s",
			strings.Join(purls, "\n"), strings.Join(want, "\n"))
	}
	if len(bom.Dependencies) != 1 || len(bom.Dependencies[0].DependsOn) != len(want) {
		t.Errorf("dependencies %+v", bom.Dependencies)
	}
	if !bytes.Contains(out, []byte(`"h1:XbzkgYJHdqh/8m2Uu0W/dQv8nktxx4BFHp1M0gROTXA="`)) {
		t.Errorf("the go.sum hash of golang.org/x/sys is missing")
	}
}

func testRelease(targets ...target) release {
	r := release{version: "1.2.3", commit: "449c601f581cb29768f558253c1bc3c714e478ad", date: commitDate,
		urlBase: "https://example.com/dl/v1.2.3"}
	for i, t := range targets {
		ext := ".tar.gz"
		if t.goos == "windows" {
			ext = ".zip"
		}
		r.arts = append(r.arts, artifact{target: t, archive: "kagi_1.2.3_" + t.goos + "_" + t.goarch + ext,
			sha256: strings.Repeat(string(rune('a'+i)), 64)})
	}
	return r
}

var allTargets = []target{{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}, {"windows", "amd64"}}

func TestHomebrewFormulaCarriesEachArchiveAndItsChecksum(t *testing.T) {
	rel := testRelease(allTargets...)
	f, err := homebrewFormula(rel)
	if err != nil {
		t.Fatal(err)
	}
	s := string(f)
	block := func(goos, brew string) string {
		arm, intel := rel.find(goos, "arm64"), rel.find(goos, "amd64")
		return "on_" + brew + " do\n" +
			"    on_arm do\n      url \"https://example.com/dl/v1.2.3/" + arm.archive + "\"\n      sha256 \"" + arm.sha256 + "\"\n    end\n" +
			"    on_intel do\n      url \"https://example.com/dl/v1.2.3/" + intel.archive + "\"\n      sha256 \"" + intel.sha256 + "\"\n    end\n  end\n"
	}
	for _, want := range []string{block("darwin", "macos"), block("linux", "linux")} {
		if !strings.Contains(s, want) {
			t.Errorf("formula lacks\n%s\n--- formula:\n%s", want, s)
		}
	}
	for _, want := range []string{"class Kagi < Formula", `version "1.2.3"`, `bin.install "kagi"`,
		`assert_match "kagi v#{version} (commit 449c601f581c"`} {
		if !strings.Contains(s, want) {
			t.Errorf("formula lacks %q", want)
		}
	}
	if strings.Contains(s, "windows") {
		t.Errorf("formula names the windows archive:\n%s", s)
	}
	if f, _ := homebrewFormula(testRelease(target{"windows", "amd64"})); f != nil {
		t.Errorf("a formula without macOS or Linux archives:\n%s", f)
	}
}

func TestScoopManifestCarriesTheZipAndItsChecksum(t *testing.T) {
	rel := testRelease(allTargets...)
	out, err := scoopManifest(rel)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Version      string
		Bin          string
		Architecture map[string]struct{ URL, Hash string }
	}
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	a, ok := m.Architecture["64bit"]
	if m.Version != "1.2.3" || m.Bin != "kagi.exe" || !ok || len(m.Architecture) != 1 ||
		a.URL != "https://example.com/dl/v1.2.3/kagi_1.2.3_windows_amd64.zip" ||
		a.Hash != rel.find("windows", "amd64").sha256 {
		t.Errorf("manifest %+v\n%s", m, out)
	}
	if out, _ := scoopManifest(testRelease(target{"linux", "amd64"})); out != nil {
		t.Errorf("a Scoop manifest without a Windows archive:\n%s", out)
	}
}

func TestSHA256SumsIsWhatSha256sumChecks(t *testing.T) {
	got := string(sha256Sums(map[string]string{"b.zip": "bb", "a.tar.gz": "aa"}))
	if got != "aa  a.tar.gz\nbb  b.zip\n" {
		t.Errorf("SHA256SUMS %q; want two-space lines sorted by name", got)
	}
}

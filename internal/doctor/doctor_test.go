package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/creds"
	"github.com/kagi-cli/kagi/internal/fsguard"
	"github.com/kagi-cli/kagi/internal/keyring"
)

func parse(t *testing.T, cfg string) *config.Files {
	t.Helper()
	f, err := config.Parse("~/.aws/config", config.ConfigFile, []byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	return &config.Files{Config: f, Credentials: &config.File{Path: "~/.aws/credentials", Kind: config.CredentialsFile}}
}

func chainsOf(t *testing.T, files *config.Files) map[string]*config.Chain {
	t.Helper()
	in := Inputs{Env: config.MapEnv(nil), StoredKeysErr: errors.New("unknown")}
	chains, fs := checkProfiles(files, in)
	for _, f := range fs {
		if f.Status != OK {
			t.Fatalf("profiles: %+v", f)
		}
	}
	return chains
}

func TestHealthy(t *testing.T) {
	for _, tc := range []struct {
		in   []Finding
		want bool
	}{
		{nil, true},
		{[]Finding{{Status: OK}, {Status: OK}}, true},
		{[]Finding{{Status: OK}, {Status: Warn}}, false},
		{[]Finding{{Status: Fail}}, false},
	} {
		if got := Healthy(tc.in); got != tc.want {
			t.Errorf("Healthy(%v) = %v", tc.in, got)
		}
	}
}

func TestWriteTextAndJSON(t *testing.T) {
	fs := []Finding{
		{Check: CheckKeyring, Status: OK, Subject: "file", Message: "items in /x"},
		{Check: CheckProfile, Status: Fail, Subject: "prod", Message: "a\tb\nc", Fix: "kagi add jump"},
	}
	// A message that quotes a hostile file reaches no terminal raw.
	var hostile bytes.Buffer
	if err := WriteText(&hostile, []Finding{{Check: CheckProfile, Status: Fail, Subject: "p\x1b]0;t\x07", Message: "x\u202ey\x9b2J"}}, true); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(hostile.String(), "\x1b\x07\u202e\u009b") || !strings.Contains(hostile.String(), "p?]0;t?: x?y?2J") {
		t.Errorf("hostile finding printed as %q", hostile.String())
	}
	var pipe bytes.Buffer
	if err := WriteText(&pipe, fs, false); err != nil {
		t.Fatal(err)
	}
	want := "ok\tkeyring\tfile\titems in /x\t\nfail\tprofile\tprod\ta b c\tkagi add jump\n"
	if pipe.String() != want {
		t.Errorf("pipe:\n%q\nwant\n%q", pipe.String(), want)
	}
	var tty bytes.Buffer
	if err := WriteText(&tty, fs, true); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(tty.String(), "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ok    keyring  file: items in /x") ||
		!strings.HasPrefix(lines[1], "fail  profile  prod: a b c; fix: kagi add jump") || lines[2] != "1 problem found" {
		t.Errorf("terminal:\n%s", tty.String())
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, nil); err != nil || strings.TrimSpace(js.String()) != "[]" {
		t.Errorf("WriteJSON(nil) = %q, %v", js.String(), err)
	}
	js.Reset()
	if err := WriteJSON(&js, fs); err != nil {
		t.Fatal(err)
	}
	var back []map[string]string
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != 2 || len(back[1]) != 5 || back[1]["check"] != "profile" || back[1]["status"] != "fail" ||
		back[1]["subject"] != "prod" || back[1]["fix"] != "kagi add jump" || back[0]["fix"] != "" {
		t.Errorf("JSON: %s", js.String())
	}
}

func TestCheckCache(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      CacheState
		status  Status
		message string
		fix     string
	}{
		{"tmpfs", CacheState{Dir: "/run/user/1/kagi", InMemory: true}, OK, "private directory in memory (tmpfs)", ""},
		{"keyring", CacheState{}, OK, "no tmpfs here", ""},
		{"sealed", CacheState{Dir: `C:\x`, Sealed: true}, OK, "DPAPI", ""},
		{"squatted", CacheState{Warnings: []string{`refusing cache directory "/dev/shm/kagi-1000": owned by uid 7; cached sessions are kept in the encrypted keyring instead`}},
			Warn, "owned by uid 7", "ask an administrator"},
		{"chosen on disk", CacheState{Dir: "/var/c", Chosen: true, Warnings: []string{`KAGI_CACHE_DIR "/var/c" is not on tmpfs`}}, Warn, "not on tmpfs", "point KAGI_CACHE_DIR"},
		{"locks", CacheState{Warnings: []string{"x; going on without cross-process locks, so ..."}}, Warn, "locks", "lock directory"},
		{"unusable", CacheState{Err: errors.New("KAGI_CACHE_DIR: refusing")}, Fail, "refusing", "KAGI_CACHE_DIR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := checkCache(tc.in)
			if len(fs) != 1 || fs[0].Status != tc.status || !strings.Contains(fs[0].Message, tc.message) || !strings.Contains(fs[0].Fix, tc.fix) {
				t.Errorf("checkCache = %+v", fs)
			}
		})
	}
}

func TestCheckKeyring(t *testing.T) {
	opts := keyring.Options{Env: config.MapEnv(map[string]string{"HOME": "/home/u"})}
	f := checkKeyring(Inputs{Keyring: KeyringState{Backend: "file", Options: opts}})
	if f[0].Status != OK || f[0].Message != "items encrypted with a passphrase in "+filepath.Join("/home/u", ".local", "share", "kagi", "keyring") {
		t.Errorf("file: %+v", f)
	}
	f = checkKeyring(Inputs{Keyring: KeyringState{Backend: "keyctl", Options: opts}})
	if f[0].Status != Warn || !strings.Contains(f[0].Message, "lost at reboot") || f[0].Fix == "" {
		t.Errorf("keyctl: %+v", f)
	}
	f = checkKeyring(Inputs{Keyring: KeyringState{Err: &keyring.UnknownBackendError{Name: "nope"}, Options: keyring.Options{Backend: "nope"}}})
	if f[0].Status != Fail || f[0].Subject != "nope" || !strings.Contains(f[0].Fix, "KAGI_BACKEND") {
		t.Errorf("error: %+v", f)
	}
}

func TestCheckLoad(t *testing.T) {
	we := &fsguard.WritableError{Path: "/h/.aws/config", What: "config file", Reason: "it is writable by every user", Fix: `run: chmod go-w "/h/.aws/config"`}
	f := checkLoad(we)
	if f.Check != CheckPermissions || f.Status != Fail || f.Subject != "/h/.aws/config" || f.Fix != we.Fix {
		t.Errorf("writable: %+v", f)
	}
	f = checkLoad(&config.ParseError{File: "~/.aws/config", Line: 3, Msg: "no section"})
	if f.Check != CheckConfig || f.Status != Fail || !strings.Contains(f.Message, "~/.aws/config:3") {
		t.Errorf("parse: %+v", f)
	}
}

func TestCheckProfiles(t *testing.T) {
	files := parse(t, `[profile jump]
mfa_serial = arn:aws:iam::111111111111:mfa/jump
[profile prod]
role_arn = arn:aws:iam::222222222222:role/admin
source_profile = jump
[profile typo]
role_arn = arn:aws:iam::222222222222:role/admin
source_profile = jmp
[profile filekeys]
aws_access_key_id = AKIAFILEKEYSEXAMPLE1
aws_secret_access_key = s
`)
	chains, fs := checkProfiles(files, Inputs{Env: config.MapEnv(nil)})
	got := map[string]Finding{}
	for _, f := range fs {
		got[f.Subject] = f
	}
	if len(chains) != 3 || chains["prod"] == nil {
		t.Errorf("chains: %v", chains)
	}
	if f := got["typo"]; f.Status != Fail || !strings.Contains(f.Fix, `did you mean "jump"`) {
		t.Errorf("typo: %+v", f)
	}
	if f := got["prod"]; f.Status != Fail || f.Fix != "kagi add jump" || !strings.Contains(f.Message, `starts from profile "jump"`) {
		t.Errorf("prod: %+v", f)
	}
	if _, ok := got["filekeys"]; ok {
		t.Errorf("filekeys blamed: %+v", got["filekeys"])
	}
	// With the keys stored, only the typo is left; with the keyring
	// unreadable, no profile is blamed for keys.
	_, fs = checkProfiles(files, Inputs{Env: config.MapEnv(nil), StoredKeys: []string{"jump"}})
	if len(fs) != 1 || fs[0].Subject != "typo" {
		t.Errorf("stored: %+v", fs)
	}
	_, fs = checkProfiles(files, Inputs{Env: config.MapEnv(nil), StoredKeysErr: errors.New("locked")})
	if len(fs) != 1 || fs[0].Subject != "typo" {
		t.Errorf("unknown keys: %+v", fs)
	}
}

// The most common config there is, [default] with only a region (and
// aws-vault's profiles: keys elsewhere), is a settings profile: ok, no key
// check, no online check. A profile with mfa_serial and no keys still
// fails, and a settings profile another profile starts from needs keys.
func TestCheckProfilesSettingsOnly(t *testing.T) {
	files := parse(t, "[default]\nregion = us-east-1\n[profile alice]\nregion = eu-west-1\nmfa_serial = arn:aws:iam::111111111111:mfa/alice\n[profile tools]\noutput = json\ncli_pager =\n")
	chains, fs := checkProfiles(files, Inputs{Env: config.MapEnv(nil)})
	got := map[string]Finding{}
	for _, f := range fs {
		got[f.Subject] = f
	}
	for _, name := range []string{"default", "tools"} {
		if f := got[name]; f.Status != OK || !strings.Contains(f.Message, "settings only") || f.Fix != "" {
			t.Errorf("%s: %+v", name, f)
		}
		if chains[name] != nil {
			t.Errorf("%s: a settings profile's chain is not checked further", name)
		}
	}
	if f := got["alice"]; f.Status != Fail || f.Fix != "kagi add alice" {
		t.Errorf("alice: %+v", f)
	}
	if Healthy(fs) {
		t.Errorf("alice has no keys: %+v", fs)
	}

	// Only settings profiles: healthy.
	files = parse(t, "[default]\nregion = us-east-1\n")
	_, fs = checkProfiles(files, Inputs{Env: config.MapEnv(nil)})
	if len(fs) != 1 || fs[0].Subject != "default" || !Healthy(fs) {
		t.Errorf("default alone: %+v", fs)
	}
	// With its keys stored it is an ordinary profile.
	_, fs = checkProfiles(files, Inputs{Env: config.MapEnv(nil), StoredKeys: []string{"default"}})
	if len(fs) != 1 || fs[0].Subject != "" || fs[0].Message != "the one profile resolves" {
		t.Errorf("default with keys: %+v", fs)
	}
	// A role that starts from it: the role is blamed, and default too.
	files = parse(t, "[default]\nregion = us-east-1\n[profile admin]\nrole_arn = arn:aws:iam::222222222222:role/admin\nsource_profile = default\n")
	_, fs = checkProfiles(files, Inputs{Env: config.MapEnv(nil)})
	got = map[string]Finding{}
	for _, f := range fs {
		got[f.Subject] = f
	}
	if f := got["admin"]; f.Status != Fail || f.Fix != "kagi add default" || !strings.Contains(f.Message, `starts from profile "default"`) {
		t.Errorf("admin: %+v", f)
	}
	if f := got["default"]; f.Status != Fail || f.Fix != "kagi add default" {
		t.Errorf("default as a source: %+v", f)
	}
	// Online: no key age asked for a settings profile.
	files = parse(t, "[default]\nregion = us-east-1\n[profile ci]\n")
	in := Inputs{Env: config.MapEnv(nil), StoredKeys: []string{"ci"}, Now: time.Now, Online: &Online{KeyAge: func(_ context.Context, c *config.Chain) (string, time.Time, error) {
		if c.Profile != "ci" {
			t.Errorf("key age of %q asked", c.Profile)
		}
		return "AKIACI", time.Now(), nil
	}}}
	chains, _ = checkProfiles(files, in)
	if fs := checkKeyAges(context.Background(), chains, in); len(fs) != 1 || fs[0].Subject != "ci" {
		t.Errorf("key ages: %+v", fs)
	}
}

func TestCheckMFAEvidence(t *testing.T) {
	files := parse(t, `[profile jump]
[profile dev]
role_arn = arn:aws:iam::333333333333:role/admin
source_profile = jump
mfa_serial = arn:aws:iam::111111111111:mfa/jump
[profile prod]
role_arn = arn:aws:iam::222222222222:role/admin
source_profile = jump
[profile ci]
aws_access_key_id = AKIACIEXAMPLE0000001
aws_secret_access_key = s
[profile ci-admin]
role_arn = arn:aws:iam::333333333333:role/admin
source_profile = ci
[profile ci-deploy]
role_arn = arn:aws:iam::444444444444:role/deploy
source_profile = ci
`)
	fs := checkMFA(chainsOf(t, files))
	got := map[string]Finding{}
	for _, f := range fs {
		got[f.Subject] = f
	}
	if f := got["prod"]; f.Status != Warn || f.Fix != `add this line to profile "prod": mfa_serial = arn:aws:iam::111111111111:mfa/jump` ||
		!strings.Contains(f.Message, `profile "dev" uses the same keys`) {
		t.Errorf("prod (same keys): %+v", f)
	}
	// Another user's device: the role needs MFA, but the device is unknown.
	if f := got["ci-admin"]; f.Status != Warn || !strings.Contains(f.Message, `profile "dev" assumes the same role`) ||
		strings.Contains(f.Fix, "mfa/jump") || !strings.Contains(f.Fix, `profile "ci"`) {
		t.Errorf("ci-admin (same role): %+v", f)
	}
	if _, ok := got["ci-deploy"]; ok || len(fs) != 2 {
		t.Errorf("no evidence for ci-deploy, yet: %+v", fs)
	}
	// Without evidence: one ok line that says --online can tell.
	files = parse(t, "[profile ci]\n[profile r]\nrole_arn = arn:aws:iam::444444444444:role/deploy\nsource_profile = ci\n")
	fs = checkMFA(chainsOf(t, files))
	if len(fs) != 1 || fs[0].Status != OK || !strings.Contains(fs[0].Message, "--online") {
		t.Errorf("no evidence: %+v", fs)
	}
}

func TestCheckOnlineMFA(t *testing.T) {
	files := parse(t, "[profile jump]\n[profile a]\nrole_arn = arn:aws:iam::222222222222:role/admin\nsource_profile = jump\n[profile b]\nrole_arn = arn:aws:iam::444444444444:role/x\nsource_profile = jump\n[profile c]\nrole_arn = arn:aws:iam::444444444444:role/y\nsource_profile = jump\n[profile m]\nrole_arn = arn:aws:iam::444444444444:role/y\nsource_profile = jump\nmfa_serial = arn:aws:iam::111111111111:mfa/jump\n")
	var probed []string
	on := &Online{ProbeRole: func(_ context.Context, p string) error {
		probed = append(probed, p)
		switch p {
		case "a":
			return &creds.MFASerialMissingError{Profile: "jump", RoleARN: "arn:aws:iam::222222222222:role/admin", Serial: "arn:aws:iam::111111111111:mfa/jump", Err: errors.New("AccessDenied")}
		case "b":
			return errors.New("sts:AssumeRole: AccessDenied: not authorized")
		}
		return nil
	}}
	fs := checkOnlineMFA(context.Background(), chainsOf(t, files), on)
	if strings.Join(probed, ",") != "a,b,c" {
		t.Errorf("probed %v; m has MFA and is never probed", probed)
	}
	if len(fs) != 3 || fs[0].Status != Fail || fs[0].Fix != `add this line to profile "jump": mfa_serial = arn:aws:iam::111111111111:mfa/jump` ||
		fs[1].Status != Fail || fs[2].Status != OK {
		t.Errorf("findings: %+v", fs)
	}
}

func TestKeyAges(t *testing.T) {
	files := parse(t, "[profile old]\n[profile new]\n[profile broken]\n[profile r]\nrole_arn = arn:aws:iam::444444444444:role/x\nsource_profile = old\n")
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	calls := 0
	in := Inputs{Now: func() time.Time { return now }, Online: &Online{KeyAge: func(_ context.Context, c *config.Chain) (string, time.Time, error) {
		calls++
		switch c.Source.Profile {
		case "old":
			return "AKIAOLD", now.Add(-91 * 24 * time.Hour), nil
		case "new":
			return "AKIANEW", now.Add(-89 * 24 * time.Hour), nil
		}
		return "", time.Time{}, errors.New("iam:ListAccessKeys: HTTP 403 AccessDenied: no")
	}}}
	fs := checkKeyAges(context.Background(), chainsOf(t, files), in)
	if calls != 3 {
		t.Errorf("%d calls; r shares old's keys and is asked once", calls)
	}
	want := map[string]Status{"old": Warn, "new": OK, "broken": Warn}
	for _, f := range fs {
		if want[f.Subject] != f.Status {
			t.Errorf("%s: %+v", f.Subject, f)
		}
	}
	if fs[2].Subject != "old" || !strings.Contains(fs[2].Message, "91 days ago (more than 90)") || fs[2].Fix != "run `kagi rotate old`" {
		t.Errorf("old: %+v", fs[2])
	}
}

// One clock line per STS URL: five profiles in five regions behind one
// custom endpoint (AWS_ENDPOINT_URL) are one server.
func TestClockOncePerEndpointURL(t *testing.T) {
	var cfg strings.Builder
	for _, r := range []string{"us-east-1", "eu-west-1", "eu-central-1", "ap-south-1", "us-west-2"} {
		fmt.Fprintf(&cfg, "[profile p-%s]\nregion = %s\n", r, r)
	}
	cfg.WriteString("[profile other]\nregion = us-east-1\nignore_configured_endpoint_urls = true\n")
	files := parse(t, cfg.String())
	env := config.MapEnv(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:1"})
	chains, _ := checkProfiles(files, Inputs{Env: env, StoredKeysErr: errors.New("unknown")})
	asked := 0
	in := Inputs{Env: env, Online: &Online{
		ServerTime: func(_ context.Context, c *config.Chain) (ClockReading, error) {
			asked++
			now := time.Now()
			return ClockReading{Endpoint: c.STSEndpoint, Local: now, Server: now}, nil
		},
		STSEndpoint: func(_ context.Context, c *config.Chain) string { return c.STSEndpoint },
	}}
	fs := checkClock(context.Background(), chains, in)
	if asked != 2 || len(fs) != 2 || fs[0].Subject == fs[1].Subject {
		t.Errorf("%d asked: %+v", asked, fs)
	}
}

func TestClockFinding(t *testing.T) {
	server := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		skew   time.Duration
		status Status
		text   string
	}{
		{0, OK, "within 1s"},
		{1500 * time.Millisecond, OK, "within 2s"},
		{-59 * time.Second, OK, "within 1m0s"},
		{90 * time.Second, Warn, "1m30s ahead of"},
		{-90 * time.Second, Warn, "1m30s behind"},
		{5*time.Minute + time.Second, Fail, "5m1s ahead of"},
		{-2 * time.Hour, Fail, "2h0m0s behind"},
	} {
		f := clockFinding(ClockReading{Endpoint: "e", Local: server.Add(tc.skew), Server: server})
		if f.Status != tc.status || !strings.Contains(f.Message, tc.text) || (tc.status != OK) != (f.Fix != "") {
			t.Errorf("skew %s: %+v", tc.skew, f)
		}
	}
}

func TestWordsAndVersions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("sh's quoting rules; Windows splits as extcmd's own tests check")
	}
	for line, want := range map[string]string{
		"kagi credential-process prod":                    "kagi|credential-process|prod",
		"AWS_X=1 '/opt/my bin/kagi' credential-process p": "/opt/my bin/kagi|credential-process|p",
		`"C:\kagi.exe" credential-process p`:              `C:kagi.exe|credential-process|p`,
	} {
		w, ok := words(line)
		if !ok || strings.Join(w, "|") != want {
			t.Errorf("words(%q) = %q, %v", line, w, ok)
		}
	}
	if _, ok := words(`kagi "unterminated`); ok {
		t.Error("an unterminated quote splits")
	}
	for p, want := range map[string]bool{"kagi": true, "/usr/bin/kagi": true, "KAGI.EXE": true, "kagi-old": false, "aws-vault": false} {
		if isKagi(p) != want {
			t.Errorf("isKagi(%q) != %v", p, want)
		}
	}
	a := "kagi v1.2.0 (commit 0123456789ab, built 2026-01-01T00:00:00Z, go1.26.0)"
	if !sameVersion(a, "kagi v1.2.0 (commit 0123456789ab, built 2026-01-01T00:00:00Z, go1.26.1)") ||
		sameVersion(a, "kagi v1.1.0 (commit 0123456789ab, built 2026-01-01T00:00:00Z, go1.26.0)") ||
		sameVersion(a, "kagi v1.2.0 (commit 0123456789ac, built 2026-01-01T00:00:00Z, go1.26.0)") {
		t.Error("sameVersion compares version and commit")
	}
}

func TestCheckCredentialProcess(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("PATH lookup of a shell script")
	}
	bin := t.TempDir()
	kagi := filepath.Join(bin, "kagi")
	if err := os.WriteFile(kagi, []byte("#!/bin/sh\necho 'kagi v0.9.0 (commit aaaaaaaaaaaa, built x, go1)'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := parse(t, `[profile a]
credential_process = kagi credential-process b
[profile b]
credential_process = kagi credential-process b
[profile c]
credential_process = aws-vault export --format=json c
`)
	in := Inputs{Environ: []string{"PATH=" + bin}, Version: "kagi v1.0.0 (commit bbbbbbbbbbbb, built y, go1)", Self: "/usr/local/bin/kagi-self"}
	fs := checkCredentialProcess(context.Background(), files, in)
	if len(fs) != 2 || fs[0].Status != Warn || !strings.Contains(fs[0].Message, `"kagi v0.9.0 (commit aaaaaaaaaaaa, built x, go1)"`) || fs[0].Subject != "~/.aws/config:2" ||
		fs[1].Status != Fail || !strings.Contains(fs[1].Message, "run itself again") {
		t.Errorf("findings: %+v", fs)
	}
	// The same version: ok. Not on PATH: fail, with the full path to write.
	in.Version = "kagi v0.9.0 (commit aaaaaaaaaaaa, built z, go2)"
	fs = checkCredentialProcess(context.Background(), parse(t, "[profile a]\ncredential_process = kagi credential-process b\n"), in)
	if len(fs) != 1 || fs[0].Status != OK {
		t.Errorf("same version: %+v", fs)
	}
	in.Environ = []string{"PATH=" + t.TempDir()}
	fs = checkCredentialProcess(context.Background(), parse(t, "[profile a]\ncredential_process = kagi credential-process b\n"), in)
	if len(fs) != 1 || fs[0].Status != Fail || fs[0].Fix != "install kagi on PATH, or name it by its full path: credential_process = /usr/local/bin/kagi-self credential-process b" {
		t.Errorf("not on PATH: %+v", fs)
	}
}

// configWarnings: one finding per line other tools read differently, a
// failure where kagi will not use the section.
func TestConfigWarnings(t *testing.T) {
	fs := configWarnings(parse(t, "[profile a]\nregion = x # c\n[profile b]\nregion = y\nregion = z\n"))
	var warned, failed bool
	for _, f := range fs {
		if f.Check != CheckConfig || f.Subject == "" || f.Fix == "" {
			t.Errorf("finding without subject or fix: %+v", f)
		}
		warned = warned || f.Status == Warn && strings.Contains(f.Message, `profile "a"`)
		failed = failed || f.Status == Fail && strings.Contains(f.Message, `profile "b"`)
	}
	if !warned || !failed {
		t.Errorf("configWarnings = %+v, want a warning for a's inline comment and a failure for b's duplicate key", fs)
	}
	if fs := configWarnings(parse(t, "[profile a]\nregion = x\n")); len(fs) != 0 {
		t.Errorf("a clean config: %+v", fs)
	}
}

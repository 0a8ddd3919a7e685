package ssoprofiles

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kagi-cli/kagi/internal/config"
)

func TestParseTemplate(t *testing.T) {
	good := map[string]string{
		DefaultTemplate:                          "Prod-EU-Admin",
		"{account_name}/{role_name}":             "Prod-EU/Admin",
		"{sso_session}.{account_id}.{role_name}": "corp.222222222222.Admin",
		"aws-{account_id}-{role_name}":           "aws-222222222222-Admin",
	}
	a := Assignment{AccountID: "222222222222", AccountName: "Prod (EU)", RoleName: "Admin"}
	for text, want := range good {
		tm, err := ParseTemplate(text)
		if err != nil {
			t.Errorf("%q: %v", text, err)
			continue
		}
		if got := tm.Name(a, "corp"); got != want {
			t.Errorf("%q names %q, want %q", text, got, want)
		}
	}
	for _, text := range []string{"{account}-{role_name}", "{account_name}-{role}", "{role_name}", "{account_name}", "{account_name {role_name}", "{account_name}}{role_name}", "{account_name} {role_name}", "{account_name}#{role_name}", ""} {
		var te *TemplateError
		if _, err := ParseTemplate(text); !errors.As(err, &te) {
			t.Errorf("%q: %v, want a TemplateError", text, err)
		}
	}
}

func TestSanitise(t *testing.T) {
	for in, want := range map[string]string{
		"prod":               "prod",
		"Prod (EU)":          "Prod-EU",
		"  a  b  ":           "a-b",
		"x/y#z;w[1]'\"\\":    "x-y-z-w-1",
		"team.a+b=c,d@e_f-g": "team.a+b=c,d@e_f-g",
		"日本":                 "",
	} {
		if got := sanitise(in); got != want {
			t.Errorf("sanitise(%q) = %q, want %q", in, got, want)
		}
	}
	tm, _ := ParseTemplate(DefaultTemplate)
	if got := tm.Name(Assignment{AccountID: "111111111111", AccountName: "日本", RoleName: "R"}, ""); got != "111111111111-R" {
		t.Errorf("an account name with nothing left: %q", got)
	}
}

var corp = config.SSOSession{Name: "corp", StartURL: "https://example.awsapps.com/start", Region: "us-east-1"}

func opts(t *testing.T, write, prune bool) Options {
	t.Helper()
	tm, err := ParseTemplate(DefaultTemplate)
	if err != nil {
		t.Fatal(err)
	}
	return Options{Session: corp, Template: tm, Write: write, Prune: prune}
}

func configAt(t *testing.T, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func actions(p Plan) map[string]string {
	m := map[string]string{}
	for _, e := range p.Entries {
		m[e.AccountID+"/"+e.RoleName] = string(e.Action) + " " + e.Profile
	}
	return m
}

var world = []Assignment{
	{"222222222222", "prod", "AdministratorAccess"},
	{"222222222222", "prod", "ReadOnly"},
	{"333333333333", "dev", "AdministratorAccess"},
}

const userConfig = `# my config
[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1

[profile mine]   ; by hand
sso_session = corp
sso_account_id = 222222222222
sso_role_name = ReadOnly
region = eu-west-1
`

// TestWriteIsIdempotentAndPruneRemovesOnlyWhatItWrote runs the life of a
// config: the first --write adds the two missing roles (ReadOnly has a
// hand-written profile), a second changes no byte, then roles go away:
// --prune removes the unchanged generated profile, keeps the edited one and
// never touches the hand-written one.
func TestWriteIsIdempotentAndPruneRemovesOnlyWhatItWrote(t *testing.T) {
	path := configAt(t, userConfig)
	res, err := Apply(path, opts(t, true, false), world, false)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"222222222222/AdministratorAccess": "added prod-AdministratorAccess",
		"222222222222/ReadOnly":            "exists mine",
		"333333333333/AdministratorAccess": "added dev-AdministratorAccess",
	}
	if got := actions(res.Plan); !mapsEqual(got, want) {
		t.Errorf("first write: %v, want %v", got, want)
	}
	first := readFile(t, path)
	if !strings.HasPrefix(first, userConfig+"\n# "+Marker+" (") || !strings.Contains(first, "[profile dev-AdministratorAccess]\nsso_session = corp\nsso_account_id = 333333333333\nsso_role_name = AdministratorAccess\n") {
		t.Fatalf("after the first write:\n%s", first)
	}
	fi1, _ := os.Stat(path)

	res, err = Apply(path, opts(t, true, true), world, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Edit.Add)+len(res.Edit.Remove) != 0 || readFile(t, path) != first {
		t.Errorf("second write changed the file: %+v", res.Edit)
	}
	if fi2, _ := os.Stat(path); !fi2.ModTime().Equal(fi1.ModTime()) {
		t.Error("second write replaced the file")
	}

	// The user edits dev's profile; then every role but prod's
	// AdministratorAccess goes away.
	edited := strings.Replace(first, "sso_role_name = AdministratorAccess\n", "sso_role_name = AdministratorAccess\nregion = eu-central-1\n", 2)
	edited = strings.Replace(edited, "region = eu-central-1\n", "", 1) // only dev's (the second) stays
	if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err = Apply(path, opts(t, false, true), world[:1], true)
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]string{
		"222222222222/AdministratorAccess": "exists prod-AdministratorAccess",
		"333333333333/AdministratorAccess": "kept dev-AdministratorAccess",
	}
	if got := actions(res.Plan); !mapsEqual(got, want) {
		t.Errorf("prune with an edited profile: %v, want %v", got, want)
	}
	if readFile(t, path) != edited {
		t.Error("a dry run wrote the file")
	}

	// Without the edit, dev's profile goes, and the file is as before
	// the first write but for prod's profile.
	res, err = Apply(path, opts(t, false, true), world[:1], false)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(first), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err = Apply(path, opts(t, false, true), world[:1], false)
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(res.Plan)["333333333333/AdministratorAccess"]; got != "removed dev-AdministratorAccess" {
		t.Errorf("dev: %q", got)
	}
	after := readFile(t, path)
	if strings.Contains(after, "dev-AdministratorAccess") || !strings.Contains(after, "[profile mine]") || !strings.HasSuffix(after, "sso_role_name = AdministratorAccess\n") {
		t.Errorf("after pruning:\n%s", after)
	}
	// Nothing assigned any more: the generated profile goes, the
	// hand-written one stays, and the file is the user's again.
	if _, err := Apply(path, opts(t, false, true), nil, false); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != userConfig {
		t.Errorf("after pruning everything:\n%q\nwant\n%q", got, userConfig)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestPruneLeavesOtherSessionsAndUnmarkedProfiles(t *testing.T) {
	other := config.SSOSession{Name: "other", StartURL: "https://other.awsapps.com/start", Region: "eu-west-1"}
	path := configAt(t, userConfig)
	o := opts(t, true, false)
	o.Session = other
	if _, err := Apply(path, o, world[:1], false); err != nil {
		t.Fatal(err)
	}
	// Under corp the name is taken by other's profile: a conflict.
	res, err := Apply(path, opts(t, true, true), world, false)
	if err != nil {
		t.Fatal(err)
	}
	got := actions(res.Plan)
	if got["222222222222/AdministratorAccess"] != "conflict prod-AdministratorAccess" || len(res.Edit.Remove) != 0 {
		t.Errorf("corp after other wrote: %v %+v", got, res.Edit)
	}
	// corp's prune never removes other's profile, nor the hand-written one.
	before := readFile(t, path)
	res, err = Apply(path, opts(t, false, true), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if s := readFile(t, path); !strings.Contains(s, "sso_session = other") || !strings.Contains(s, "[profile mine]") {
		t.Errorf("corp's prune removed what is not its own:\n%s\n(before:\n%s)", s, before)
	}
}

func TestLegacyStartURLForm(t *testing.T) {
	legacy := config.SSOSession{StartURL: "https://example.awsapps.com/start", Region: "us-east-1"}
	path := configAt(t, "")
	o := opts(t, true, false)
	o.Session, o.Region = legacy, "eu-west-1"
	if _, err := Apply(path, o, world[:1], false); err != nil {
		t.Fatal(err)
	}
	got := readFile(t, path)
	if !strings.Contains(got, "[profile prod-AdministratorAccess]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 222222222222\nsso_role_name = AdministratorAccess\nregion = eu-west-1\n") {
		t.Errorf("legacy form:\n%s", got)
	}
	o.Write, o.Prune = false, true
	if _, err := Apply(path, o, nil, false); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != "" {
		t.Errorf("after pruning: %q", got)
	}
}

func TestCollisionsAreNamedDeterministically(t *testing.T) {
	twins := []Assignment{
		{"444444444444", "prod", "Admin"},
		{"222222222222", "prod", "Admin"},
		{"333333333333", "dev", "Admin"},
	}
	tm, _ := ParseTemplate(DefaultTemplate)
	o := Options{Session: corp, Template: tm}
	names, notes := o.names(twins)
	want := []string{"prod-Admin-444444444444", "prod-Admin-222222222222", "dev-Admin"}
	for i := range want {
		if names[i] != want[i] {
			t.Errorf("names %v, want %v", names, want)
			break
		}
	}
	if notes[0] == "" || notes[2] != "" {
		t.Errorf("notes %q", notes)
	}
	// A name that is the default profile's is never written.
	tmplDefault, _ := ParseTemplate("{account_name}{role_name}")
	od := Options{Session: corp, Template: tmplDefault, Write: true}
	path := configAt(t, "")
	res, err := Apply(path, od, []Assignment{{"222222222222", "def", "ault"}, {"222222222222", "def", "x"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(res.Plan); got["222222222222/ault"] != "conflict default" || got["222222222222/x"] != "added defx" {
		t.Errorf("default: %v", got)
	}
	// Roles that sanitise alike in one account are numbered.
	same := []Assignment{{"222222222222", "prod", "a b"}, {"222222222222", "prod", "a-b"}}
	names, _ = o.names(same)
	if names[0] != "prod-a-b" || names[1] != "prod-a-b-2" {
		t.Errorf("numbered: %v", names)
	}
}

// TestConcurrentWritesLoseNothing: two kagi runs with different sessions
// writing at once both end up in the file.
func TestConcurrentWritesLoseNothing(t *testing.T) {
	path := configAt(t, userConfig)
	var wg sync.WaitGroup
	for _, name := range []string{"s1", "s2", "s3", "s4"} {
		wg.Go(func() {
			o := opts(t, true, false)
			o.Session = config.SSOSession{Name: name}
			tm, _ := ParseTemplate("{sso_session}-" + DefaultTemplate)
			o.Template = tm
			if _, err := Apply(path, o, world, false); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	f, _ := config.Parse(path, config.ConfigFile, []byte(readFile(t, path)))
	if n := len(f.Sections); n != 2+4*3 {
		t.Errorf("%d sections, want %d", n, 2+4*3)
	}
}

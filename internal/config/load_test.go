package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeFile(t testing.TB, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoad(t *testing.T) {
	home := t.TempDir()
	writeFile(t, filepath.Join(home, ".aws", "config"), "[profile b]\nregion = x\n[default]\n[legacy]\n")
	writeFile(t, filepath.Join(home, ".aws", "credentials"), "[a]\naws_access_key_id = A\naws_secret_access_key = S\n[b]\n")

	fs, err := Load(MapEnv(map[string]string{"HOME": home}))
	if err != nil {
		t.Fatal(err)
	}
	if got := fs.ProfileNames(); !reflect.DeepEqual(got, []string{"a", "b", "default"}) {
		t.Errorf("ProfileNames = %q", got)
	}
	if fs.Config.Path != "~/.aws/config" || fs.Credentials.Path != "~/.aws/credentials" {
		t.Errorf("paths as given: %q %q", fs.Config.Path, fs.Credentials.Path)
	}
	if n := fs.Config.Notes(); len(n) != 1 || !strings.Contains(n[0], "~/.aws/config:4: section [legacy]") {
		t.Errorf("notes = %q", n)
	}

	// AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE, with ~ expanded.
	writeFile(t, filepath.Join(home, "alt", "cfg"), "[profile alt]\n")
	fs, err = Load(MapEnv(map[string]string{"HOME": home, "AWS_CONFIG_FILE": "~/alt/cfg", "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "none")}))
	if err != nil {
		t.Fatal(err)
	}
	if got := fs.ProfileNames(); !reflect.DeepEqual(got, []string{"alt"}) || fs.Config.Path != "~/alt/cfg" {
		t.Errorf("ProfileNames = %q, path %q", got, fs.Config.Path)
	}
}

func TestLoadMissingIsEmpty(t *testing.T) {
	for _, env := range []map[string]string{
		{"HOME": t.TempDir()},
		{}, // no HOME: the default files are simply absent
	} {
		fs, err := Load(MapEnv(env))
		if err != nil {
			t.Fatalf("%v: %v", env, err)
		}
		if len(fs.ProfileNames()) != 0 {
			t.Errorf("profiles in nothing: %q", fs.ProfileNames())
		}
		// Environment mode still works.
		if _, err := Resolve(fs, Request{Env: MapEnv(env), RoleARN: "arn:aws:iam::123456789012:role/ci"}); err != nil {
			t.Error(err)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	home := t.TempDir()
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"HOME": home, "AWS_CONFIG_FILE": "~"}, "AWS_CONFIG_FILE: " + home + " is a directory, not a regular file"},
		{map[string]string{"HOME": home, "AWS_SHARED_CREDENTIALS_FILE": home}, "AWS_SHARED_CREDENTIALS_FILE: " + home + " is a directory, not a regular file"},
		{map[string]string{"AWS_CONFIG_FILE": "~/cfg"}, `cannot expand "~/cfg": HOME is not set`},
	}
	if os.Geteuid() != 0 {
		writeFile(t, filepath.Join(home, "locked"), "[a]\n")
		if err := os.Chmod(filepath.Join(home, "locked"), 0); err != nil {
			t.Fatal(err)
		}
		tests = append(tests, struct {
			env  map[string]string
			want string
		}{map[string]string{"HOME": home, "AWS_CONFIG_FILE": "~/locked"}, "cannot read ~/locked: permission denied"})
	}
	for _, tt := range tests {
		_, err := Load(MapEnv(tt.env))
		if err == nil || err.Error() != tt.want {
			t.Errorf("Load(%v) = %v, want %s", tt.env, err, tt.want)
		}
	}
}

// benchConfig is a realistic large config: 50 IAM users with MFA, 150
// roles in other accounts, half through an include_profile template.
func benchConfig() string {
	var b strings.Builder
	b.WriteString("[default]\nregion = ap-northeast-1\noutput = json\n\n")
	for i := range 50 {
		fmt.Fprintf(&b, "[profile user%d]\nregion = ap-northeast-1\nmfa_serial = arn:aws:iam::000000000000:mfa/user%d\nmfa_session_duration = 8h\n\n", i, i)
		fmt.Fprintf(&b, "[profile tmpl%d]\nsource_profile = user%d\nrole_session_name = ${aws:username}\nduration_seconds = 3600\n\n", i, i)
	}
	for i := range 100 {
		fmt.Fprintf(&b, "[profile acct%d]\nrole_arn = arn:aws:iam::%012d:role/admin # ops\ninclude_profile = tmpl%d\nregion = us-east-1\n\n", i, 100000000000+i, i%50)
	}
	return b.String()
}

func BenchmarkLoadResolve(b *testing.B) {
	home := b.TempDir()
	writeFile(b, filepath.Join(home, ".aws", "config"), benchConfig())
	writeFile(b, filepath.Join(home, ".aws", "credentials"), "[ci]\naws_access_key_id = A\naws_secret_access_key = S\n")
	env := MapEnv(map[string]string{"HOME": home})
	b.ReportAllocs()
	for b.Loop() {
		fs, err := Load(env)
		if err != nil {
			b.Fatal(err)
		}
		c, err := Resolve(fs, Request{Profile: "acct42", Env: env})
		if err != nil || len(c.Roles) != 1 || c.MFA == nil {
			b.Fatal(c, err)
		}
	}
}

func TestBenchConfigProfiles(t *testing.T) {
	fs := parseBoth(t, benchConfig(), "")
	if n := len(fs.ProfileNames()); n != 201 {
		t.Fatalf("%d profiles", n)
	}
	for _, name := range fs.ProfileNames() {
		if _, err := Resolve(fs, Request{Profile: name}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// flat renders a file's content as "section|key=value" lines (sub-keys as
// key.sub=value), ignoring lines and raw names, for comparisons.
func flat(f *File) []string {
	var out []string
	for _, s := range f.Sections {
		kind := map[SectionKind]string{ProfileSection: "profile", SSOSessionSection: "sso-session", ServicesSection: "services", IgnoredSection: "ignored"}[s.Kind]
		out = append(out, kind+" "+s.Name)
		for _, k := range s.Keys {
			out = append(out, "  "+k.Raw+"="+k.Value)
			for _, sub := range k.Sub {
				out = append(out, "    "+sub.Raw+"="+sub.Value)
			}
		}
	}
	return out
}

func mustParse(t testing.TB, kind FileKind, text string) *File {
	t.Helper()
	f, err := Parse("~/.aws/config", kind, []byte(text))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return f
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		kind FileKind
		in   string
		want []string
	}{
		{"sections", ConfigFile, "[default]\nregion=us-east-1\n[profile a]\nregion = eu-west-1\n[sso-session s]\nsso_region = x\n[services svc]\n",
			[]string{"profile default", "  region=us-east-1", "profile a", "  region=eu-west-1", "sso-session s", "  sso_region=x", "services svc"}},
		{"profile default is default", ConfigFile, "[profile default]\nregion = a\n[default]\noutput = json\n",
			[]string{"profile default", "  region=a", "  output=json"}},
		{"bare name in config is ignored but kept", ConfigFile, "[foo]\nregion = a\n[profilex]\n",
			[]string{"ignored foo", "  region=a", "ignored profilex"}},
		{"credentials file names are literal", CredentialsFile, "[default]\naws_access_key_id = A\n[profile x]\n[foo]\n",
			[]string{"profile default", "  aws_access_key_id=A", "profile profile x", "profile foo"}},
		{"whitespace quirks", ConfigFile, "  [  profile \t spaced  ]  \n\t region\t=\tap-northeast-1 \t\n  key  =  a = b  \nempty=\n",
			[]string{"profile spaced", "  region=ap-northeast-1", "  key=a = b", "  empty="}},
		{"CRLF and BOM", ConfigFile, "\ufeff[profile a]\r\nregion = us-west-2\r\noutput = json\r\n",
			[]string{"profile a", "  region=us-west-2", "  output=json"}},
		{"keys are case-insensitive, raw kept", ConfigFile, "[profile a]\nRegion = x\nREGION = y\n",
			[]string{"profile a", "  REGION=y"}},
		{"comments", ConfigFile, "# top\n; top\n[profile a] # header comment\n  # indented comment\nsource_profile=jumpuser # 切り替え元IAMユーザのプロファイル\nrole_arn = arn:x ;semi\nurl = http://x/#frag\nhash=#notacomment\nempty = # only a comment\n",
			[]string{"profile a", "  source_profile=jumpuser", "  role_arn=arn:x", "  url=http://x/#frag", "  hash=#notacomment", "  empty="}},
		{"nested sub-section", ConfigFile, "[profile a]\ns3 =\n  max_concurrent_requests = 20\n  Addressing_Style = path # c\nregion = x\n",
			[]string{"profile a", "  s3=", "    Addressing_Style=path", "    max_concurrent_requests=20", "  region=x"}},
		{"continuation lines", ConfigFile, "[profile a]\ncredential_process = /bin/tool\n    --flag x\n\n    --more # c\nregion = x\n",
			[]string{"profile a", "  credential_process=/bin/tool\n--flag x\n--more", "  region=x"}},
		{"indented keys at the same depth are keys", ConfigFile, "[profile a]\n  region = x\n  output = json\n",
			[]string{"profile a", "  region=x", "  output=json"}},
		{"duplicate sections merge, later keys win", ConfigFile, "[profile a]\nregion = x\noutput = text\n[profile b]\n[profile a]\nregion = y\n",
			[]string{"profile a", "  region=y", "  output=text", "profile b"}},
		{"services sts endpoint", ConfigFile, "[services local]\nsts =\n  endpoint_url = http://127.0.0.1:4566\n",
			[]string{"services local", "  sts=", "    endpoint_url=http://127.0.0.1:4566"}},
		{"empty file", ConfigFile, "", nil},
		{"only comments", CredentialsFile, "# nothing\n\n;\n", nil},
		{"no final newline", CredentialsFile, "[a]\nk=v", []string{"profile a", "  k=v"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustParse(t, tt.kind, tt.in)
			got := flat(f)
			// Sub-keys are compared as a set: order inside is as written.
			if !reflect.DeepEqual(sortSubs(got), sortSubs(tt.want)) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func sortSubs(lines []string) []string {
	out := append([]string(nil), lines...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && strings.HasPrefix(out[j], "    ") && strings.HasPrefix(out[j-1], "    ") && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func TestParseLinesAndLookup(t *testing.T) {
	f := mustParse(t, ConfigFile, "# c\n[profile a]\n\nRegion = x\n[default]\nk = v\n")
	s := f.Profile("a")
	if s == nil || s.Line != 2 {
		t.Fatalf("profile a: %+v", s)
	}
	k := s.Key("REGION")
	if k == nil || k.Line != 4 || k.Raw != "Region" || k.Name != "region" || k.Value != "x" {
		t.Fatalf("key: %+v", k)
	}
	if v, ok := f.Profile("default").Get("k"); !ok || v != "v" {
		t.Fatalf("default k = %q %v", v, ok)
	}
	if f.Profile("nope") != nil || (*File)(nil).Profile("a") != nil {
		t.Fatal("lookup of a missing profile")
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"unclosed header", "[profile a]\nregion = x\n[profile x\n", "~/.aws/config:3: section header \"[profile x\" has no closing \"]\""},
		{"line without =", "[profile a]\nregion x\n", "~/.aws/config:2: line has no \"=\""},
		{"key before section", "# c\nregion = x\n", "~/.aws/config:2: key before any [section] header"},
		{"empty section name", "[default]\n[ ]\n", "~/.aws/config:2: empty section name"},
		{"empty profile name", "[profile ]\n", "~/.aws/config:1: empty name in section header [profile]"},
		{"empty sso-session name", "[sso-session]\n", "~/.aws/config:1: empty name in section header [sso-session]"},
		{"text after header", "[profile a] region = x\n", "~/.aws/config:1: unexpected text \"region = x\" after section header"},
		{"missing key name", "[profile a]\n = x\n", "~/.aws/config:2: missing key name"},
		{"sub-section line without =", "[profile a]\ns3 =\n  oops\n", "~/.aws/config:3: line in the sub-section of \"s3\" has no \"=\""},
		{"CRLF keeps line numbers", "[a]\r\nk=v\r\n\r\nbad\r\n", "~/.aws/config:4: line has no"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("~/.aws/config", ConfigFile, []byte(tt.in))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *ParseError", err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("err = %q, want prefix %q", err, tt.want)
			}
		})
	}
}

// A malformed line may be a pasted secret; the message must not repeat it.
func TestParseErrorHidesLine(t *testing.T) {
	_, err := Parse("c", CredentialsFile, []byte("[a]\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"))
	if err == nil || strings.Contains(err.Error(), "wJalr") {
		t.Fatalf("err = %v", err)
	}
}

func TestFormat(t *testing.T) {
	in := "[profile b]\nRegion=x # c\ns3 =\n  a = 1\nproc = one\n   two\nhash=#x\n[default]\nk=v\n[foo]\n[sso-session s]\n"
	f := mustParse(t, ConfigFile, in)
	want := "[profile b]\nRegion = x\ns3 =\n    a = 1\nproc = one\n    two\nhash =#x\n\n[default]\nk = v\n\n[foo]\n\n[sso-session s]\n"
	if got := string(f.Format()); got != want {
		t.Errorf("Format:\n%s\nwant:\n%s", got, want)
	}
	g := mustParse(t, ConfigFile, string(f.Format()))
	if !reflect.DeepEqual(flat(f), flat(g)) {
		t.Errorf("round trip changed the file:\n%v\n%v", flat(f), flat(g))
	}
	creds := mustParse(t, CredentialsFile, "[profile x]\nk=v\n")
	if got := string(creds.Format()); got != "[profile x]\nk = v\n" {
		t.Errorf("credentials Format = %q", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"[default]\nregion = us-east-1\n",
		"[profile a]\nsource_profile=jumpuser # c\ns3 =\n  x = 1\nproc = a\n  b\n",
		"\ufeff[a]\r\nk=v\r\n",
		"[profile a]\nk=#x\n",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, text string, creds bool) {
		kind := ConfigFile
		if creds {
			kind = CredentialsFile
		}
		a, err := Parse("fuzz", kind, []byte(text))
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line < 1 {
				t.Fatalf("error %v is not a *ParseError with a line", err)
			}
			return
		}
		out := a.Format()
		b, err := Parse("fuzz", kind, out)
		if err != nil {
			t.Fatalf("Format output does not parse: %v\n%q", err, out)
		}
		if fa, fb := flat(a), flat(b); !reflect.DeepEqual(fa, fb) {
			t.Fatalf("round trip differs:\n%q\n%q\nformatted: %q", fa, fb, out)
		}
		if out2 := b.Format(); string(out2) != string(out) {
			t.Fatalf("Format is not stable:\n%q\n%q", out, out2)
		}
	})
}

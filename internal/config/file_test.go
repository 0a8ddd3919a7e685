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
		{"keys are case-insensitive, raw kept (and a duplicate makes the section unusable)", ConfigFile, "[profile a]\nRegion = x\nREGION = y\n",
			[]string{"profile a", "  REGION=y"}},
		{"comments", ConfigFile, "# top\n; top\n[profile a] # header comment\n  # indented comment\nsource_profile=jumpuser # 切り替え元IAMユーザのプロファイル\nrole_arn = arn:x ;semi\nurl = http://x/#frag\nhash=#notacomment\nempty = # only a comment\n",
			[]string{"profile a", "  source_profile=jumpuser", "  role_arn=arn:x", "  url=http://x/#frag", "  hash=#notacomment", "  empty="}},
		{"nested sub-section", ConfigFile, "[profile a]\ns3 =\n  max_concurrent_requests = 20\n  Addressing_Style = path # c\nregion = x\n",
			[]string{"profile a", "  s3=", "    Addressing_Style=path # c", "    max_concurrent_requests=20", "  region=x"}},
		{"continuation lines keep inline comments, as botocore and the Go SDK do", ConfigFile, "[profile a]\ncredential_process = /bin/tool\n    --flag x\n\n    --more # c\nregion = x\n",
			[]string{"profile a", "  credential_process=/bin/tool\n--flag x\n\n--more # c", "  region=x"}},
		{"colon is a delimiter too", ConfigFile, "[profile a]\nregion: us-east-1\nrole_arn = arn:aws:iam::1:role/x\n",
			[]string{"profile a", "  region=us-east-1", "  role_arn=arn:aws:iam::1:role/x"}},
		{"unicode spaces are trimmed", ConfigFile, "[profile a]\nregion = us-east-1\u00a0\n",
			[]string{"profile a", "  region=us-east-1"}},
		{"indented keys at the same depth are keys", ConfigFile, "[profile a]\n  region = x\n  output = json\n",
			[]string{"profile a", "  region=x", "  output=json"}},
		{"duplicate sections merge, later keys win (and the section is unusable)", ConfigFile, "[profile a]\nregion = x\noutput = text\n[profile b]\n[profile a]\nregion = y\n",
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

// Lines kagi cannot read: reading goes on, the section they are in (or,
// before any section, none) is unusable, and File.Err reports the first
// for internal/credfile, which will not rewrite such a file.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
		broken         string // the profile made unusable, if any
	}{
		{"unclosed header", "[profile a]\nregion = x\n[profile x\n", "~/.aws/config:3: section header \"[profile x\" has no closing \"]\"", ""},
		{"line without =", "[profile a]\nregion x\n", "~/.aws/config:2: line has no \"=\"", "a"},
		{"key before section", "# c\nregion = x\n", "~/.aws/config:2: key before any [section] header", ""},
		{"empty section name", "[default]\n[ ]\n", "~/.aws/config:2: empty section name", ""},
		{"missing key name", "[profile a]\n = x\n", "~/.aws/config:2: missing key name", "a"},
		{"sub-section line without =", "[profile a]\ns3 =\n  oops\n", "~/.aws/config:3: line in the sub-section of \"s3\" is not name = value", "a"},
		{"CRLF keeps line numbers", "[profile a]\r\nk=v\r\n\r\nbad\r\n", "~/.aws/config:4: line has no", "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("~/.aws/config", ConfigFile, []byte(tt.in+"[profile ok]\nregion = y\n"))
			if err != nil {
				t.Fatal(err)
			}
			var pe *ParseError
			if !errors.As(f.Err(), &pe) {
				t.Fatalf("Err() = %v, want *ParseError", f.Err())
			}
			if !strings.HasPrefix(pe.Error(), tt.want) {
				t.Errorf("err = %q, want prefix %q", pe, tt.want)
			}
			if tt.broken != "" && f.Profile(tt.broken).Err == nil {
				t.Errorf("profile %q is usable", tt.broken)
			}
			if s := f.Profile("ok"); s == nil || s.Err != nil {
				t.Errorf("the profile after the bad line: %+v", s)
			}
		})
	}
}

// [profile ] is ignored by every tool, with its keys; the other profiles
// are read (it used to stop kagi from reading any profile).
func TestParseUnnamedSection(t *testing.T) {
	for _, h := range []string{"[profile ]", "[sso-session]", "[services  ]"} {
		f := mustParse(t, ConfigFile, "[profile a]\nregion = x\n"+h+"\nregion = y\n[profile b]\nregion = z\n")
		if f.Err() != nil || len(f.Warnings()) != 0 {
			t.Errorf("%s: err %v, warnings %v", h, f.Err(), f.Warnings())
		}
		if got := flat(f); !reflect.DeepEqual(got, []string{"profile a", "  region=x", "profile b", "  region=z"}) {
			t.Errorf("%s: %q", h, got)
		}
		if n := f.Notes(); len(n) != 1 || !strings.Contains(n[0], ":3: section ["+strings.TrimSpace(h[1:len(h)-1])+"] has no name") {
			t.Errorf("%s: notes %q", h, n)
		}
	}
}

// A malformed line may be a pasted secret; the message must not repeat it.
func TestParseErrorHidesLine(t *testing.T) {
	f, _ := Parse("c", CredentialsFile, []byte("[a]\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"))
	if err := f.Err(); err == nil || strings.Contains(err.Error(), "wJalr") {
		t.Fatalf("err = %v", err)
	}
	for _, w := range f.Warnings() {
		if strings.Contains(w.String(), "wJalr") {
			t.Fatalf("warning = %v", w)
		}
	}
	if err := f.Profile("a").Err; err == nil || strings.Contains(err.Error(), "wJalr") {
		t.Fatalf("section err = %v", err)
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

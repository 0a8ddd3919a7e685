package config

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/kagi-cli/kagi/internal/interop"
)

// The differential corpus: every case in testdata/differential is read by
// kagi, by botocore (the AWS CLI, boto3, Ansible) and by the AWS SDK for Go
// v2's shared-config loader (Terraform). For every profile and key the
// three must agree, or kagi must say why not: a Warning (or an unusable
// section) on that profile or its whole file, whose code is a row of the
// table in docs/config.md. Each case also pins the codes kagi reports.
//
// Case files are txtar archives with "config", "credentials" (optional)
// and "codes" (the codes kagi reports, one per line; none when absent).
// Bytes a text file cannot hold well are written as <CR>, <BOM>, <TAB>,
// <NBSP> and <xFF>.

// refusesFile are the codes that say botocore cannot read the file.
var refusesFile = map[string]bool{CodeDuplicateSection: true, CodeDuplicateKey: true, CodeBadLine: true, CodeBOM: true, CodeNotUTF8: true}

var corpusEscapes = strings.NewReplacer("<CR>", "\r", "<BOM>", "\ufeff", "<TAB>", "\t", "<NBSP>", "\u00a0", "<xFF>", "\xff")

type corpusCase struct {
	name                string
	config, credentials []byte
	codes               []string
}

func loadCorpus(t *testing.T) []corpusCase {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "differential", "*.txtar"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	var cases []corpusCase
	for _, p := range paths {
		a, err := txtar.ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		c := corpusCase{name: strings.TrimSuffix(filepath.Base(p), ".txtar")}
		for _, f := range a.Files {
			data := []byte(corpusEscapes.Replace(string(f.Data)))
			switch f.Name {
			case "config":
				c.config = data
			case "credentials":
				c.credentials = data
			case "codes":
				c.codes = strings.Fields(string(f.Data))
			default:
				t.Fatalf("%s: unknown file %q", p, f.Name)
			}
		}
		sort.Strings(c.codes)
		cases = append(cases, c)
	}
	return cases
}

// botoFile is botocore's reading of one file: an error, or its sections.
type botoFile struct {
	Error       string
	Profiles    map[string]map[string]any
	SSOSessions map[string]map[string]any
}

func (b *botoFile) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	if e, ok := raw["error"]; ok {
		return json.Unmarshal(e, &b.Error)
	}
	if p, ok := raw["profiles"]; ok { // load_config
		if err := json.Unmarshal(p, &b.Profiles); err != nil {
			return err
		}
		return json.Unmarshal(raw["sso_sessions"], &b.SSOSessions)
	}
	b.Profiles = map[string]map[string]any{} // raw_config_parse: every section is a profile
	for name, v := range raw {
		var m map[string]any
		if err := json.Unmarshal(v, &m); err != nil {
			return err
		}
		b.Profiles[name] = m
	}
	return nil
}

// botocoreRead runs oracle.py once over every case.
func botocoreRead(t *testing.T, files [][2]string) []struct{ Config, Credentials botoFile } {
	t.Helper()
	python := interop.NeedTool(t, "python3")
	if err := exec.Command(python, "-c", "import botocore.configloader").Run(); err != nil {
		interop.Missing(t, "python3 cannot import botocore")
	}
	script, err := filepath.Abs(filepath.Join("testdata", "differential", "oracle.py"))
	if err != nil {
		t.Fatal(err)
	}
	in, _ := json.Marshal(files)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, script)
	// botocore opens the files in the locale's encoding; the AWS CLI's
	// own Python reads UTF-8, and so does this oracle. HOME is a temporary
	// directory: nothing of the real ~/.aws is read.
	cmd.Env = append(interop.CleanEnv(t), "PYTHONUTF8=1", "PYTHONIOENCODING=utf-8")
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("oracle.py: %v\n%s", err, stderr.String())
	}
	var out []struct{ Config, Credentials botoFile }
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("oracle.py output: %v\n%s", err, stdout.String())
	}
	return out
}

// kagiKeys is kagi's reading of a profile: its own keys, credentials file
// first (as botocore's full_config and the Go SDK merge them); sub-sections
// as maps.
func kagiKeys(fs *Files, name string) map[string]any {
	m := map[string]any{}
	for _, f := range []*File{fs.Credentials, fs.Config} {
		for _, k := range f.Profile(name).keys() {
			if _, ok := m[k.Name]; ok {
				continue
			}
			if k.Value == "" && len(k.Sub) > 0 {
				sub := map[string]any{}
				for _, s := range k.Sub {
					sub[s.Name] = s.Value
				}
				m[k.Name] = sub
				continue
			}
			m[k.Name] = k.Value
		}
	}
	return m
}

func (s *Section) keys() []*Key {
	if s == nil {
		return nil
	}
	return s.Keys
}

// goFields maps the Go SDK's SharedConfig fields to the keys they read.
func goFields(c awsconfig.SharedConfig) map[string]string {
	m := map[string]string{
		"role_arn":          c.RoleARN,
		"source_profile":    c.SourceProfileName,
		"mfa_serial":        c.MFASerial,
		"region":            c.Region,
		"role_session_name": c.RoleSessionName,
		"external_id":       c.ExternalID,
		"sso_session":       c.SSOSessionName,
	}
	if c.RoleDurationSeconds != nil {
		m["duration_seconds"] = strconv.Itoa(int(c.RoleDurationSeconds.Seconds()))
	}
	if c.SourceProfileName == "" {
		// With source_profile the Go SDK clears the credential settings.
		m["credential_source"] = c.CredentialSource
		m["credential_process"] = c.CredentialProcess
		m["web_identity_token_file"] = c.WebIdentityTokenFile
		m["aws_access_key_id"] = c.Credentials.AccessKeyID
		m["aws_secret_access_key"] = c.Credentials.SecretAccessKey
		m["aws_session_token"] = c.Credentials.SessionToken
		m["sso_account_id"] = c.SSOAccountID
		m["sso_role_name"] = c.SSORoleName
		m["sso_region"] = c.SSORegion
		m["sso_start_url"] = c.SSOStartURL
	}
	return m
}

// goExpect is what the Go SDK would show for kagi's reading of key.
func goExpect(kagi map[string]any, key string) string {
	v, _ := kagi[key].(string)
	switch key {
	case "duration_seconds":
		if _, ok := kagi[key]; !ok {
			return ""
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return "0"
		}
		return strconv.Itoa(n)
	case "aws_access_key_id", "aws_secret_access_key", "aws_session_token":
		// The Go SDK reads static keys only as a pair.
		if id, _ := kagi["aws_access_key_id"].(string); id == "" {
			return ""
		}
		if s, _ := kagi["aws_secret_access_key"].(string); s == "" {
			return ""
		}
	}
	return v
}

func TestDifferentialCorpus(t *testing.T) {
	cases := loadCorpus(t)
	dir := t.TempDir()
	var paths [][2]string
	for i, c := range cases {
		cp, crp := filepath.Join(dir, fmt.Sprintf("%d.config", i)), filepath.Join(dir, fmt.Sprintf("%d.credentials", i))
		if err := os.WriteFile(cp, c.config, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(crp, c.credentials, 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, [2]string{cp, crp})
	}
	boto := botocoreRead(t, paths)
	documented := docCodes(t)
	seen := map[string]bool{}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, _ := Parse("config", ConfigFile, c.config)
			creds, _ := Parse("credentials", CredentialsFile, c.credentials)
			fs := &Files{Config: cfg, Credentials: creds}
			var codes []string
			for _, w := range fs.Warnings() {
				seen[w.Code] = true
				if !documented[w.Code] {
					t.Errorf("%v: code %q is not in the table of docs/config.md", w, w.Code)
				}
				if !contains(codes, w.Code) {
					codes = append(codes, w.Code)
				}
			}
			sort.Strings(codes)
			if !reflect.DeepEqual(codes, c.codes) && !(len(codes) == 0 && len(c.codes) == 0) {
				t.Errorf("kagi reports codes %q, the case pins %q", codes, c.codes)
				for _, w := range fs.Warnings() {
					t.Logf("  %s [%s]", w, w.Code)
				}
			}
			// explained: kagi says something about this profile, or the
			// whole file it is in.
			explained := func(profile string) bool {
				for _, w := range fs.Warnings() {
					if w.Section == "" || w.Profile == profile {
						return true
					}
					// A header another tool names otherwise: the warning
					// names the profile as that tool sees it.
					if (w.Code == CodeHeaderName || w.Code == CodeHeaderSpace) && (strings.Contains(w.Message, fmt.Sprintf("%q", profile)) || strings.Contains(w.Message, "["+profile+"]")) {
						return true
					}
				}
				return false
			}

			names := map[string]bool{}
			for _, n := range fs.ProfileNames() {
				names[n] = true
			}
			b := boto[i]
			botoErr := ""
			for _, f := range []struct {
				name string
				b    botoFile
				k    *File
			}{{"config", b.Config, cfg}, {"credentials", b.Credentials, creds}} {
				if f.b.Error == "" {
					continue
				}
				botoErr = f.name + ": " + f.b.Error
				said := false
				for _, w := range f.k.Warnings() {
					said = said || refusesFile[w.Code]
				}
				if !said {
					t.Errorf("botocore cannot read the %s file (%s); kagi says nothing that tells", f.name, f.b.Error)
				}
			}
			botoProfiles := map[string]map[string]any{}
			if botoErr == "" {
				for n, keys := range b.Config.Profiles {
					botoProfiles[n] = keys
				}
				for n, keys := range b.Credentials.Profiles {
					if botoProfiles[n] == nil {
						botoProfiles[n] = map[string]any{}
					}
					for k, v := range keys {
						botoProfiles[n][k] = v // the credentials file wins, as in full_config
					}
				}
				for n := range botoProfiles {
					names[n] = true
				}
			}

			// sso-session sections.
			if botoErr == "" {
				kagiSSO := map[string]map[string]any{}
				for _, s := range cfg.Sections {
					if s.Kind == SSOSessionSection && s.Err == nil {
						kagiSSO[s.Name] = map[string]any{}
						for _, k := range s.Keys {
							kagiSSO[s.Name][k.Name] = k.Value
						}
					}
				}
				if b.Config.SSOSessions == nil {
					b.Config.SSOSessions = map[string]map[string]any{}
				}
				if !reflect.DeepEqual(kagiSSO, b.Config.SSOSessions) && len(cfg.Warnings()) == 0 {
					t.Errorf("sso-session sections: botocore reads %q, kagi %q; kagi says nothing", b.Config.SSOSessions, kagiSSO)
				}
			}
			for name := range names {
				broken := (cfg.Profile(name) != nil && cfg.Profile(name).Err != nil) || (creds.Profile(name) != nil && creds.Profile(name).Err != nil)
				if broken {
					continue // kagi refuses it, and says why
				}
				kagi := kagiKeys(fs, name)
				if !fs.HasProfile(name) {
					kagi = nil
				}
				// botocore
				if botoErr == "" {
					bk, ok := botoProfiles[name]
					switch {
					case ok != (kagi != nil):
						if !explained(name) {
							t.Errorf("profile %q: botocore has it: %v, kagi has it: %v; kagi says nothing", name, ok, kagi != nil)
						}
					case ok && !reflect.DeepEqual(bk, kagi) && !explained(name):
						t.Errorf("profile %q: botocore reads %q, kagi %q; kagi says nothing", name, bk, kagi)
					}
				}
				// The Go SDK
				sc, err := awsconfig.LoadSharedConfigProfile(context.Background(), name, func(o *awsconfig.LoadSharedConfigOptions) {
					o.ConfigFiles = []string{paths[i][0]}
					o.CredentialsFiles = []string{paths[i][1]}
				})
				var notExist awsconfig.SharedConfigProfileNotExistError
				switch {
				case errors.As(err, &notExist) && notExist.Profile == name:
					if kagi != nil && !explained(name) {
						t.Errorf("profile %q: the Go SDK does not have it, kagi does; kagi says nothing", name)
					}
				case err != nil:
					// kagi says why when it refuses the profile too (an
					// sso_session without its section).
					if _, kerr := Resolve(fs, Request{Profile: name, Env: MapEnv(nil)}); !explained(name) && kerr == nil {
						t.Errorf("profile %q: the Go SDK refuses it (%v); kagi says nothing", name, err)
					}
				case kagi == nil:
					if !explained(name) {
						t.Errorf("profile %q: the Go SDK has it, kagi does not; kagi says nothing", name)
					}
				default:
					for key, got := range goFields(sc) {
						if want := goExpect(kagi, key); got != want && !explained(name) {
							t.Errorf("profile %q: %s: the Go SDK reads %q, kagi %q; kagi says nothing", name, key, got, want)
						}
					}
				}
			}
		})
	}
	for _, code := range allCodes {
		if !seen[code] {
			t.Errorf("code %q: no case of the corpus shows it", code)
		}
	}
}

var allCodes = []string{CodeDuplicateSection, CodeDuplicateKey, CodeBadLine, CodeHeaderText, CodeIndentedHeader, CodeInlineComment,
	CodeQuotedValue, CodeIndentedKey, CodeHeaderSpace, CodeHeaderName, CodeHeaderCommentChar, CodeCredentialsPrefix,
	CodeDefaultSection, CodeBOM, CodeNotUTF8, CodeSubKeyCase, CodeBlankInValue, CodeLoneCR}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// docCodes are the codes in the first column of docs/config.md's table of
// intended differences.
func docCodes(t *testing.T) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "config.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "| `"); ok {
			if code, _, ok := strings.Cut(rest, "`"); ok {
				m[code] = true
			}
		}
	}
	return m
}

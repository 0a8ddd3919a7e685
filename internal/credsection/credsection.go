// Package credsection holds the rules for putting a profile's temporary
// credentials in the shared credentials file so that the AWS CLI, the SDKs
// and kagi itself read them as meant: which section names are refused, the
// keys a section gets, and the note kagi leaves in it. write-credentials
// writes by these rules, and export --format ini prints by them, so what
// one prints is what the other would write.
package credsection

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/credfile"
)

// Rules know which sections would break a profile: they are made from the
// config and credentials files and the chains their profiles resolve to.
type Rules struct {
	files *config.Files
	// sourcedFrom maps a profile to the profiles whose chains start with
	// its keys (their config.Source.Profile).
	sourcedFrom map[string][]string
}

// Resolve resolves every profile of files; a profile that does not resolve
// is left out (it starts no chain).
func Resolve(files *config.Files, env func(string) (string, bool)) map[string]*config.Chain {
	chains := map[string]*config.Chain{}
	for _, name := range files.ProfileNames() {
		c, err := config.Resolve(files, config.Request{Profile: name, Env: env})
		if err != nil {
			continue
		}
		chains[name] = c
	}
	return chains
}

// New returns the rules for files, whose profiles resolve to chains.
func New(files *config.Files, chains map[string]*config.Chain) *Rules {
	r := &Rules{files: files, sourcedFrom: map[string][]string{}}
	for name, c := range chains {
		if src := c.Source.Profile; src != "" {
			r.sourcedFrom[src] = append(r.sourcedFrom[src], name)
		}
	}
	return r
}

// RefusedError is a section temporary credentials must not be written
// under, and why.
type RefusedError struct {
	Section string
	Profile string // the profile whose settings or chain refuse it
	Setting string // the setting that does, "" when it is the chain
	File    string // where the setting is
	Line    int
	Reason  string
}

func (e *RefusedError) Error() string {
	switch {
	case e.Setting == "source_profile" && e.Profile != e.Section:
		return fmt.Sprintf("[%s]: profile %q names it as source_profile (%s:%d); %s", e.Section, e.Profile, e.File, e.Line, e.Reason)
	case e.Setting != "":
		return fmt.Sprintf("[%s]: profile %q sets %s (%s:%d); %s", e.Section, e.Profile, e.Setting, e.File, e.Line, e.Reason)
	case e.Profile == e.Section:
		return fmt.Sprintf("[%s]: profile %q gets its own credentials from there (or the keyring under that name); %s", e.Section, e.Profile, e.Reason)
	}
	return fmt.Sprintf("[%s]: the chain of profile %q starts from it; %s", e.Section, e.Profile, e.Reason)
}

// ownWay are the settings that make the AWS CLI and SDKs get a profile's
// credentials another way, so that keys written in its section are
// ignored (role_arn: botocore's assume-role provider comes before the
// shared-credentials one, and the Go SDK drops a source_profile profile's
// own keys) or, worse, used until they expire and then break the profile
// (credential_process, read after keys).
var ownWay = [...]string{"role_arn", "source_profile", "credential_source", "web_identity_token_file", "credential_process", "sso_session", "sso_start_url", "sso_account_id", "sso_role_name"}

// Check refuses, with a *RefusedError, a section whose keys would not be
// read as meant:
//   - a profile that gets its credentials another way (role_arn...): the
//     SDKs would not use the keys;
//   - a profile whose keys start another profile's chain (its
//     source_profile, or where kagi resolves the source): those keys
//     would become that chain's source, for the SDKs and for kagi itself,
//     which would then feed on its own output and stop at their expiry.
//
// writing holds the profiles whose credentials are being put in sections
// (a profile's own section may take the credentials of another profile,
// which is what naming it means, but not its own).
func (r *Rules) Check(section string, writing map[string]bool) error {
	for _, f := range []*config.File{r.files.Config, r.files.Credentials} {
		s := f.Profile(section)
		for _, k := range ownWay {
			key := s.Key(k)
			if key == nil {
				continue
			}
			why := "the AWS CLI and SDKs get its credentials that way and would ignore keys written there"
			if k == "credential_process" {
				why = "the AWS CLI and SDKs would use keys written there instead, and fail once they expire"
			}
			return &RefusedError{Section: section, Profile: section, Setting: k, File: f.Path, Line: key.Line, Reason: why}
		}
	}
	for _, f := range []*config.File{r.files.Config, r.files.Credentials} {
		for _, s := range f.Sections {
			if k := s.Key("source_profile"); s.Kind == config.ProfileSection && k != nil && k.Value == section && s.Name != section {
				return &RefusedError{Section: section, Profile: s.Name, Setting: "source_profile", File: f.Path, Line: k.Line,
					Reason: "temporary keys there would become that profile's source"}
			}
		}
	}
	for _, user := range r.sourcedFrom[section] {
		switch {
		case user == section && !writing[user]:
			// The section's own profile reading the keys written there: what
			// writing it means.
		case user == section:
			return &RefusedError{Section: section, Profile: user,
				Reason: "temporary keys there would replace them, and kagi would read them back as the source"}
		default:
			return &RefusedError{Section: section, Profile: user, Reason: "temporary keys there would become that chain's source"}
		}
	}
	return nil
}

// Keys are what a section of temporary credentials holds: the keys, the
// session token under both its names (old boto 2.x and tools built on it
// read aws_security_token), and the region when one is known, because the
// AWS CLI v1 and old SDKs ignore AWS_REGION and read the profile's region,
// and a section written under another name than the profile has no
// [profile NAME] in the config to take it from.
func Keys(accessKeyID, secretAccessKey, sessionToken, region string) []credfile.KV {
	kv := []credfile.KV{
		{Key: "aws_access_key_id", Value: accessKeyID},
		{Key: "aws_secret_access_key", Value: secretAccessKey},
	}
	if sessionToken != "" {
		kv = append(kv,
			credfile.KV{Key: "aws_session_token", Value: sessionToken},
			credfile.KV{Key: "aws_security_token", Value: sessionToken})
	}
	if region != "" {
		kv = append(kv, credfile.KV{Key: "region", Value: region})
	}
	return kv
}

// Note is the comment kagi keeps in a section it wrote (after
// credfile.NotePrefix): whose credentials they are and when they expire.
func Note(profile string, expires time.Time) string {
	return fmt.Sprintf("temporary credentials for profile %s, expire %s", strconv.Quote(profile), expires.UTC().Format(time.RFC3339))
}

// ParseNote reads a Note back; ok is false when note is not one.
func ParseNote(note string) (profile string, expires time.Time, ok bool) {
	rest, ok := strings.CutPrefix(note, "temporary credentials for profile ")
	if !ok {
		return "", time.Time{}, false
	}
	q, err := strconv.QuotedPrefix(rest)
	if err != nil {
		return "", time.Time{}, false
	}
	if profile, err = strconv.Unquote(q); err != nil {
		return "", time.Time{}, false
	}
	at, ok := strings.CutPrefix(rest[len(q):], ", expire ")
	if !ok {
		return "", time.Time{}, false
	}
	expires, err = time.Parse(time.RFC3339, at)
	if err != nil {
		return "", time.Time{}, false
	}
	return profile, expires, true
}

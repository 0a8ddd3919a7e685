package config

import "fmt"

// StaticKeys are keys written in a shared file. They print as
// [redacted] with %v and %#v so that they never reach a log by accident.
type StaticKeys struct {
	AccessKeyID, SecretAccessKey, SessionToken string
}

func (StaticKeys) String() string   { return "[redacted]" }
func (StaticKeys) GoString() string { return "config.StaticKeys{[redacted]}" }

// StaticKeys returns the keys of a SharedKeys source: profile's own
// aws_access_key_id, aws_secret_access_key and aws_session_token (or the
// legacy aws_security_token), credentials file first. include_profile does
// not lend keys.
func (fs *Files) StaticKeys(profile string) (StaticKeys, error) {
	get := func(key string) string {
		for _, f := range []*File{fs.Credentials, fs.Config} {
			if v, _ := f.Profile(profile).Get(key); v != "" {
				return v
			}
		}
		return ""
	}
	k := StaticKeys{AccessKeyID: get("aws_access_key_id"), SecretAccessKey: get("aws_secret_access_key"), SessionToken: get("aws_session_token")}
	if k.SessionToken == "" {
		k.SessionToken = get("aws_security_token")
	}
	if k.AccessKeyID == "" || k.SecretAccessKey == "" {
		return StaticKeys{}, fmt.Errorf("profile %q: no aws_access_key_id and aws_secret_access_key in the shared files", profile)
	}
	return k, nil
}

package awsemu_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kagi-cli/kagi/internal/awsemu"
)

func TestParseWorldOfTheBrief(t *testing.T) {
	_, pub, err := awsemu.NewOIDCKey()
	if err != nil {
		t.Fatal(err)
	}
	data := `{"users":[{"account":"111111111111","name":"alice",
	           "access_keys":[{"id":"AKIAEXAMPLEALICE0001","secret":"alice-secret"}],
	           "mfa":{"serial":"arn:aws:iam::111111111111:mfa/alice","totp_secret":"JBSWY3DPEHPK3PXP"}}],
	 "roles":[{"arn":"arn:aws:iam::222222222222:role/admin",
	           "trust":{"principals":["arn:aws:iam::111111111111:root"],"require_mfa":true,
	                    "external_id":"","session_name":"${aws:username}"},
	           "max_session_duration":3600}],
	 "oidc":[{"issuer":"https://token.example","audience":"sts.amazonaws.com","public_key_pem":` + jsonString(pub) + `}],
	 "faults":{"latency_ms":0,"throttle_tps":0,"error_rate":0,"credential_lifetime_seconds":0}}`
	path := filepath.Join(t.TempDir(), "world.json")
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := awsemu.LoadWorld(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Users) != 1 || w.Roles[0].Trust.SessionName != "${aws:username}" || w.OIDC[0].Audience != "sts.amazonaws.com" {
		t.Errorf("world %+v", w)
	}
}

func TestParseTheDemoWorld(t *testing.T) {
	if _, err := awsemu.LoadWorld("../../demo/world.json"); err != nil {
		t.Fatal(err)
	}
}

func TestParseWorldRefuses(t *testing.T) {
	tests := []struct{ name, json, want string }{
		{"unknown field", `{"users":[],"rolez":[]}`, "unknown field"},
		{"short account", `{"users":[{"account":"1111","name":"a"}]}`, "not 12 digits"},
		{"no name", `{"users":[{"account":"111111111111"}]}`, "no name"},
		{"duplicate key", `{"users":[{"account":"111111111111","name":"a","access_keys":[{"id":"K","secret":"s"}]},
			{"account":"111111111111","name":"b","access_keys":[{"id":"K","secret":"t"}]}]}`, `key id "K" appears twice`},
		{"key without secret", `{"users":[{"account":"111111111111","name":"a","access_keys":[{"id":"K"}]}]}`, "id and secret"},
		{"bad totp secret", `{"users":[{"account":"111111111111","name":"a","mfa":{"serial":"s","totp_secret":"not base32!"}}]}`, "base32"},
		{"role ARN", `{"roles":[{"arn":"arn:aws:iam::222222222222:user/x"}]}`, "does not name a role"},
		{"role account", `{"roles":[{"arn":"arn:aws:iam::22:role/x"}]}`, "12-digit account"},
		{"max session", `{"roles":[{"arn":"arn:aws:iam::222222222222:role/x","max_session_duration":60}]}`, "between 3600 and 43200"},
		{"issuer", `{"oidc":[{"issuer":"http://x","audience":"a","public_key_pem":"x"}]}`, "https://"},
		{"issuer key", `{"oidc":[{"issuer":"https://x","audience":"a","public_key_pem":"x"}]}`, "not PEM"},
		{"error rate", `{"faults":{"error_rate":2}}`, "error_rate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := awsemu.ParseWorld([]byte(tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestMintTokenNeedsAPrivateKey(t *testing.T) {
	w := testWorld(t)
	w.OIDC[0].PrivateKeyPEM = ""
	if _, err := w.MintToken(issuer, awsemu.TokenClaims{Subject: "x"}); err == nil {
		t.Error("MintToken without a private key: no error")
	}
	if _, err := w.MintToken("https://other.example", awsemu.TokenClaims{Subject: "x"}); err == nil {
		t.Error("MintToken for an unknown issuer: no error")
	}
}

func jsonString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

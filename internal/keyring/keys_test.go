package keyring_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kagi-cli/kagi/internal/keyring"
)

func TestAccessKeysNeverPrintTheSecret(t *testing.T) {
	k := keyring.AccessKeys{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%10v", "%d"} {
		got := fmt.Sprintf(verb, k)
		if strings.Contains(got, "wJalr") || strings.Contains(strings.ToLower(got), "774a616c72") {
			t.Errorf("Sprintf(%q) = %q shows the secret", verb, got)
		}
		if !strings.Contains(got, "[redacted]") {
			t.Errorf("Sprintf(%q) = %q, want [redacted] in it", verb, got)
		}
	}
	if got := fmt.Sprint(&k); strings.Contains(got, "wJalr") {
		t.Errorf("Sprint(&k) = %q shows the secret", got)
	}
	if got := fmt.Sprintf("%v", []keyring.AccessKeys{k}); strings.Contains(got, "wJalr") {
		t.Errorf("in a slice: %q shows the secret", got)
	}
	if got := fmt.Sprintf("%#v", k); got != `keyring.AccessKeys{AccessKeyID:"AKIAIOSFODNN7EXAMPLE", SecretAccessKey:"[redacted]"}` {
		t.Errorf("%%#v = %s", got)
	}
}

func TestValidAccessKeyID(t *testing.T) {
	for id, want := range map[string]bool{
		"AKIAIOSFODNN7EXAMPLE":  true,
		"ASIAIOSFODNN7EXAMPLE":  true,
		"AKIA2345678901234567":  true,
		"akiaiosfodnn7example":  false,
		"AKIAIOSFODNN7EXAMPL":   false, // 19
		"AKIAIOSFODNN7EXAMPLEX": false, // 21
		"AIDAIOSFODNN7EXAMPLE":  false, // a user id, not a key
		"AKIAIOSFODNN7EXAMPL-":  false,
		"AKIAIOSFODNN7EXAMPLe":  false,
		" AKIAIOSFODNN7EXAMPL":  false,
		"":                      false,
	} {
		if got := keyring.ValidAccessKeyID(id); got != want {
			t.Errorf("ValidAccessKeyID(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestKeysItemName(t *testing.T) {
	for profile, want := range map[string]string{
		"prod":           "keys:prod",
		"Prod-Admin_1.x": "keys:Prod-Admin_1.x",
		"a/b c":          "keys:a%2Fb%20c",
		"100%":           "keys:100%25",
		"é":              "keys:%C3%A9",
	} {
		got, err := keyring.KeysItemName(profile)
		if err != nil || got != want {
			t.Errorf("KeysItemName(%q) = %q, %v; want %q", profile, got, err, want)
		}
		if !keyring.ValidName(got) {
			t.Errorf("KeysItemName(%q) = %q breaks the name rules", profile, got)
		}
	}
	for _, bad := range []string{"", strings.Repeat("/", 70)} {
		if _, err := keyring.KeysItemName(bad); err == nil {
			t.Errorf("KeysItemName(%q) succeeded", bad)
		}
	}
}

func TestListKeyProfilesSkipsOtherItems(t *testing.T) {
	ctx := context.Background()
	kr := openFile(t, t.TempDir(), "p", nil)
	for _, n := range []string{"keys:b", "keys:a%2Fx", "session:abc", "keys:", "keys:bad%zz", "keys:c%4"} {
		if err := kr.Set(ctx, n, []byte(`{"access_key_id":"AKIAIOSFODNN7EXAMPLE","secret_access_key":"s"}`)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := keyring.ListKeyProfiles(ctx, kr)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a/x", "b"}; !slices.Equal(got, want) {
		t.Errorf("ListKeyProfiles = %q, want %q", got, want)
	}
}

func TestGetKeysOfForeignData(t *testing.T) {
	ctx := context.Background()
	kr := openFile(t, t.TempDir(), "p", nil)
	if err := kr.Set(ctx, "keys:x", []byte("not json, s3cr3t")); err != nil {
		t.Fatal(err)
	}
	_, err := keyring.GetKeys(ctx, kr, "x")
	if err == nil || errors.Is(err, keyring.ErrNotFound) || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("GetKeys of foreign data = %v", err)
	}
	if err := keyring.SetKeys(ctx, kr, "x", keyring.AccessKeys{AccessKeyID: "AKIAIOSFODNN7EXAMPLE"}); err == nil {
		t.Error("SetKeys without a secret succeeded")
	}
}

package debug

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

func TestNilLogDiscards(t *testing.T) {
	var l *Log
	l.Secret("supersecret")
	l.Printf("nothing %s", "here")
	if l.Enabled() {
		t.Fatal("nil log reports enabled")
	}
}

func TestSecretsAreRedacted(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf)
	l.Secret("wJalrXUtnFEMI/K7MDENG", "42")
	l.Printf("key %s token %s code %s", "wJalrXUtnFEMI/K7MDENG", "x", "42")
	got := buf.String()
	if strings.Contains(got, "wJalrXUtnFEMI") {
		t.Fatalf("secret leaked: %q", got)
	}
	want := "kagi: debug: key [redacted] token x code 42\n"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestMultiLineIsIndented(t *testing.T) {
	var buf bytes.Buffer
	New(&buf).Printf("a\nb\n")
	if got, want := buf.String(), "kagi: debug: a\n             b\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestHeaderRedactsCredentials(t *testing.T) {
	h := http.Header{}
	h.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIA/..., Signature=abc")
	h.Set("X-Amz-Security-Token", "FwoGZXIvYXdzE")
	h.Set("X-Amz-Date", "20260101T000000Z")
	got := Header(h)
	if got.Get("Authorization") != Redacted || got.Get("X-Amz-Security-Token") != Redacted {
		t.Fatalf("credentials not redacted: %v", got)
	}
	if got.Get("X-Amz-Date") != "20260101T000000Z" {
		t.Fatalf("harmless header changed: %v", got)
	}
	if h.Get("Authorization") == Redacted {
		t.Fatal("Header modified its argument")
	}
}

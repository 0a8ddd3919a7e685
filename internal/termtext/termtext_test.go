package termtext

import "testing"

func TestVisible(t *testing.T) {
	for in, want := range map[string]string{
		"prod":                         "prod",
		"日本語-prod":                     "日本語-prod",
		"a\x1b]0;pwned\x07b":           "a?]0;pwned?b",
		"x\u009b31my":                  "x?31my",
		"\u202eevil":                   "?evil",
		"bad\xffbyte":                  "bad?byte",
		"tab\there":                    "tab?here",
		"iso\u2066late\u2069":          "iso?late?",
		"/home/u/\x1b[2J/.aws-profile": "/home/u/?[2J/.aws-profile",
	} {
		if got := Visible(in); got != want {
			t.Errorf("Visible(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLines(t *testing.T) {
	if got := Lines("one \x1b[2J\ntwo\u202e\n\tthree"); got != "one ?[2J\ntwo?\n\tthree" {
		t.Errorf("Lines = %q", got)
	}
	if s := "plain\nlines"; Lines(s) != s {
		t.Errorf("Lines changed clean text")
	}
}

package credfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/kagi-cli/kagi/internal/config"
	"github.com/kagi-cli/kagi/internal/credfile"
)

func tempKV(id, secret, token string) []credfile.KV {
	return []credfile.KV{
		{Key: "aws_access_key_id", Value: id},
		{Key: "aws_secret_access_key", Value: secret},
		{Key: "aws_session_token", Value: token},
		{Key: "aws_security_token", Value: token},
	}
}

func TestSetTemporaryAddsASectionWithItsNoteAndKeepsTheRest(t *testing.T) {
	for _, crlf := range []bool{false, true} {
		data, _ := bigFile(crlf)
		eol := "\n"
		if crlf {
			eol = "\r\n"
		}
		path := write(t, data)
		if err := credfile.SetTemporary(path, "prod-tf", tempKV("ASIAONE", "s1", "t1"), "expire one"); err != nil {
			t.Fatal(err)
		}
		// bigFile ends without a newline: it gets one, then a blank line.
		want := data + eol + eol + "[prod-tf]" + eol + "# kagi: expire one" + eol +
			"aws_access_key_id = ASIAONE" + eol + "aws_secret_access_key = s1" + eol +
			"aws_session_token = t1" + eol + "aws_security_token = t1" + eol
		if got := read(t, path); got != want {
			t.Fatalf("crlf=%v: file:\n%q\nwant:\n%q", crlf, got, want)
		}
		if n, err := credfile.Note(path, "prod-tf"); err != nil || n != "expire one" {
			t.Errorf("Note = %q, %v", n, err)
		}

		// A second write changes the keys and the note in place, nothing else.
		if err := credfile.SetTemporary(path, "prod-tf", tempKV("ASIATWO", "s2", "t2"), "expire two"); err != nil {
			t.Fatal(err)
		}
		want2 := data + eol + eol + "[prod-tf]" + eol + "# kagi: expire two" + eol +
			"aws_access_key_id = ASIATWO" + eol + "aws_secret_access_key = s2" + eol +
			"aws_session_token = t2" + eol + "aws_security_token = t2" + eol
		if got := read(t, path); got != want2 {
			t.Fatalf("crlf=%v: after a second write:\n%q\nwant:\n%q", crlf, got, want2)
		}
		checkNoTemp(t, filepath.Dir(path))
	}
}

func TestSetTemporaryMovesItsNoteUnderTheHeader(t *testing.T) {
	// A section kagi wrote before, edited by hand since: a stray note, keys
	// in another order, the user's own comment and region.
	before := "[a]\nx = 1\n\n[tf]   # terraform\n; mine\nregion = eu-west-1\naws_session_token = old\n# kagi: stale note\naws_access_key_id = ASIAOLD\n\n[b]\ny = 2"
	want := "[a]\nx = 1\n\n[tf]   # terraform\n# kagi: fresh\n; mine\nregion = eu-west-1\naws_session_token = tok\naws_access_key_id = ASIANEW\naws_secret_access_key = sec\naws_security_token = tok\n\n[b]\ny = 2"
	path := write(t, before)
	if err := credfile.SetTemporary(path, "tf", tempKV("ASIANEW", "sec", "tok"), "fresh"); err != nil {
		t.Fatal(err)
	}
	if got := read(t, path); got != want {
		t.Errorf("file:\n%q\nwant:\n%q", got, want)
	}
}

func TestSetTemporaryNeverOverwritesLongTermKeys(t *testing.T) {
	for _, before := range []string{
		"[tf]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = x\n",
		// The keys of a duplicate section count: the SDKs merge the two.
		"[tf]\nregion = x\n[other]\nk = v\n[TF]\n[tf]\naws_access_key_id=AKIAIOSFODNN7EXAMPLE\n",
	} {
		path := write(t, before)
		err := credfile.SetTemporary(path, "tf", tempKV("ASIANEW", "sec", "tok"), "n")
		var lt *credfile.LongTermKeysError
		if !errors.As(err, &lt) || lt.Profile != "tf" {
			t.Errorf("SetTemporary over long-term keys: %v", err)
		}
		if got := read(t, path); got != before {
			t.Errorf("a refused write changed the file: %q", got)
		}
	}
	// Temporary keys someone else wrote (aws-mfa, by hand) are replaced.
	path := write(t, "[tf]\naws_access_key_id = ASIAOLD\naws_secret_access_key = x\naws_security_token = y\n")
	if err := credfile.SetTemporary(path, "tf", tempKV("ASIANEW", "sec", "tok"), "n"); err != nil {
		t.Fatal(err)
	}
	// Without a session token the keys would read as long-term: refused.
	if err := credfile.SetTemporary(path, "tf", tempKV("ASIANEW", "sec", "")[:2], "n"); err == nil {
		t.Error("SetTemporary wrote keys without a session token")
	}
	if err := credfile.SetTemporary(path, "tf", tempKV("ASIANEW", "sec", "tok"), "two\nlines"); err == nil {
		t.Error("SetTemporary wrote a note of two lines")
	}
}

func TestNoteOfMissingFileOrSection(t *testing.T) {
	if n, err := credfile.Note(filepath.Join(t.TempDir(), "none"), "p"); n != "" || err != nil {
		t.Errorf("Note of a missing file = %q, %v", n, err)
	}
	// A note above a header belongs to the section before it.
	path := write(t, "[a]\n# kagi: of a\n[b]\nk = v\n")
	if n, _ := credfile.Note(path, "b"); n != "" {
		t.Errorf("Note(b) = %q", n)
	}
	if n, _ := credfile.Note(path, "a"); n != "of a" {
		t.Errorf("Note(a) = %q", n)
	}
}

// TestEditRemovesTempFilesOfDeadWriters: a writer killed between creating
// its temporary file and renaming it leaves the file behind, holding keys;
// the next edit, holding the lock, knows it is stale and removes it.
func TestEditRemovesTempFilesOfDeadWriters(t *testing.T) {
	path := write(t, "[a]\nk = v\n")
	dir := filepath.Dir(path)
	stale := filepath.Join(dir, ".credentials.kagi-123456")
	other := filepath.Join(dir, ".config.kagi-123456") // not ours: kept
	for _, p := range []string{stale, other} {
		if err := os.WriteFile(p, []byte("[x]\naws_secret_access_key = leaked\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := credfile.SetTemporary(path, "tf", tempKV("ASIANEW", "sec", "tok"), "n"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temporary file still there: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another file's temporary file was removed: %v", err)
	}
	f, err := config.Parse(path, config.CredentialsFile, []byte(read(t, path)))
	if err != nil || f.Profile("a") == nil || f.Profile("tf") == nil {
		t.Errorf("file after the edit: %v", err)
	}
}

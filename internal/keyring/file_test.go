package keyring_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kagi-cli/kagi/internal/keyring"
	"github.com/kagi-cli/kagi/internal/keyring/keyringtest"
)

// openFile opens the file backend on dir with passphrase and cheap KDF
// parameters; calls counts how often the passphrase was asked for.
func openFile(t *testing.T, dir, passphrase string, calls *atomic.Int32) keyring.Keyring {
	t.Helper()
	kr, err := keyring.Open(context.Background(), keyring.Options{
		Backend: keyring.BackendFile,
		FileDir: dir,
		FileKDF: keyring.LowSecurityKDFForTests(),
		Passphrase: func(context.Context, keyring.PassphraseRequest) (string, error) {
			if calls != nil {
				calls.Add(1)
			}
			return passphrase, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func TestFileConformance(t *testing.T) {
	keyringtest.Run(t, func(t *testing.T) func() keyring.Keyring {
		dir := filepath.Join(t.TempDir(), "keyring")
		t.Cleanup(func() { checkNoTempFiles(t, dir) })
		return func() keyring.Keyring { return openFile(t, dir, "correct horse", nil) }
	})
}

func checkNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".item") {
			t.Errorf("%s left in the keyring directory", e.Name())
		}
	}
}

func TestFileWrongPassphraseIsAnError(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	if err := openFile(t, dir, "right", nil).Set(ctx, "keys:prod", []byte("secret data")); err != nil {
		t.Fatal(err)
	}
	wrong := openFile(t, dir, "wrong", nil)
	_, err := wrong.Get(ctx, "keys:prod")
	if !errors.Is(err, keyring.ErrWrongPassphrase) {
		t.Fatalf("Get with a wrong passphrase: %v, want ErrWrongPassphrase", err)
	}
	if strings.Contains(err.Error(), "secret data") || strings.Contains(err.Error(), "wrong\"") {
		t.Errorf("error shows a secret: %v", err)
	}
	// Writing with a passphrase that does not open what is stored would
	// split the keyring between two passphrases.
	if err := wrong.Set(ctx, "keys:dev", []byte("x")); !errors.Is(err, keyring.ErrWrongPassphrase) {
		t.Errorf("Set with a wrong passphrase: %v, want ErrWrongPassphrase", err)
	}
	if _, err := openFile(t, dir, "right", nil).Get(ctx, "keys:dev"); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("the refused Set left an item: %v", err)
	}
}

func TestFileListNeedsNoPassphrase(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	if err := openFile(t, dir, "right", nil).Set(ctx, "keys:prod", []byte("x")); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	names, err := openFile(t, dir, "wrong", &calls).List(ctx)
	if err != nil || len(names) != 1 || names[0] != "keys:prod" {
		t.Fatalf("List = %q, %v", names, err)
	}
	if calls.Load() != 0 {
		t.Errorf("List asked for the passphrase %d times; it reads only headers", calls.Load())
	}
}

func TestFilePassphraseAskedOnce(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var calls atomic.Int32
	kr := openFile(t, dir, "p", &calls)
	for i := range 20 {
		if err := kr.Set(ctx, fmt.Sprintf("keys:p%d", i), []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	kr = openFile(t, dir, "p", &calls)
	for i := range 20 {
		if _, err := kr.Get(ctx, fmt.Sprintf("keys:p%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("passphrase asked %d times by two Keyrings, want 2", n)
	}
}

func TestFilePassphraseErrors(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		fn   func(context.Context, keyring.PassphraseRequest) (string, error)
		want string
	}{
		{"nil func", nil, "needs a passphrase"},
		{"empty", func(context.Context, keyring.PassphraseRequest) (string, error) { return "", nil }, "empty"},
		{"func fails", func(context.Context, keyring.PassphraseRequest) (string, error) { return "", errors.New("no terminal") }, "no terminal"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			kr, err := keyring.Open(ctx, keyring.Options{Backend: "file", FileDir: t.TempDir(), Passphrase: tt.fn, FileKDF: keyring.LowSecurityKDFForTests()})
			if err != nil {
				t.Fatal(err)
			}
			if err := kr.Set(ctx, "keys:a", []byte("x")); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Set = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestFileCorruptIsAnErrorNotAPanic(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name   string
		damage func(data []byte) []byte
	}{
		{"truncated", func(d []byte) []byte { return d[:len(d)/2] }},
		{"empty", func([]byte) []byte { return nil }},
		{"garbage", func([]byte) []byte { return []byte("\x00\xffnot json") }},
		{"ciphertext flipped", func(d []byte) []byte {
			s := string(d)
			i := strings.Index(s, `"data":"`) + len(`"data":"`)
			c := byte('A')
			if s[i] == 'A' {
				c = 'B'
			}
			return []byte(s[:i] + string(c) + s[i+1:])
		}},
		{"other item's name", func(d []byte) []byte { return []byte(strings.Replace(string(d), `"keys:prod"`, `"keys:dev"`, 1)) }},
		{"huge kdf memory", func(d []byte) []byte {
			return []byte(strings.Replace(string(d), `"memory_kib":64`, `"memory_kib":4000000000`, 1))
		}},
		{"newer format", func(d []byte) []byte {
			return []byte(strings.Replace(string(d), `"kagi_keyring":1`, `"kagi_keyring":2`, 1))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			kr := openFile(t, dir, "p", nil)
			if err := kr.Set(ctx, "keys:prod", []byte("secret data")); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "keys%3Aprod.item")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, tt.damage(data), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err = openFile(t, dir, "p", nil).Get(ctx, "keys:prod")
			var ce *keyring.CorruptError
			if !errors.As(err, &ce) || ce.Path != path {
				t.Fatalf("Get of a damaged file: %v, want a *CorruptError naming %s", err, path)
			}
			if strings.Contains(err.Error(), "secret data") {
				t.Errorf("error shows the data: %v", err)
			}
		})
	}
}

func TestFilePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "new", "keyring")
	if err := openFile(t, dir, "p", nil).Set(ctx, "keys:a", []byte("x")); err != nil {
		t.Fatal(err)
	}
	checkMode(t, dir, 0o700)
	checkMode(t, filepath.Join(dir, "keys%3Aa.item"), 0o600)

	// A directory others can read is narrowed on the next write.
	wide := t.TempDir()
	if err := os.Chmod(wide, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := openFile(t, wide, "p", nil).Set(ctx, "keys:a", []byte("x")); err != nil {
		t.Fatal(err)
	}
	checkMode(t, wide, 0o700)
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %o, want %o", path, got, want)
	}
}

func TestFileKDFParametersComeFromTheHeader(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := openFile(t, dir, "p", nil).Set(ctx, "keys:a", []byte("cheap")); err != nil {
		t.Fatal(err)
	}
	// A Keyring configured with the (expensive) defaults reads the item with
	// the parameters in its header, and writes new items with them too, so
	// one derivation serves the whole directory.
	kr, err := keyring.Open(ctx, keyring.Options{Backend: "file", FileDir: dir,
		Passphrase: func(context.Context, keyring.PassphraseRequest) (string, error) { return "p", nil }})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := kr.Get(ctx, "keys:a"); err != nil || string(got) != "cheap" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if err := kr.Set(ctx, "keys:b", []byte("b")); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "keys%3Ab.item"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"memory_kib":64,`) {
		t.Errorf("new item not written with the directory's parameters: %s", data)
	}
}

func TestFileItemsAreCaseSafeFileNames(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	kr := openFile(t, dir, "p", nil)
	for _, n := range []string{"keys:Prod", "keys:prod", "keys:a%2Fb", strings.Repeat("X", 200)} {
		if err := kr.Set(ctx, n, []byte(n)); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		lower := strings.ToLower(e.Name())
		if seen[lower] {
			t.Errorf("two files differ only in case: %s", e.Name())
		}
		seen[lower] = true
		if len(e.Name()) > 255 {
			t.Errorf("file name longer than 255 bytes: %s", e.Name())
		}
	}
	if len(entries) != 4 {
		t.Errorf("%d files for 4 items", len(entries))
	}
}

// TestFilePassphraseRequests: the first Set of a new keyring asks for a
// new passphrase and says where the keyring is; a passphrase that opens
// nothing is asked for again, up to PassphraseTries times, and each ask
// says how many went wrong before it.
func TestFilePassphraseRequests(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "keyring")
	open := func(tries int, answers ...string) (keyring.Keyring, *[]keyring.PassphraseRequest) {
		var asked []keyring.PassphraseRequest
		kr, err := keyring.Open(ctx, keyring.Options{
			Backend: keyring.BackendFile, FileDir: dir, FileKDF: keyring.LowSecurityKDFForTests(), PassphraseTries: tries,
			Passphrase: func(_ context.Context, req keyring.PassphraseRequest) (string, error) {
				asked = append(asked, req)
				if len(asked) > len(answers) {
					return "", errors.New("asked once too often")
				}
				return answers[len(asked)-1], nil
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		return kr, &asked
	}
	kr, asked := open(3, "right")
	if err := kr.Set(ctx, "keys:a", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := kr.Set(ctx, "keys:b", []byte("y")); err != nil {
		t.Fatal(err)
	}
	if want := []keyring.PassphraseRequest{{Dir: dir, New: true}}; fmt.Sprint(*asked) != fmt.Sprint(want) {
		t.Errorf("a new keyring asked %+v, want %+v", *asked, want)
	}

	// Two typos, then the right one: asked three times, the item opens.
	kr, asked = open(3, "typo", "typo again", "right")
	if got, err := kr.Get(ctx, "keys:a"); err != nil || string(got) != "x" {
		t.Fatalf("Get after two typos = %q, %v", got, err)
	}
	want := []keyring.PassphraseRequest{{Dir: dir}, {Dir: dir, Retry: 1}, {Dir: dir, Retry: 2}}
	if fmt.Sprint(*asked) != fmt.Sprint(want) {
		t.Errorf("asked %+v, want %+v", *asked, want)
	}
	// Proven, it is not asked for again.
	if _, err := kr.Get(ctx, "keys:b"); err != nil || len(*asked) != 3 {
		t.Errorf("second Get: %v, asked %d times in all", err, len(*asked))
	}

	// Three typos: ErrWrongPassphrase, never a fourth ask.
	kr, asked = open(3, "1", "2", "3", "right")
	if _, err := kr.Get(ctx, "keys:a"); !errors.Is(err, keyring.ErrWrongPassphrase) || len(*asked) != 3 {
		t.Errorf("after three wrong: %v, asked %d times, want ErrWrongPassphrase after 3", err, len(*asked))
	}
	// Set on a keyring with items: the same, and nothing written.
	kr, asked = open(2, "1", "2", "right")
	if err := kr.Set(ctx, "keys:c", []byte("z")); !errors.Is(err, keyring.ErrWrongPassphrase) || len(*asked) != 2 {
		t.Errorf("Set after two wrong: %v, asked %d times, want ErrWrongPassphrase after 2", err, len(*asked))
	}
	// A passphrase from the environment (one try): asked once.
	kr, asked = open(0, "wrong", "right")
	if _, err := kr.Get(ctx, "keys:a"); !errors.Is(err, keyring.ErrWrongPassphrase) || len(*asked) != 1 {
		t.Errorf("one try: %v, asked %d times", err, len(*asked))
	}
	if strings.Contains(fmt.Sprint(*asked), "wrong") {
		t.Error("a request holds a passphrase")
	}
}

// TestFileItemOfAnotherPassphrase: a passphrase that opened one item is
// not asked for again when another item does not open with it.
func TestFileItemOfAnotherPassphrase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := openFile(t, dir, "one", nil).Set(ctx, "keys:a", []byte("x")); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	if err := openFile(t, other, "two", nil).Set(ctx, "keys:b", []byte("y")); err != nil {
		t.Fatal(err)
	}
	// keys:b's file, written with "two", moved in beside keys:a.
	entries, err := os.ReadDir(other)
	if err != nil || len(entries) != 1 {
		t.Fatalf("%v %v", entries, err)
	}
	if err := os.Rename(filepath.Join(other, entries[0].Name()), filepath.Join(dir, entries[0].Name())); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	kr, err := keyring.Open(ctx, keyring.Options{Backend: keyring.BackendFile, FileDir: dir, FileKDF: keyring.LowSecurityKDFForTests(), PassphraseTries: 3,
		Passphrase: func(context.Context, keyring.PassphraseRequest) (string, error) { calls.Add(1); return "one", nil }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Get(ctx, "keys:a"); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Get(ctx, "keys:b"); !errors.Is(err, keyring.ErrWrongPassphrase) || !strings.Contains(err.Error(), "another passphrase") {
		t.Errorf("Get of an item of another passphrase: %v", err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("asked %d times, want 1", n)
	}
}

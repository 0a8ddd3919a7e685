package keyring

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/kagi-cli/kagi/internal/atomicfile"
	"github.com/kagi-cli/kagi/internal/fsguard"
)

// ErrWrongPassphrase is wrapped by the file backend's errors when the
// passphrase does not open the keyring's items.
var ErrWrongPassphrase = errors.New("wrong passphrase")

// CorruptError is a file backend item that cannot be read: truncated,
// edited, or not an item at all. It is never a silent miss.
type CorruptError struct {
	Path   string
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("keyring file %q is damaged: %s", e.Path, e.Reason)
}

// KDFParams are argon2id's cost parameters (RFC 9106). They are written
// into every item's header, so a later kagi can change the defaults and
// still read old items.
type KDFParams struct {
	Time      uint32 `json:"time"`       // passes over memory
	MemoryKiB uint32 `json:"memory_kib"` // memory in KiB
	Threads   uint8  `json:"threads"`
}

// DefaultKDF is 64 MiB of memory, one pass, 4 lanes: RFC 9106's memory
// with one pass instead of three, which is above OWASP's minimum for
// argon2id (46 MiB, 1 pass, 1 lane) and costs about 75 ms on a 2-core
// machine instead of about 270 ms. Every process that opens the file
// keyring pays it once, so it is kept low; memory is what slows GPU
// guessing. (Password Storage Cheat Sheet, owasp.org; RFC 9106 section 4.)
func DefaultKDF() KDFParams { return KDFParams{Time: 1, MemoryKiB: 64 * 1024, Threads: 4} }

// LowSecurityKDFForTests returns parameters that make the KDF nearly free.
// Only tests may pass them in Options.FileKDF: items written with them are
// easy to brute-force.
func LowSecurityKDFForTests() KDFParams { return KDFParams{Time: 1, MemoryKiB: 64, Threads: 1} }

// Limits on parameters read from a header, so a planted file cannot make
// kagi allocate without bound.
const (
	maxKDFMemoryKiB = 4 << 20 // 4 GiB
	maxKDFTime      = 64
	itemSuffix      = ".item"
	tempPrefix      = ".tmp-"
	fileFormat      = 1
)

// fileHeaderKDF identifies one derived key: algorithm, salt and costs.
// It is comparable, so it keys the per-process cache of derived keys.
type fileHeaderKDF struct {
	Alg  string `json:"alg"`
	Salt string `json:"salt"` // hex of 16 random bytes; a string keeps the struct comparable
	KDFParams
}

// fileItem is one item file: a JSON object on one line.
type fileItem struct {
	Format int           `json:"kagi_keyring"`
	Name   string        `json:"name"`
	KDF    fileHeaderKDF `json:"kdf"`
	// Check is a hash of the derived key: a mismatch means a wrong
	// passphrase; a match with a failing AEAD means a damaged file.
	Check []byte `json:"check"`
	Nonce []byte `json:"nonce"`
	Data  []byte `json:"data"` // XChaCha20-Poly1305, the item name as associated data
}

// fileKeyring is kagi's own encrypted store for machines without an OS
// keyring: one file per item in dir. One file per item means two processes
// setting different items never race, a damaged file loses one item, and
// List reads only the plaintext headers (no passphrase needed to list).
type fileKeyring struct {
	dir        string
	kdf        KDFParams
	passphrase func(context.Context, PassphraseRequest) (string, error)
	tries      int // passphrases taken when each opens nothing (Options.PassphraseTries)

	mu    sync.Mutex // guards the fields below; held while asking and deriving
	pass  string
	asked bool
	// proven: pass opened an item, or was chosen for a new keyring. A
	// proven passphrase that does not open an item is not asked again:
	// the item was written with another one.
	proven bool
	keys   map[fileHeaderKDF][]byte // derived from pass
	cur    *fileHeaderKDF           // parameters new items are written with
}

// PassphraseRequest is what the file backend tells Options.Passphrase.
type PassphraseRequest struct {
	// Dir is the keyring's directory, to say where the keyring is.
	Dir string
	// New is set when nothing is stored yet: the passphrase given now
	// locks every item written from now on (a person is asked twice).
	New bool
	// Retry counts the passphrases given before this one that did not
	// open the keyring: 0 on the first ask.
	Retry int
}

func newFileKeyring(dir string, kdf KDFParams, passphrase func(context.Context, PassphraseRequest) (string, error), tries int) *fileKeyring {
	if kdf == (KDFParams{}) {
		kdf = DefaultKDF()
	}
	if tries < 1 {
		tries = 1
	}
	return &fileKeyring{dir: dir, kdf: kdf, passphrase: passphrase, tries: tries, keys: map[fileHeaderKDF][]byte{}}
}

func (k *fileKeyring) Backend() string { return "file" }

// itemFile is name's file: lower-case letters, digits, '-' and '_' as
// they are, every other byte as %XX. Upper case is escaped so two names
// differing in case stay two files on case-insensitive file systems; a
// name too long to escape within file name limits is hashed (the name is
// in the header either way).
func (k *fileKeyring) itemFile(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	base := b.String()
	if len(base) > 200 {
		sum := sha256.Sum256([]byte(name))
		base = "h-" + hex.EncodeToString(sum[:])
	}
	return filepath.Join(k.dir, base+itemSuffix)
}

func (k *fileKeyring) Get(ctx context.Context, name string) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	path := k.itemFile(name)
	it, err := readItem(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if it.Name != name {
		return nil, &CorruptError{path, fmt.Sprintf("holds item %q, not %q", it.Name, name)}
	}
	key, err := k.unlock(ctx, it.KDF, it.Check, path)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	if len(it.Nonce) != aead.NonceSize() {
		return nil, &CorruptError{path, "bad nonce length"}
	}
	data, err := aead.Open(nil, it.Nonce, it.Data, associatedData(name))
	if err != nil {
		return nil, &CorruptError{path, "the passphrase is right but the data does not authenticate"}
	}
	return data, nil
}

func (k *fileKeyring) Set(ctx context.Context, name string, data []byte) error {
	if err := checkName(name); err != nil {
		return err
	}
	h, key, err := k.writeKey(ctx)
	if err != nil {
		return err
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	it := fileItem{
		Format: fileFormat,
		Name:   name,
		KDF:    h,
		Check:  keyCheck(key),
		Nonce:  nonce,
		Data:   aead.Seal(nil, nonce, data, associatedData(name)),
	}
	out, err := json.Marshal(it)
	if err != nil {
		return err
	}
	if err := k.ensureDir(); err != nil {
		return err
	}
	// Temporary files of writers that died before their rename hold
	// items, encrypted but open to guessing the passphrase offline.
	atomicfile.RemoveStale(k.dir, tempPrefix)
	return writeFileAtomic(k.itemFile(name), append(out, '\n'))
}

func (k *fileKeyring) Remove(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	err := os.Remove(k.itemFile(name))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%q: %w", name, ErrNotFound)
	}
	if err != nil {
		return err
	}
	return atomicfile.SyncDir(k.dir)
}

func (k *fileKeyring) List(ctx context.Context) ([]string, error) {
	entries, err := os.ReadDir(k.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !strings.HasSuffix(e.Name(), itemSuffix) || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(k.dir, e.Name())
		it, err := readItem(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since ReadDir
		}
		if err != nil {
			return nil, err
		}
		if k.itemFile(it.Name) != path {
			return nil, &CorruptError{path, fmt.Sprintf("holds item %q under another item's file name", it.Name)}
		}
		names = append(names, it.Name)
	}
	return names, nil
}

// readItem reads and checks the header of an item file.
func readItem(path string) (*fileItem, error) {
	// Bounded, and only a regular file: a FIFO or a device planted as an
	// item must not hang or exhaust kagi.
	data, err := fsguard.Read(path, fsguard.MaxKeyring)
	if fsguard.IsRefusal(err) {
		return nil, fmt.Errorf("file keyring: %w", err)
	}
	if err != nil {
		return nil, err
	}
	var it fileItem
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&it); err != nil {
		return nil, &CorruptError{path, "not a kagi keyring item"}
	}
	switch {
	case it.Format != fileFormat:
		return nil, &CorruptError{path, fmt.Sprintf("unknown format %d (written by a newer kagi?)", it.Format)}
	case !ValidName(it.Name):
		return nil, &CorruptError{path, "bad item name"}
	case it.KDF.Alg != "argon2id":
		return nil, &CorruptError{path, fmt.Sprintf("unknown key derivation %q", it.KDF.Alg)}
	case it.KDF.Time == 0 || it.KDF.Time > maxKDFTime || it.KDF.Threads == 0 ||
		it.KDF.MemoryKiB < 8*uint32(it.KDF.Threads) || it.KDF.MemoryKiB > maxKDFMemoryKiB:
		return nil, &CorruptError{path, "key derivation parameters out of range"}
	case len(it.Check) == 0:
		return nil, &CorruptError{path, "no key check"}
	}
	return &it, nil
}

// writeKey returns the KDF header new items are written with, and its
// key: that of an item already in the directory, so one passphrase and
// one derivation serve all items, and a passphrase that does not open
// what is there is refused (else no single passphrase would open the
// keyring); with no item yet, fresh parameters and a new passphrase.
func (k *fileKeyring) writeKey(ctx context.Context) (fileHeaderKDF, []byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cur != nil {
		key, err := k.derive(ctx, *k.cur, "")
		return *k.cur, key, err
	}
	entries, err := os.ReadDir(k.dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fileHeaderKDF{}, nil, err
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), itemSuffix) || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(k.dir, e.Name())
		it, err := readItem(path)
		if err != nil {
			continue // a damaged item must not stop writing others
		}
		key, err := k.unlockLocked(ctx, it.KDF, it.Check, path)
		if err != nil {
			return fileHeaderKDF{}, nil, err
		}
		h := it.KDF
		k.cur = &h
		return h, key, nil
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return fileHeaderKDF{}, nil, err
	}
	h := fileHeaderKDF{Alg: "argon2id", Salt: hex.EncodeToString(salt), KDFParams: k.kdf}
	if !k.asked {
		if err := k.ask(ctx, PassphraseRequest{Dir: k.dir, New: true}); err != nil {
			return fileHeaderKDF{}, nil, err
		}
	}
	key, err := k.derive(ctx, h, "")
	if err != nil {
		return fileHeaderKDF{}, nil, err
	}
	k.proven = true
	k.cur = &h
	return h, key, nil
}

// unlock returns the key of an item with header h and key check check,
// asking for the passphrase (again, up to k.tries times, while it does not
// open the item and has opened nothing yet).
func (k *fileKeyring) unlock(ctx context.Context, h fileHeaderKDF, check []byte, path string) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.unlockLocked(ctx, h, check, path)
}

func (k *fileKeyring) unlockLocked(ctx context.Context, h fileHeaderKDF, check []byte, path string) ([]byte, error) {
	for retry := 0; ; retry++ {
		if !k.asked {
			if err := k.ask(ctx, PassphraseRequest{Dir: k.dir, Retry: retry}); err != nil {
				return nil, err
			}
		}
		key, err := k.derive(ctx, h, path)
		if err != nil {
			return nil, err
		}
		if checkMatches(key, check) {
			k.proven = true
			return key, nil
		}
		if k.proven {
			return nil, fmt.Errorf("file keyring in %q: %w (an item was written with another passphrase)", k.dir, ErrWrongPassphrase)
		}
		if retry+1 >= k.tries {
			return nil, fmt.Errorf("file keyring in %q: %w", k.dir, ErrWrongPassphrase)
		}
		// Forget the wrong passphrase and what was derived from it.
		k.pass, k.asked = "", false
		clear(k.keys)
	}
}

// ask gets the passphrase; k.mu is held.
func (k *fileKeyring) ask(ctx context.Context, req PassphraseRequest) error {
	if k.passphrase == nil {
		return errors.New("the file keyring needs a passphrase and none was provided")
	}
	p, err := k.passphrase(ctx, req)
	if err != nil {
		return err
	}
	if p == "" {
		return errors.New("the file keyring's passphrase is empty")
	}
	k.pass, k.asked = p, true
	return nil
}

// derive derives (once per process for each header) the item key from
// the passphrase asked for; k.mu is held.
func (k *fileKeyring) derive(ctx context.Context, h fileHeaderKDF, path string) ([]byte, error) {
	if key, ok := k.keys[h]; ok {
		return key, nil
	}
	salt, err := hex.DecodeString(h.Salt)
	if err != nil || len(salt) < 8 {
		return nil, &CorruptError{path, "bad salt"}
	}
	if !k.asked {
		// writeKey and unlock ask first.
		return nil, errors.New("the file keyring's passphrase was not asked for")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	key := argon2.IDKey([]byte(k.pass), salt, h.Time, h.MemoryKiB, h.Threads, chacha20poly1305.KeySize)
	k.keys[h] = key
	return key, nil
}

func associatedData(name string) []byte { return []byte("kagi keyring item\x00" + name) }

func keyCheck(key []byte) []byte {
	sum := sha256.Sum256(append([]byte("kagi keyring key check\x00"), key...))
	return sum[:16]
}

func checkMatches(key, check []byte) bool {
	return subtle.ConstantTimeCompare(keyCheck(key), check) == 1
}

// ensureDir creates the directory 0700, and narrows an existing one that
// others could read.
func (k *fileKeyring) ensureDir() error {
	if err := os.MkdirAll(k.dir, 0o700); err != nil {
		return err
	}
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(k.dir)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return os.Chmod(k.dir, 0o700)
	}
	return nil
}

// writeFileAtomic replaces path with data, mode 0600 (see
// atomicfile.Write); List skips the temporary file by its prefix.
func writeFileAtomic(path string, data []byte) error {
	return atomicfile.Write(path, data, 0o600, tempPrefix+"*")
}

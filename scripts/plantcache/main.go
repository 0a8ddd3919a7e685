// Command plantcache plants fresh-looking cache entries for the README's
// profile names in a real kagi cache directory, checks after a test run
// that nothing there was added, changed or removed, and takes its entries
// out again. scripts/with-planted-cache.sh drives it: a test that reaches
// the real cache then sees sessions it did not make (and fails), or leaves
// a trace that check reports.
//
//	plantcache plant  DIR MANIFEST   plant, and note what DIR holds
//	plantcache check  DIR MANIFEST   exit 1 if DIR changed since plant
//	plantcache remove DIR MANIFEST   remove what plant added (DIR too, if plant made it)
//
// The entries are written with kagi's own cache package, so they are what
// kagi would read; their keys are not ones kagi computes, and their
// credentials work nowhere.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/kagi-cli/kagi/internal/cache"
)

// profiles are the names the README and the demo use: the ones a machine
// where kagi is in daily use is likely to have sessions for.
var profiles = []string{"default", "jump", "jumpuser", "switchrole", "dev", "prod", "prod-readonly", "prod-tf", "staging", "cicd", "ci-user", "plain"}

type manifest struct {
	Created bool      `json:"created"` // plant made DIR
	Keys    []string  `json:"keys"`    // the planted entries
	Files   []string  `json:"files"`   // DIR's names after planting
	Entries []entry   `json:"entries"` // what was planted, to compare
	At      time.Time `json:"at"`
}

type entry struct {
	Key   string      `json:"key"`
	Entry cache.Entry `json:"entry"`
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: plantcache plant|check|remove DIR MANIFEST")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "plant":
		err = plant(os.Args[2], os.Args[3])
	case "check":
		err = check(os.Args[2], os.Args[3])
	case "remove":
		err = remove(os.Args[2], os.Args[3])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "plantcache %s %s: %v\n", os.Args[1], os.Args[2], err)
		os.Exit(1)
	}
}

func names(dir string) ([]string, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, de := range des {
		out = append(out, de.Name())
	}
	slices.Sort(out)
	return out, nil
}

func plant(dir, path string) error {
	m := manifest{At: time.Now().UTC()}
	if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
		m.Created = true
	}
	store, err := cache.OpenDir(dir)
	if err != nil {
		return err
	}
	ctx := context.Background()
	for i, p := range profiles {
		for _, kind := range []string{"session", "role"} {
			sum := sha256.Sum256([]byte("kagi-planted-by-tests\x00" + p + "\x00" + kind))
			key := hex.EncodeToString(sum[:])
			e := cache.Entry{
				AccessKeyID:     fmt.Sprintf("ASIAPLANTEDBYTEST%03d", i),
				SecretAccessKey: "planted-secret-never-served-to-a-test",
				SessionToken:    "planted-token-" + p,
				Expiration:      m.At.Add(11 * time.Hour).Truncate(time.Second),
				Profile:         p,
				Kind:            kind,
				Detail:          "planted by scripts/with-planted-cache.sh",
			}
			if kind == "role" {
				e.Detail = "arn:aws:iam::999999999999:role/planted"
			}
			if err := store.Put(ctx, key, e); err != nil {
				return err
			}
			m.Keys = append(m.Keys, key)
			m.Entries = append(m.Entries, entry{key, e})
		}
	}
	if m.Files, err = names(dir); err != nil {
		return err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

func load(path string) (manifest, error) {
	var m manifest
	b, err := os.ReadFile(path)
	if err != nil {
		return m, err
	}
	return m, json.Unmarshal(b, &m)
}

func check(dir, path string) error {
	m, err := load(path)
	if err != nil {
		return err
	}
	now, err := names(dir)
	if err != nil {
		return err
	}
	var problems []string
	for _, n := range now {
		if !slices.Contains(m.Files, n) {
			problems = append(problems, "added "+filepath.Join(dir, n))
		}
	}
	for _, n := range m.Files {
		if !slices.Contains(now, n) {
			problems = append(problems, "removed "+filepath.Join(dir, n))
		}
	}
	store, err := cache.OpenDir(dir)
	if err != nil {
		return err
	}
	for _, pe := range m.Entries {
		got, err := store.Get(context.Background(), pe.Key)
		if err != nil || !got.Expiration.Equal(pe.Entry.Expiration) || got.AccessKeyID != pe.Entry.AccessKeyID || got.Profile != pe.Entry.Profile {
			problems = append(problems, fmt.Sprintf("changed the planted entry of profile %q (%s)", pe.Entry.Profile, pe.Entry.Kind))
		}
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(os.Stderr, "plantcache: the test run touched the real cache: %s\n", p)
		}
		return fmt.Errorf("%d changes in a cache directory no test may touch", len(problems))
	}
	return nil
}

func remove(dir, path string) error {
	m, err := load(path)
	if err != nil {
		return err
	}
	store, err := cache.OpenDir(dir)
	if err != nil {
		return err
	}
	for _, k := range m.Keys {
		if err := store.Delete(context.Background(), k); err != nil {
			return err
		}
	}
	if m.Created {
		// Only when empty: whatever else is there is not ours to remove.
		if err := os.Remove(dir); err != nil {
			fmt.Fprintf(os.Stderr, "plantcache: left %s: %v\n", dir, err)
		}
	}
	return nil
}
